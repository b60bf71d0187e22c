"""Settlement offers: propose, approve, reject, withdraw; payments towards them; lapses.

Lock order as for every plan write: the account, then the settlement. A settlement is offered
at once within the proposer's authority (the discount, as a share of the balance, for the
account's bucket: ``PlanPolicy.settlement_discount_limit``) and the customer's budget
(``plans.budget``), else it waits for a supervisor. The customer accepts by paying: every
payment posted while it is offered or accepted counts towards it (``payment_post`` calls
``_settlement_payment`` after allocating the payment to the balances as usual). Paid in full,
whatever is left of the balance is written off and the account is settled
(``account_closed_out``). The nightly ``settlements_lapse`` ends the ones not accepted by
``expires_on`` or with an installment missed.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import delinquency
from accounts.models import OPEN_STAGES, Account, ReAge, Role, Stage, User
from accounts.services import account_update, acting_as
from core.business_calendar import business_day, business_day_or_today
from core.money import display_places, round_money
from plans.budget import customer_budget
from plans.models import (
    OPEN_PLAN_STATUSES,
    OPEN_SETTLEMENT_STATUSES,
    PAYABLE_SETTLEMENT_STATUSES,
    ZERO,
    Payment,
    Plan,
    PlanStatus,
    Settlement,
    SettlementStatus,
)
from plans.services.errors import ConflictError
from plans.services.inputs import _money, _require_role, locked_with_account
from plans.services.plans import _policy, _reason, account_closed_out
from plans.settlement import (
    SettlementTermsError,
    discount_share,
    lapse_reason,
    settlement_schedule,
)


class SettlementStateError(ConflictError):
    """A transition asked of a settlement in the wrong state (409 naming the status)."""

    def __init__(self, settlement: Settlement, message: str) -> None:
        super().__init__(message, status=settlement.status)


def _require_status(settlement: Settlement, allowed: tuple[str, ...], doing: str) -> None:
    if settlement.status not in allowed:
        wanted = " or ".join(SettlementStatus(s).label.lower() for s in allowed)
        raise SettlementStateError(
            settlement,
            _(
                "Settlement %(settlement)s is %(status)s; only a %(wanted)s settlement can be"
                " %(doing)s."
            )
            % {
                "settlement": settlement.pk,
                "status": SettlementStatus(settlement.status).label.lower(),
                "wanted": wanted,
                "doing": doing,
            },
        )


def _locked(settlement: Settlement) -> Settlement:
    return locked_with_account(settlement, "account__customer", "proposed_by")


def _save(settlement: Settlement, by: User | None, fields: list[str]) -> None:
    with acting_as(by):
        settlement.save(update_fields=[*fields, "updated_at"])


def _date(value: object, field: str, today: date) -> date:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise ValidationError({field: [_("Must be a date.")]})
    if value < today:
        raise ValidationError(
            {field: [_("Must not be before today (%(today)s).") % {"today": today}]}
        )
    return value


def open_settlement(account: Account | int) -> Settlement | None:
    return Settlement.objects.filter(account=account, status__in=OPEN_SETTLEMENT_STATUSES).first()


def schedule_of(settlement: Settlement):
    return settlement_schedule(
        settlement.amount,
        settlement.installment_count,
        settlement.first_due_date,
        settlement.currency,
    )


def settlement_approval_reasons(settlement: Settlement) -> list[str]:
    """Why a supervisor must approve the offer: a discount beyond the proposer's authority for
    the account's bucket, or an installment the customer cannot afford."""
    reasons = []
    account = settlement.account
    policy = _policy(account)
    limit = policy.settlement_discount_limit(settlement.proposed_by, settlement.bucket)
    share = discount_share(settlement.balance, settlement.amount)
    if limit is not None and share > limit:
        reasons.append(
            f"A discount of {settlement.discount} {settlement.currency} ({share * 100:.2f} % of"
            f" the balance) exceeds the proposer's authority of {limit * 100:.2f} % in bucket"
            f" {settlement.bucket}."
        )
    if settlement.affordable is False:
        largest = max(due.amount for due in schedule_of(settlement))
        budget = customer_budget(account, policy)
        places = display_places(settlement.currency)
        reasons.append(
            f"The installment of {largest} {settlement.currency} is above the"
            f" {budget.per_period('monthly', settlement.currency)} the customer can afford"
            f" ({budget.share * 100:.0f} % of a disposable income of"
            f" {round_money(budget.disposable or ZERO, places)} a month after"
            f" {round_money(budget.commitments, places)} on their other accounts)."
        )
    return reasons


