"""Celery tasks of compliance. Thin: ``compliance.retention`` holds the work."""

from __future__ import annotations

from datetime import date

from celery import shared_task

from compliance.retention import retention_apply
from compliance.retention_partitions import partitions_retire
from core.partitions import partitions_ensure
from core.tasks import TASK_RETRY_POLICY, time_limits


@shared_task(**TASK_RETRY_POLICY, **time_limits(3 * 3600, grace=300))
def retention_apply_task(as_of: str | None = None) -> dict:
    """Beat, daily at 03:30 UTC: apply the retention policy for ``as_of`` (YYYY-MM-DD; default:
    the business date): clear what is past its period, then drop the months of evidence past
    it (PostgreSQL). Idempotent: a retry or a second run finds nothing left to remove."""
    day = date.fromisoformat(as_of) if as_of else None
    report = retention_apply(as_of=day)
    partitions = partitions_retire(as_of=day)
    return (
        {"as_of": report.as_of.isoformat()}
        | {code: kind.count for code, kind in report.kinds.items()}
        | {"partitions_dropped": [v.partition.name for v in partitions.dropped]}
    )


@shared_task(**TASK_RETRY_POLICY, **time_limits(30 * 60))
def partitions_ensure_task() -> list[str]:
    """Beat, daily at 03:10 UTC: the coming months' partitions of the evidence tables, and any
    row waiting in a default partition moved to its month's (``core.partitions``; nothing on
    SQLite). Idempotent: the partitions created, none on a second run."""
    return partitions_ensure()
