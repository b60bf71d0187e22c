"""Nightly jobs of the plans app. Thin and idempotent: a second run the same day does nothing."""

from __future__ import annotations

from celery import shared_task

from accounts import delinquency
from plans import services


@shared_task(soft_time_limit=3000, time_limit=3600, acks_late=True)
def plans_break_overdue_task() -> list[int]:
    """Mark missed installments and break plans past their grace days (business date)."""
    return services.plans_break_overdue(as_of=delinquency.business_date())


@shared_task(soft_time_limit=3000, time_limit=3600, acks_late=True)
def promises_resolve_task() -> int:
    """Resolve the promises to pay whose date has passed or that are paid in full."""
    return services.promises_resolve(as_of=delinquency.business_date())