# --- Propose -----------------------------------------------------------------------------------
@transaction.atomic
def settlement_create(
    *,
    account: Account,
    by: User,
    amount: Decimal,
    first_due_date: date,
    expires_on: date,
    installments: int = 1,
    now: datetime | None = None,
) -> Settlement:
    """Offer to settle the account for ``amount`` (less than its balance): offered at once
    within the proposer's authority and the customer's budget, else pending approval."""
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
        message = _("The account is %(stage)s; settlements are for accounts in collections.") % {
            "stage": account.get_stage_display().lower()
        }
        raise ValidationError({"account": [message]})
    currency = account.currency
    _money(amount, "amount", currency, positive=True)
    balance = account.total_balance
    if amount >= balance:
        raise ValidationError(
            {
                "amount": [
                    _("Must be less than the balance of %(balance)s %(currency)s.")
                    % {"balance": balance, "currency": currency}
                ]
            }
        )
    policy = _policy(account)
    limit = policy.effective_max_installments
    if isinstance(installments, bool) or not isinstance(installments, int):
        raise ValidationError({"installments": [_("Must be a whole number.")]})
    if not 1 <= installments <= limit:
        raise ValidationError(
            {"installments": [_("Must be from 1 to %(limit)s.") % {"limit": limit}]}
        )
    first_due_date = _date(first_due_date, "first_due_date", today)
    expires_on = _date(expires_on, "expires_on", today)
    try:
        schedule = settlement_schedule(amount, installments, first_due_date, currency)
    except SettlementTermsError as error:
        raise ValidationError({error.field: [error.message]}) from None
    plan = Plan.objects.filter(account=account, status__in=OPEN_PLAN_STATUSES).first()
    if plan is not None:
        raise ConflictError(
            _("The account has plan %(plan)s, which is %(status)s; end it before a settlement.")
            % {"plan": plan.pk, "status": PlanStatus(plan.status).label.lower()},
            plan=plan.pk,
        )
    other = open_settlement(account)
    if other is not None:
        raise ConflictError(
            _("The account already has settlement %(settlement)s, which is %(status)s.")
            % {"settlement": other.pk, "status": SettlementStatus(other.status).label.lower()},
            settlement=other.pk,
        )
    settlement = Settlement(
        account=account,
        currency=currency,
        balance=balance,
        amount=amount,
        discount=balance - amount,
        bucket=delinquency.bucket_for(
            delinquency.days_past_due(account.delinquent_since, today)
        ).code,
        installment_count=installments,
        first_due_date=first_due_date,
        expires_on=expires_on,
        proposed_by=by,
        created_at=now,
    )
    largest = max(due.amount for due in schedule)
    settlement.affordable = customer_budget(account, policy).affordable(
        largest, "monthly", currency
    )
    reasons = settlement_approval_reasons(settlement)
    if reasons:
        settlement.status = SettlementStatus.PENDING_APPROVAL
        settlement.approval_reason = " ".join(reasons)
    else:
        settlement.status = SettlementStatus.OFFERED
        settlement.offered_at = now
    with acting_as(by):
        settlement.save()
    return settlement


# --- Decide ------------------------------------------------------------------------------------
@transaction.atomic
def settlement_approve(
    *, settlement: Settlement, by: User, note: str = "", now: datetime | None = None
) -> Settlement:
    """A supervisor or admin other than the proposer offers it, within their own authority; a
    reason is required when the customer cannot afford the installment."""
    _require_role(
        by,
        Role.SUPERVISOR,
        Role.ADMIN,
        message=_("Only a supervisor or an admin may approve settlements."),
    )
    today = business_day_or_today(now)
    now = now or timezone.now()
    settlement = _locked(settlement)
    _require_status(settlement, (SettlementStatus.PENDING_APPROVAL,), "approved")
    if by.pk == settlement.proposed_by_id:
        raise PermissionDenied(
            _("You proposed this settlement; another supervisor or an admin must approve it.")
        )
    limit = _policy(settlement.account).settlement_discount_limit(by, settlement.bucket)
    if limit is not None and discount_share(settlement.balance, settlement.amount) > limit:
        raise PermissionDenied(
            _(
                "A discount of %(discount)s %(currency)s exceeds your authority in bucket"
                " %(bucket)s; an admin must approve this settlement."
            )
            % {
                "discount": settlement.discount,
                "currency": settlement.currency,
                "bucket": settlement.bucket,
            }
        )
    if settlement.expires_on < today:
        raise SettlementStateError(
            settlement,
            _("The offer expired on %(date)s; propose a new one.")
            % {"date": settlement.expires_on},
        )
    note = (note or "").strip()
    if settlement.affordable is False and not note:
        raise ValidationError(
            {"reason": [_("Give a reason for approving a settlement the customer cannot afford.")]}
        )
    settlement.status = SettlementStatus.OFFERED
    settlement.approved_by = by
    settlement.approved_at = now
    settlement.offered_at = now
    settlement.decision_note = note
    _save(settlement, by, ["status", "approved_by", "approved_at", "offered_at", "decision_note"])
    return settlement


@transaction.atomic
def settlement_reject(
    *, settlement: Settlement, by: User, reason: str, now: datetime | None = None
) -> Settlement:
    _require_role(
        by,
        Role.SUPERVISOR,
        Role.ADMIN,
        message=_("Only a supervisor or an admin may reject settlements."),
    )
    now = now or timezone.now()
    settlement = _locked(settlement)
    _require_status(settlement, (SettlementStatus.PENDING_APPROVAL,), "rejected")
    return _settlement_end(settlement, SettlementStatus.REJECTED, _reason(reason), by, now)


