"""Hardship programmes: arrange one, end it (revert, or convert to a plan draft).

Lock order as for every plan write: the account, then the arrangement. What an arrangement
changes while it runs is in ``HardshipArrangement``'s docstring: a reduced payment sets the
account's minimum due (restored at the end), an interest freeze is a recorded instruction to the
core system. Its review lands in the work queue on ``review_on`` (``workspace.urgency``).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import OPEN_STAGES, Account, Role, User
from accounts.services import account_update, acting_as
from core.business_calendar import business_day_or_today
from plans.models import (
    OPEN_PLAN_STATUSES,
    HardshipArrangement,
    HardshipKind,
    HardshipOutcome,
    HardshipStatus,
    Plan,
    PlanPolicy,
    PlanStatus,
)
from plans.schedule import Method, add_months
from plans.services.errors import ConflictError
from plans.services.inputs import _money, _require_role, locked_with_account
from plans.services.plans import _reason, plan_create


class HardshipStateError(ConflictError):
    def __init__(self, arrangement: HardshipArrangement, message: str) -> None:
        super().__init__(message, status=arrangement.status)


def _locked(arrangement: HardshipArrangement) -> HardshipArrangement:
    return locked_with_account(arrangement, "account__customer")


def _save(arrangement: HardshipArrangement, by: User | None, fields: list[str]) -> None:
    with acting_as(by):
        arrangement.save(update_fields=[*fields, "updated_at"])


@transaction.atomic
def hardship_create(
    *,
    account: Account,
    by: User,
    kind: str,
    months: int,
    reason: str,
    monthly_amount: Decimal | None = None,
    review_on: date | None = None,
    now: datetime | None = None,
) -> HardshipArrangement:
    """Arrange a reduced payment or an interest freeze for ``months`` from today (at most the
    policy's maximum), reviewed on ``review_on`` (default: its last day)."""
    _require_role(
        by, Role.SPECIALIST, Role.SUPERVISOR, Role.ADMIN, message=_("You need a Settle role.")
    )
    today = business_day_or_today(now)
    now = now or timezone.now()
    account = (
        Account.objects.select_for_update(of=("self",))
        .select_related("customer")
        .get(pk=account.pk)
    )
    if account.stage not in OPEN_STAGES:
        message = _(
            "The account is %(stage)s; hardship arrangements are for accounts in collections."
        ) % {"stage": account.get_stage_display().lower()}
        raise ValidationError({"account": [message]})
    if kind not in HardshipKind.values:
        raise ValidationError(
            {"kind": [_("Must be one of %(values)s.") % {"values": ", ".join(HardshipKind.values)}]}
        )
    limit = PlanPolicy.for_jurisdiction(account.customer.jurisdiction).max_hardship_months
    if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= limit:
        raise ValidationError(
            {"months": [_("Must be a whole number from 1 to %(limit)s.") % {"limit": limit}]}
        )
    if kind == HardshipKind.REDUCED_PAYMENT:
        if monthly_amount is None:
            raise ValidationError(
                {"monthly_amount": [_("A reduced payment needs the monthly amount.")]}
            )
        _money(monthly_amount, "monthly_amount", account.currency, positive=True)
        if monthly_amount >= account.total_balance:
            raise ValidationError(
                {
                    "monthly_amount": [
                        _("Must be less than the balance of %(balance)s %(currency)s.")
                        % {"balance": account.total_balance, "currency": account.currency}
                    ]
                }
            )
    elif monthly_amount is not None:
        raise ValidationError({"monthly_amount": [_("Only a reduced payment has an amount.")]})
    reason = _reason(reason)
    ends_on = add_months(today, months, today.day)
    if review_on is None:
        review_on = ends_on
    if not isinstance(review_on, date) or isinstance(review_on, datetime):
        raise ValidationError({"review_on": [_("Must be a date.")]})
    if not today <= review_on <= ends_on:
        raise ValidationError(
            {
                "review_on": [
                    _("Must be from today (%(today)s) to the end (%(end)s).")
                    % {"today": today, "end": ends_on}
                ]
            }
        )
    plan = Plan.objects.filter(account=account, status__in=OPEN_PLAN_STATUSES).first()
    if plan is not None:
        raise ConflictError(
            _(
                "The account has plan %(plan)s, which is %(status)s; reschedule it (a payment"
                " holiday) or end it first."
            )
            % {"plan": plan.pk, "status": PlanStatus(plan.status).label.lower()},
            plan=plan.pk,
        )
    same = HardshipArrangement.objects.filter(
        account=account, kind=kind, status=HardshipStatus.ACTIVE
    ).first()
    if same is not None:
        raise ConflictError(
            _("The account already has an active %(kind)s arrangement (%(id)s).")
            % {"kind": HardshipKind(kind).label.lower(), "id": same.pk},
            hardship=same.pk,
        )
    arrangement = HardshipArrangement(
        account=account,
        kind=kind,
        monthly_amount=monthly_amount,
        months=months,
        starts_on=today,
        ends_on=ends_on,
        review_on=review_on,
        reason=reason,
        created_by=by,
        created_at=now,
    )
    changes: dict[str, object] = {}
    if kind == HardshipKind.REDUCED_PAYMENT:
        arrangement.minimum_due_before = account.minimum_due
        changes["minimum_due"] = monthly_amount
    if account.hardship_declared_at is None:
        changes["hardship_declared_at"] = now
    if changes:
        account_update(account=account, by=by, data=changes)
    with acting_as(by):
        arrangement.save()
    return arrangement


@transaction.atomic
def hardship_end(
    *,
    arrangement: HardshipArrangement,
    by: User,
    outcome: str,
    note: str = "",
    method: str = Method.EQUAL_INSTALLMENT,
    installments: int | None = None,
    annual_rate: Decimal | None = None,
    period_fee_rate: Decimal | None = None,
    first_due_date: date | None = None,
    now: datetime | None = None,
) -> HardshipArrangement:
    """End an active arrangement: ``revert`` to the usual terms, or ``convert`` it into a plan
    draft (``plan_create`` with the terms given) for the customer to accept. All or nothing:
    terms the plan service refuses leave the arrangement running."""
    _require_role(
        by, Role.SPECIALIST, Role.SUPERVISOR, Role.ADMIN, message=_("You need a Settle role.")
    )
    now = now or timezone.now()
    arrangement = _locked(arrangement)
    if arrangement.status != HardshipStatus.ACTIVE:
        raise HardshipStateError(
            arrangement,
            _("Hardship arrangement %(id)s has already ended.") % {"id": arrangement.pk},
        )
    if outcome not in HardshipOutcome.values:
        values = ", ".join(HardshipOutcome.values)
        raise ValidationError({"outcome": [_("Must be one of %(values)s.") % {"values": values}]})
    account = Account.objects.get(pk=arrangement.account_id)
    if arrangement.kind == HardshipKind.REDUCED_PAYMENT:
        before = arrangement.minimum_due_before or account.minimum_due
        account = account_update(
            account=account,
            by=by,
            data={"minimum_due": min(before, account.total_balance)},
        )
    arrangement.status = HardshipStatus.ENDED
    arrangement.outcome = outcome
    arrangement.ended_at = now
    arrangement.ended_by = by
    arrangement.end_note = (note or "").strip()
    fields = ["status", "outcome", "ended_at", "ended_by", "end_note"]
    if outcome == HardshipOutcome.CONVERT:
        if installments is None:  # the transaction rolls back what came before
            raise ValidationError({"installments": [_("A plan needs the number of installments.")]})
        arrangement.plan = plan_create(
            account=account,
            by=by,
            method=method,
            installments=installments,
            annual_rate=annual_rate,
            period_fee_rate=period_fee_rate,
            first_due_date=first_due_date,
            now=now,
        )
        fields.append("plan")
    _save(arrangement, by, fields)
    return arrangement
