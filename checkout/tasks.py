"""Celery tasks of checkout. Thin: ``checkout.services`` holds the work."""

from __future__ import annotations

from celery import shared_task

from checkout.services import sessions_expire
from core.tasks import TASK_RETRY_POLICY, time_limits


@shared_task(**TASK_RETRY_POLICY, **time_limits(300))
def sessions_expire_task() -> int:
    """Beat, every 15 minutes: checkouts nobody finished become abandoned. Idempotent: one
    conditional UPDATE, so a retry or a second run finds nothing left to do."""
    return sessions_expire()