@transaction.atomic
def settlement_withdraw(
    *, settlement: Settlement, by: User, reason: str, now: datetime | None = None
) -> Settlement:
    """Take back an offer (any role) or end an accepted one (supervisors and admins)."""
    _require_role(
        by, Role.SPECIALIST, Role.SUPERVISOR, Role.ADMIN, message=_("You need a Settle role.")
    )
    now = now or timezone.now()
    settlement = _locked(settlement)
    _require_status(
        settlement,
        (SettlementStatus.PENDING_APPROVAL, SettlementStatus.OFFERED, SettlementStatus.ACCEPTED),
        "withdrawn",
    )
    if settlement.status == SettlementStatus.ACCEPTED and not by.has_role(
        Role.SUPERVISOR, Role.ADMIN
    ):
        raise PermissionDenied(
            _("Only a supervisor or an admin may withdraw a settlement the customer accepted.")
        )
    return _settlement_end(settlement, SettlementStatus.WITHDRAWN, _reason(reason), by, now)


def _settlement_end(
    settlement: Settlement, status: str, reason: str, by: User | None, now: datetime
) -> Settlement:
    """It ends without settling: payments made stay on the balances, nothing is written off."""
    settlement.status = status
    settlement.ended_at = now
    settlement.end_reason = reason
    _save(settlement, by, ["status", "ended_at", "end_reason"])
    return settlement


# --- Payments and lapses -------------------------------------------------------------------------
def _lapse_reason(settlement: Settlement, *, as_of: date, grace_days: int) -> str:
    return lapse_reason(
        payable=settlement.status in PAYABLE_SETTLEMENT_STATUSES,
        expires_on=settlement.expires_on,
        schedule=schedule_of(settlement),
        paid=settlement.paid_amount,
        as_of=as_of,
        grace_days=grace_days,
    )


def _settlement_payment(
    account: Account, payment: Payment, *, by: User | None, now: datetime
) -> bool:
    """Count a payment (already allocated to the balances, account locked) towards the
    account's settlement, unless the settlement had lapsed by the day the payment was received.
    Paid in full: write off what is left of the balance and settle the account. Returns True
    when it closed the account."""
    settlement = (
        Settlement.objects.select_for_update()
        .filter(account=account, status__in=PAYABLE_SETTLEMENT_STATUSES)
        .first()
    )
    if settlement is None:
        return False
    grace = _policy(account).grace_days
    lapsed = _lapse_reason(settlement, as_of=business_day(payment.received_at), grace_days=grace)
    if lapsed:  # too late for this one: it lapsed before the payment came
        _settlement_end(settlement, SettlementStatus.LAPSED, lapsed, None, now)
        return False
    settlement.paid_amount += payment.amount
    fields = ["paid_amount"]
    if settlement.status == SettlementStatus.OFFERED:
        settlement.status = SettlementStatus.ACCEPTED
        settlement.accepted_at = now
        fields += ["status", "accepted_at"]
    if settlement.paid_amount < settlement.amount:
        _save(settlement, by, fields)
        return False
    account = Account.objects.get(pk=account.pk)
    written_off = account.total_balance
    if written_off > 0:
        account = account_update(
            account=account,
            by=by,
            data={
                "principal_balance": ZERO,
                "interest_balance": ZERO,
                "fee_balance": ZERO,
                "past_due_amount": ZERO,
                "minimum_due": ZERO,
            },
        )
    settlement.status = SettlementStatus.SETTLED
    settlement.settled_at = now
    settlement.written_off = written_off
    _save(settlement, by, [*fields, "status", "settled_at", "written_off"])
    if account.stage in OPEN_STAGES:
        account_closed_out(
            account,
            stage=Stage.SETTLED if written_off else Stage.PAID,
            reason=ReAge.Reason.SETTLED if written_off else ReAge.Reason.PAID_OFF,
            by=by,
            now=now,
        )
    return True


def settlements_lapse(*, as_of: date, now: datetime | None = None) -> int:
    """The nightly job: end the open settlements not accepted by ``expires_on`` or with an
    installment missed. Each in its own transaction, re-checked under its locks (a payment
    posted meanwhile wins); a second run does nothing. Returns how many lapsed."""
    now = now or timezone.now()
    candidates = (
        Settlement.objects.filter(status__in=OPEN_SETTLEMENT_STATUSES)
        .filter(Q(expires_on__lt=as_of) | Q(first_due_date__lt=as_of))
        .order_by("account_id")
        .values_list("pk", flat=True)
    )
    lapsed = 0
    for pk in list(candidates):
        with transaction.atomic():
            settlement = _locked(Settlement.objects.only("account_id").get(pk=pk))
            if settlement.status not in OPEN_SETTLEMENT_STATUSES:
                continue
            grace = _policy(settlement.account).grace_days
            reason = _lapse_reason(settlement, as_of=as_of, grace_days=grace)
            if reason:
                _settlement_end(settlement, SettlementStatus.LAPSED, reason, None, now)
                lapsed += 1
    return lapsed
