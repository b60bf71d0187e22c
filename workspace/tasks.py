"""Celery tasks of the workspace. Thin: ``workspace.nightly`` holds the work."""

from __future__ import annotations

from datetime import date

from celery import shared_task
from django.utils import timezone

from accounts import delinquency
from accounts.services import phone_zones_resolve
from core.tasks import TASK_RETRY_POLICY, time_limits
from workspace import followups, propensity
from workspace.nightly import nightly_run


# The name it had before it moved: beat rows and queued messages refer to it.
@shared_task(
    name="accounts.tasks.nightly_run_task",
    bind=True,
    **TASK_RETRY_POLICY,
    **time_limits(3 * 3600, grace=300),
)
def nightly_run_task(self, as_of: str | None = None) -> dict:
    """The nightly run for ``as_of`` (YYYY-MM-DD; default: the business date). Idempotent per
    date, so a retry or a second worker redoes nothing already done."""
    day = date.fromisoformat(as_of) if as_of else delinquency.business_date()
    summary = nightly_run(as_of=day)
    return {
        "as_of": day.isoformat(),
        "steps": {
            s.name: {"changed": s.changed, "seconds": round(s.seconds, 3)} for s in summary.steps
        },
    }


@shared_task(name="workspace.tasks.contact_followup_task", **TASK_RETRY_POLICY, **time_limits(120))
def contact_followup_task(followup_id: int) -> bool:
    """The follow-up of one logged contact (``workspace.followups``); idempotent."""
    return followups.followup_run(followup_id)


@shared_task(
    name="workspace.tasks.contact_followups_sweep_task", **TASK_RETRY_POLICY, **time_limits(300)
)
def contact_followups_sweep_task() -> int:
    """Every minute: the follow-ups whose task could not be queued (broker down)."""
    return followups.followups_sweep()


@shared_task(
    name="workspace.tasks.propensity_train_task",
    **TASK_RETRY_POLICY,
    **time_limits(2 * 3600, grace=300),
)
def propensity_train_task(as_of: str | None = None) -> dict:
    """Weekly: retrain the propensity-to-pay model (``workspace.propensity``); the nightly run
    scores with whichever model is active."""
    day = date.fromisoformat(as_of) if as_of else delinquency.business_date()
    model = propensity.propensity_train(as_of=day, now=timezone.now()).model
    return {"version": model.version, "status": model.status, "auc": model.auc}


@shared_task(
    name="workspace.tasks.phone_zones_resolve_task", **TASK_RETRY_POLICY, **time_limits(3600)
)
def phone_zones_resolve_task() -> int:
    """After a bulk load, and hourly as a backstop: store the time zones of phone numbers
    written without them (``accounts.services.phone_zones_resolve``)."""
    return phone_zones_resolve()
