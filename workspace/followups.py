"""Running the follow-up of a logged contact: the account's risk tier and queue order, now.

``outreach.services.contact_log_create`` writes a ``ContactFollowUp`` row in the entry's
transaction and queues ``contact_followup_task`` after commit (``core.tasks.task_send``). When the
broker is down that send fails quietly and the row stays pending: ``followups_sweep`` (beat,
every minute) runs what is pending once the broker, and with it beat's own tasks, is back.
Running a follow-up twice changes nothing: the refresh recomputes from the stored facts, and a
done row is skipped.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts import delinquency
from accounts.models import Account
from contacts.models import ContactFollowUp
from workspace.nightly import queue_priority_expression
from workspace.risk_refresh import account_risk_refresh

#: A follow-up that failed this many times is left for a person (the admin lists it).
MAX_ATTEMPTS = 5


def account_refresh(account: Account, *, now: datetime) -> None:
    """The nightly run's risk and queue steps for one account (the same rules)."""
    as_of = delinquency.business_date()
    account_risk_refresh(account=account, as_of=as_of, now=now)
    Account.objects.filter(pk=account.pk).update(queue_priority=queue_priority_expression(as_of))


def followup_run(followup_id: int, *, now: datetime | None = None) -> bool:
    """Run one pending follow-up; False when it is done already or taken by another worker."""
    now = now or timezone.now()
    with transaction.atomic():
        followup = (
            ContactFollowUp.objects.select_for_update(skip_locked=True)
            .filter(pk=followup_id, done_at__isnull=True)
            .first()
        )
        if followup is None:
            return False
        account = Account.objects.get(pk=followup.account_id)
        account_refresh(account, now=now)
        followup.done_at = now
        followup.attempts += 1
        followup.save(update_fields=["done_at", "attempts"])
    return True


def followups_sweep(*, now: datetime | None = None, limit: int = 500) -> int:
    """Run the pending follow-ups, oldest first; returns how many ran."""
    now = now or timezone.now()
    pending = list(
        ContactFollowUp.objects.filter(done_at__isnull=True, attempts__lt=MAX_ATTEMPTS)
        .order_by("created_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    ran = 0
    for pk in pending:
        try:
            ran += followup_run(pk, now=now)
        except Exception as error:  # one bad row must not hold the others back
            ContactFollowUp.objects.filter(pk=pk).update(
                attempts=F("attempts") + 1, last_error=str(error)[:255]
            )
    return ran
