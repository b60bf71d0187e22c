"""Thin Celery tasks for reminders: ISO strings in, a service call, a small summary out.

Both are safe to run twice or on two workers at once: generation is keyed by each reminder's
idempotency key, sending claims its rows with a conditional UPDATE (``outreach.reminders``).

The task names keep the ``contacts.tasks`` prefix they were scheduled under: the beat rows in the
database (migration ``contacts.0008``) name them.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime, timedelta

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.delinquency import business_date
from core.tasks import TASK_RETRY_POLICY, time_limits
from outreach import reminders
from outreach.letters.batch import print_batch_build

# The hard time limit stays below the reminders' claim timeout (settings.SETTLE_REMINDERS), so a
# live worker's claim is never taken over by another run.
REMINDER_TIME_LIMIT = 360


def _now(now_iso: str | None) -> datetime:
    return datetime.fromisoformat(now_iso) if now_iso else timezone.now()


@shared_task(
    name="contacts.tasks.reminders_generate_task",
    **TASK_RETRY_POLICY,
    **time_limits(REMINDER_TIME_LIMIT),
)
def reminders_generate_task(as_of_iso: str | None = None, now_iso: str | None = None) -> dict:
    now = _now(now_iso)
    as_of = date.fromisoformat(as_of_iso) if as_of_iso else business_date()
    summary = reminders.reminders_generate(as_of=as_of, now=now)
    if summary.created:
        transaction.on_commit(lambda: reminders_send_due_task.delay(now_iso))
    return asdict(summary)


@shared_task(
    name="contacts.tasks.reminders_send_due_task",
    **TASK_RETRY_POLICY,
    **time_limits(REMINDER_TIME_LIMIT),
)
def reminders_send_due_task(now_iso: str | None = None) -> dict:
    """Send due reminders in batches until none is left or the time budget is spent."""
    # No time given: each batch is checked at the current time.
    now = datetime.fromisoformat(now_iso) if now_iso else None
    summary = reminders.reminders_send_due(
        now=now, time_budget=settings.SETTLE_REMINDERS["task_time_budget_seconds"]
    )
    return asdict(summary)


@shared_task(name="outreach.tasks.print_batch_task", **TASK_RETRY_POLICY, **time_limits(600))
def print_batch_task(day_iso: str | None = None) -> dict:
    """The print batch of ``day_iso`` (default: the previous business day); idempotent."""
    day = date.fromisoformat(day_iso) if day_iso else business_date() - timedelta(days=1)
    batch, created = print_batch_build(day=day, now=timezone.now())
    return {"day": day.isoformat(), "letters": batch.letter_count, "created": created}
