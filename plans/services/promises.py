"""Promises to pay: recording one, and resolving them from the payments received."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Account, Jurisdiction, User
from accounts.services import acting_as
from core.business_calendar import business_day_or_today, start_of_business_day
from plans.models import ZERO, Payment, PlanPolicy, PromiseStatus, PromiseToPay
from plans.services.errors import PromiseConflict
from plans.services.inputs import _money


@transaction.atomic
def promise_create(
    *,
    account: Account,
    amount: Decimal,
    due_date: date,
    by: User | None,
    contact=None,
    now: datetime | None = None,
    self_service: bool = False,
) -> PromiseToPay:
    """Record a promise, directly or from the contact in which the customer made it.

    One promise is pending per account at a time, so a payment counts towards one promise only.
    A pending promise whose date has passed is resolved first, so it does not stand in the way.
    """
    today = business_day_or_today(now)
    now = now or timezone.now()
    account = Account.objects.select_for_update().get(pk=account.pk)
    _money(amount, "amount", account.currency, positive=True)
    if not isinstance(due_date, date) or isinstance(due_date, datetime):
        raise ValidationError({"due_date": [_("Must be a date.")]})
    if due_date < today:
        raise ValidationError(
            {"due_date": [_("Must not be before today (%(today)s).") % {"today": today}]}
        )
    if contact is not None and contact.account_id != account.pk:
        raise ValidationError({"contact": [_("That contact was with another account.")]})
    _promises_resolve_locked(account, as_of=today, now=now)
    pending = PromiseToPay.objects.filter(account=account, status=PromiseStatus.PENDING).first()
    if pending is not None:
        raise PromiseConflict(
            _("The account already has a pending promise of %(amount)s due %(due)s.")
            % {"amount": pending.amount, "due": pending.due_date},
            promise=pending.pk,
        )
    promise = PromiseToPay(
        account=account,
        amount=amount,
        due_date=due_date,
        contact=contact,
        created_by=by if by is not None and by.is_authenticated else None,
        created_at=now,
        self_service=self_service,
    )
    with acting_as(by):
        promise.save()
    return promise


def promises_resolve(
    *, as_of: date, account_ids: list[int] | None = None, now: datetime | None = None
) -> int:
    """Resolve pending promises from payments; the nightly job and every payment call this.

    A promise counts the payments received from its recording to the end of its date (plus the
    policy's promise grace days). Paid in full: kept at once. Once the date has passed: partially
    kept if anything was paid, else broken. Returns how many promises were resolved.
    """
    now = now or timezone.now()
    pending = PromiseToPay.objects.filter(status=PromiseStatus.PENDING)
    if account_ids is not None:
        pending = pending.filter(account_id__in=account_ids)
    resolved = 0
    for jurisdiction in Jurisdiction.values:
        grace = PlanPolicy.for_jurisdiction(jurisdiction).promise_grace_days
        candidates = (
            pending.filter(account__customer__jurisdiction=jurisdiction)
            .filter(
                Q(due_date__lt=as_of - timedelta(days=grace))
                | Q(account__payments__received_at__gte=F("created_at"))
            )
            .order_by("account_id")
            .values_list("account_id", flat=True)
            .distinct()
        )
        for account_id in list(candidates):
            with transaction.atomic():
                account = Account.objects.select_for_update().get(pk=account_id)
                resolved += _promises_resolve_locked(account, as_of=as_of, now=now, grace=grace)
    return resolved


def _promises_resolve_locked(
    account: Account, *, as_of: date, now: datetime, grace: int | None = None
) -> int:
    if grace is None:
        grace = PlanPolicy.for_jurisdiction(account.customer.jurisdiction).promise_grace_days
    resolved = 0
    for promise in PromiseToPay.objects.select_for_update().filter(
        account=account, status=PromiseStatus.PENDING
    ):
        last_day = promise.due_date + timedelta(days=grace)
        paid = (
            Payment.objects.filter(
                account=account,
                received_at__gte=promise.created_at,
                received_at__lt=start_of_business_day(last_day + timedelta(days=1)),
            ).aggregate(total=Sum("amount"))["total"]
            or ZERO
        )
        status = None
        if paid >= promise.amount:
            status = PromiseStatus.KEPT
        elif as_of > last_day:
            status = PromiseStatus.PARTIALLY_KEPT if paid > 0 else PromiseStatus.BROKEN
        if status is None and paid == promise.paid_amount:
            continue
        promise.paid_amount = paid
        fields = ["paid_amount"]
        if status is not None:
            promise.status = status
            promise.resolved_at = now
            fields += ["status", "resolved_at"]
            resolved += 1
        with acting_as(None):
            promise.save(update_fields=fields)
    return resolved
