"""Celery tasks of the dashboards app. Thin: ``dashboards.facts`` holds the work."""

from __future__ import annotations

from datetime import date

from celery import shared_task

from core.tasks import TASK_RETRY_POLICY, time_limits
from dashboards.facts import facts_refresh


@shared_task(**TASK_RETRY_POLICY, **time_limits(3600))
def facts_refresh_task(day: str | None = None, activity_days: int = 7) -> dict:
    """Refresh the dashboard facts for ``day`` (YYYY-MM-DD; default: the business date).
    Idempotent: each day's facts are replaced in one transaction."""
    summary = facts_refresh(
        day=date.fromisoformat(day) if day else None, activity_days=activity_days
    )
    return {"day": summary.day.isoformat(), "rows": summary.rows, "seconds": summary.seconds}
