"""Celery tasks of agencies. Thin: ``agencies.services`` holds the work."""

from __future__ import annotations

from celery import shared_task

from agencies.services import placements_recall_due
from core.tasks import TASK_RETRY_POLICY, time_limits


@shared_task(**TASK_RETRY_POLICY, **time_limits(1800))
def placements_recall_due_task() -> int:
    """Beat, daily: recall the placements whose recall date has come. Idempotent: each
    placement ends once under its lock, so a retry or a second run does nothing more."""
    return placements_recall_due()
