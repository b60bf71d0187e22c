"""Celery tasks of compliance. Thin: ``compliance.retention`` holds the work."""

from __future__ import annotations

from datetime import date

from celery import shared_task

from compliance.retention import retention_apply
from core.tasks import TASK_RETRY_POLICY, time_limits


@shared_task(**TASK_RETRY_POLICY, **time_limits(3 * 3600, grace=300))
def retention_apply_task(as_of: str | None = None) -> dict:
    """Beat, daily at 03:30 UTC: apply the retention policy for ``as_of`` (YYYY-MM-DD; default:
    the business date). Idempotent: a retry or a second run finds nothing left to remove."""
    report = retention_apply(as_of=date.fromisoformat(as_of) if as_of else None)
    return {"as_of": report.as_of.isoformat()} | {
        code: kind.count for code, kind in report.kinds.items()
    }
