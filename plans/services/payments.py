"""Posting a payment once and allocating it: to the active plan's installments, else the account.

Lock order as for every plan write (``plans.py``): the account, then the plan, then its
installments by number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import OPEN_STAGES, Account, ReAge, Stage, User
from accounts.services import account_update, acting_as
from core.business_calendar import business_day, business_day_or_today
from plans.allocation import Owed, allocate
from plans.models import (
    ZERO,
    Allocation,
    Installment,
    InstallmentStatus,
    Payment,
    Plan,
    PlanStatus,
)
from plans.services.errors import PaymentConflict
from plans.services.inputs import _aware, _money
from plans.services.plans import _plan_complete, account_closed_out, plan_reage
from plans.services.promises import _promises_resolve_locked
from plans.services.settlements import _settlement_payment


@dataclass(frozen=True)
class PostedPayment:
    payment: Payment
    created: bool  # False: the reference was already posted with this amount


@transaction.atomic
def payment_post(
    *,
    account: Account,
    amount: Decimal,
    received_at: datetime,
    reference: str,
    by: User | None,
    source: str = Payment.Source.API,
    source_detail: str = "",
    now: datetime | None = None,
) -> PostedPayment:
    """Post a payment once, allocate it, and resolve the account's promise.

    Idempotent on ``reference``: the same reference and amount again returns the stored payment;
    a different amount or account raises PaymentConflict. Allocation follows PLANS.md: with an
    active plan, oldest installment first (fee, interest, principal), the rest rolling forward
    and, once everything is paid, kept as credit; without one, the account's fee, interest and
    principal balances, then credit. Without a plan the whole payment also counts towards an
    offered or accepted settlement (``settlements._settlement_payment``).
    """
    today = business_day_or_today(now)
    now = now or timezone.now()
    reference = (reference or "").strip()
    if not reference:
        raise ValidationError({"reference": [_("This field may not be blank.")]})
    if len(reference) > 64:
        raise ValidationError({"reference": [_("Use at most 64 characters.")]})
    _money(amount, "amount", account.currency, positive=True)
    _aware(received_at, "received_at", now)
    # Posts for one account queue on this lock, so the reference check below sees every
    # committed post of the account and allocation reads installments nobody else is changing.
    account = Account.objects.select_for_update().get(pk=account.pk)
    existing = Payment.objects.filter(reference=reference).first()
    if existing is not None:
        return PostedPayment(_payment_repeat(existing, account, amount), created=False)
    plan = (
        Plan.objects.select_for_update().filter(account=account, status=PlanStatus.ACTIVE).first()
    )
    payment = Payment(
        account=account,
        reference=reference,
        amount=amount,
        received_at=received_at,
        source=source,
        source_detail=source_detail[:255],
        plan=plan,
        created_by=by if by is not None and by.is_authenticated else None,
        created_at=now,
    )
    try:
        with transaction.atomic(), acting_as(by):
            payment.save()
    except IntegrityError:
        # Posted meanwhile for another account (that post held another account's lock).
        existing = Payment.objects.filter(reference=reference).first()
        if existing is None:
            raise
        return PostedPayment(_payment_repeat(existing, account, amount), created=False)
    _payment_allocate(payment, account=account, plan=plan, by=by, now=now, as_of=today)
    _promises_resolve_locked(account, as_of=today, now=now)
    return PostedPayment(payment, created=True)


def _payment_repeat(existing: Payment, account: Account, amount: Decimal) -> Payment:
    if existing.account_id != account.pk:
        # No ids: the other account may be another team's, and its payment is none of ours.
        raise PaymentConflict(
            _("Reference %(reference)s was already posted to another account.")
            % {"reference": existing.reference}
        )
    if existing.amount != amount:
        raise PaymentConflict(
            _(
                "Reference %(reference)s was already posted with the amount %(posted)s,"
                " not %(amount)s."
            )
            % {"reference": existing.reference, "posted": existing.amount, "amount": amount},
            payment=existing.pk,
        )
    return existing


def _payment_allocate(
    payment: Payment,
    *,
    account: Account,
    plan: Plan | None,
    by: User | None,
    now: datetime,
    as_of: date,
) -> None:
    allocations: list[Allocation] = []
    if plan is not None:
        rows = list(plan.installments.select_for_update().order_by("number"))
        by_pk = {row.pk: row for row in rows}
        owed = [
            Owed(
                row.pk,
                fee=row.fee - row.paid_fee,
                interest=row.interest - row.paid_interest,
                principal=row.principal - row.paid_principal,
            )
            for row in rows
            if row.paid_amount < row.amount
        ]
        shares, rest = allocate(payment.amount, owed)
        touched: dict[int, Installment] = {}
        for share in shares:
            row = by_pk[share.key]  # type: ignore[index]  # keys are the installments' pks
            field = f"paid_{share.component}"
            setattr(row, field, getattr(row, field) + share.amount)
            row.paid_amount += share.amount
            touched[row.pk] = row
            allocations.append(
                Allocation(
                    payment=payment,
                    installment=row,
                    component=share.component,
                    amount=share.amount,
                )
            )
        for row in touched.values():
            if row.paid_amount == row.amount:
                row.status = InstallmentStatus.PAID
                row.paid_at = payment.received_at
            elif row.status != InstallmentStatus.MISSED:
                row.status = InstallmentStatus.PARTIAL
        Installment.objects.bulk_update(
            list(touched.values()),
            ["paid_principal", "paid_interest", "paid_fee", "paid_amount", "status", "paid_at"],
        )
        # The plan's principal is what the account owed; its interest and fees are the plan's
        # own charges, never booked on the account. So only principal lowers the balances.
        paid_principal = sum((s.amount for s in shares if s.component == "principal"), ZERO)
        balances = _balances_less(account, paid_principal)
    else:
        shares, rest = allocate(
            payment.amount,
            [Owed(None, account.fee_balance, account.interest_balance, account.principal_balance)],
        )
        allocations += [
            Allocation(payment=payment, component=s.component, amount=s.amount) for s in shares
        ]
        paid = {s.component: s.amount for s in shares}
        balances = {
            f"{component}_balance": getattr(account, f"{component}_balance")
            - paid.get(component, ZERO)
            for component in ("fee", "interest", "principal")
        }
    if rest > 0:
        allocations.append(
            Allocation(payment=payment, component=Allocation.Component.CREDIT, amount=rest)
        )
    Allocation.objects.bulk_create(allocations)

    applied = payment.amount - rest
    paid_off = sum(balances.values(), ZERO) == 0
    data: dict[str, object] = {
        **balances,
        # Nothing can be past due on a balance of zero, whatever the last statement said.
        "past_due_amount": ZERO if paid_off else max(ZERO, account.past_due_amount - applied),
        "minimum_due": ZERO if paid_off else max(ZERO, account.minimum_due - applied),
    }
    received_on = business_day(payment.received_at)
    if account.last_payment_date is None or received_on >= account.last_payment_date:
        data.update(last_payment_date=received_on, last_payment_amount=payment.amount)
    account = account_update(account=account, by=by, data=data)
    if plan is not None:
        if all(row.paid_amount == row.amount for row in rows):
            _plan_complete(plan, by=by, now=now, as_of=as_of)
        else:
            plan_reage(plan, reason=ReAge.Reason.PLAN_PAYMENT, by=by, now=now, as_of=as_of)
    elif _settlement_payment(account, payment, by=by, now=now):
        pass  # paid the settlement in full: the account is settled (or paid) and closed
    elif paid_off and account.stage in OPEN_STAGES:
        account_closed_out(account, stage=Stage.PAID, reason=ReAge.Reason.PAID_OFF, by=by, now=now)


def _balances_less(account: Account, amount: Decimal) -> dict[str, Decimal]:
    """Take ``amount`` off the fee, interest and principal balances in that order, not below 0."""
    balances = {}
    for field in ("fee_balance", "interest_balance", "principal_balance"):
        take = min(amount, getattr(account, field))
        balances[field] = getattr(account, field) - take
        amount -= take
    return balances
