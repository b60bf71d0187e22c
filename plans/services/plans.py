"""The plan lifecycle: create, accept, submit, approve, reject, cancel, complete and break.

Each transition locks the rows it changes, checks the current status, and writes a
``PlanEvent`` plus a django-auditlog entry in the same transaction. Lock order, everywhere: the
account, then the plan, then its installments by number, so two writers never wait on each other
in opposite orders (the nightly break job and a payment posting at the same moment included).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import cast

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, F, Max, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import OPEN_STAGES, Account, Jurisdiction, ReAge, Role, Stage, User
from accounts.services import (
    account_reage,
    account_stage_set,
    account_update,
    acting_as,
    stage_after_plan,
)
from compliance.models import CommunicationRestriction, RestrictionKind
from compliance.services import customer_today
from core.business_calendar import business_day_or_today
from core.money import display_places, round_money
from plans.affordability import largest_installment, meets_minimum, smallest_installment
from plans.budget import customer_budget
from plans.concessions import ConcessionError, principal_after_concessions
from plans.models import (
    OPEN_PLAN_STATUSES,
    OPEN_SETTLEMENT_STATUSES,
    ZERO,
    AcceptanceChannel,
    HardshipArrangement,
    HardshipKind,
    HardshipStatus,
    Installment,
    InstallmentStatus,
    Plan,
    PlanEvent,
    PlanPolicy,
    PlanStatus,
    Settlement,
    SettlementStatus,
)
from plans.reage import plan_delinquent_since, plan_delinquent_since_subquery
from plans.schedule import (
    DayCount,
    Frequency,
    Method,
    Rounding,
    Schedule,
    ScheduleError,
    Terms,
    build_schedule,
)
from plans.services.errors import PlanStateError
from plans.services.inputs import _aware, _money, _require_role, locked_with_account

RATE_PLACES = 6  # Plan.annual_rate and period_fee_rate are stored with six decimals
Action = PlanEvent.Action


# --- Helpers -------------------------------------------------------------------------------
def _require_status(plan: Plan, allowed: tuple[str, ...], doing: str) -> None:
    if plan.status not in allowed:
        wanted = " or ".join(PlanStatus(s).label.lower() for s in allowed)
        raise PlanStateError(
            plan,
            _("Plan %(plan)s is %(status)s; only a %(wanted)s plan can be %(doing)s.")
            % {
                "plan": plan.pk,
                "status": PlanStatus(plan.status).label.lower(),
                "wanted": wanted,
                "doing": doing,
            },
        )


def _locked(plan: Plan) -> Plan:
    """Lock the plan's account, then the plan; return the plan as stored now."""
    return locked_with_account(plan, "account__customer", "proposed_by")


def _policy(plan_or_account: Plan | Account) -> PlanPolicy:
    account = plan_or_account.account if isinstance(plan_or_account, Plan) else plan_or_account
    return PlanPolicy.for_jurisdiction(account.customer.jurisdiction)


def _event(
    plan: Plan, action: str, from_status: str, by: User | None, at: datetime, note: str = ""
) -> PlanEvent:
    return PlanEvent.objects.create(
        plan=plan,
        action=action,
        from_status=from_status,
        to_status=plan.status,
        by=by if by is not None and by.is_authenticated else None,
        at=at,
        note=note,
    )


def _save(plan: Plan, by: User | None, fields: list[str]) -> None:
    with acting_as(by):
        plan.save(update_fields=[*fields, "updated_at"])


# --- Plans ---------------------------------------------------------------------------------
def plan_terms(
    *,
    principal: Decimal,
    method: str,
    installments: int,
    start_date: date,
    currency: str,
    annual_rate: Decimal | None = None,
    period_fee_rate: Decimal | None = None,
    frequency: str = Frequency.MONTHLY,
    first_due_date: date | None = None,
    down_payment: Decimal = ZERO,
    day_count: str = DayCount.THIRTY_360,
    rounding: str = Rounding.HALF_UP,
) -> Terms:
    return Terms(
        principal=principal,
        # Strings from forms and the API; build_schedule validates them into the enums.
        method=cast(Method, method),
        installments=installments,
        start_date=start_date,
        annual_rate=annual_rate,
        period_fee_rate=period_fee_rate,
        frequency=cast(Frequency, frequency),
        first_due_date=first_due_date,
        down_payment=down_payment,
        day_count=cast(DayCount, day_count),
        rounding=cast(Rounding, rounding),
        currency=currency,
    )


def schedule_build(terms: Terms, *, max_installments: int) -> Schedule:
    """The engine's schedule, with its ScheduleError as a ValidationError naming the field."""
    try:
        return build_schedule(terms, max_installments=max_installments)
    except ScheduleError as error:
        raise ValidationError({error.field: [error.message]}) from None


@transaction.atomic
def plan_create(
    *,
    account: Account,
    by: User,
    method: str,
    installments: int,
    annual_rate: Decimal | None = None,
    period_fee_rate: Decimal | None = None,
    principal: Decimal | None = None,
    frequency: str = Frequency.MONTHLY,
    start_date: date | None = None,
    first_due_date: date | None = None,
    down_payment: Decimal = ZERO,
    day_count: str = DayCount.THIRTY_360,
    rounding: str = Rounding.HALF_UP,
    waived_interest: Decimal = ZERO,
    waived_fees: Decimal = ZERO,
    principal_reduction: Decimal = ZERO,
    concessions_conditional: bool = False,
    now: datetime | None = None,
) -> Plan:
    """Schedule the terms with the engine and store the plan as a draft.

    The plan restructures everything the account owes after the concessions, so ``principal``
    defaults to the balance less concessions and, when given, must equal it; each concession is
    at most the balance it waives. The term is capped by the jurisdiction's policy and every
    regular installment must reach its minimum.
    """
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
        stage = account.get_stage_display().lower()
        message = _("The account is %(stage)s; plans are for accounts in collections.") % {
            "stage": stage
        }
        raise ValidationError({"account": [message]})
    currency = account.currency
    concessions = {
        "waived_interest": waived_interest,
        "waived_fees": waived_fees,
        "principal_reduction": principal_reduction,
    }
    for field, value in concessions.items():
        _money(value, field, currency, positive=False)
    try:
        expected = principal_after_concessions(
            principal_balance=account.principal_balance,
            interest_balance=account.interest_balance,
            fee_balance=account.fee_balance,
            currency=currency,
            **concessions,
        )
    except ConcessionError as error:
        # _money has refused negative amounts and extra places: what is left is a concession
        # larger than the balance it comes off.
        message = _("Must not exceed the account's balance of %(balance)s.")
        raise ValidationError({error.field: [message % {"balance": error.balance}]}) from None
    concessions_total = waived_interest + waived_fees + principal_reduction
    if expected <= 0:
        raise ValidationError(
            {"principal": [_("Nothing is left to restructure after the concessions.")]}
        )
    if principal is None:
        principal = expected
    elif principal != expected:
        message = _(
            "Must be the account's balance %(balance)s less the concessions %(concessions)s:"
            " %(expected)s."
        ) % {
            "balance": account.total_balance,
            "concessions": concessions_total,
            "expected": expected,
        }
        raise ValidationError({"principal": [message]})
    start_date = start_date or today
    if isinstance(start_date, date) and start_date < today:
        raise ValidationError(
            {"start_date": [_("Must not be before today (%(today)s).") % {"today": today}]}
        )

    policy = _policy(account)
    terms = plan_terms(
        principal=principal,
        method=method,
        installments=installments,
        start_date=start_date,
        currency=currency,
        annual_rate=annual_rate,
        period_fee_rate=period_fee_rate,
        frequency=frequency,
        first_due_date=first_due_date,
        down_payment=down_payment,
        day_count=day_count,
        rounding=rounding,
    )
    schedule = schedule_build(terms, max_installments=policy.effective_max_installments)
    # After the engine, which has bounded the rates: what the plan stores, it stores exactly.
    for field, rate in (("annual_rate", annual_rate), ("period_fee_rate", period_fee_rate)):
        if rate is not None and rate != round(rate, RATE_PLACES):
            raise ValidationError(
                {field: [_("Use at most %(places)s decimal places.") % {"places": RATE_PLACES}]}
            )
    _require_scra_rate(account, schedule.apr, now)
    minimum = policy.min_installment(currency)
    if not meets_minimum(schedule, minimum):
        message = _(
            "An installment of %(smallest)s is below the minimum of %(minimum)s %(currency)s;"
            " choose fewer installments."
        ) % {"smallest": smallest_installment(schedule), "minimum": minimum, "currency": currency}
        raise ValidationError({"installments": [message]})
    first = schedule.installments[0]
    plan = Plan(
        account=account,
        status=PlanStatus.DRAFT,
        currency=currency,
        method=Method(method),
        principal=principal,
        annual_rate=annual_rate,
        period_fee_rate=period_fee_rate,
        installment_count=installments,
        frequency=Frequency(frequency),
        start_date=start_date,
        first_due_date=first.due_date,
        down_payment=schedule.down_payment,
        day_count=DayCount(day_count),
        rounding=Rounding(rounding),
        amount_financed=schedule.amount_financed,
        total_interest=schedule.total_interest,
        total_fees=schedule.total_fees,
        total_payable=schedule.total_payable,
        apr=schedule.apr,
        waived_interest=waived_interest,
        waived_fees=waived_fees,
        principal_reduction=principal_reduction,
        concessions_conditional=concessions_conditional,
        proposed_by=by,
        created_at=now,
    )
    plan.affordable, _why = plan_affordability(plan, largest=largest_installment(schedule))
    with acting_as(by):
        plan.save()
    rows = []
    if schedule.down_payment > 0:
        rows.append(
            Installment(
                plan=plan,
                number=0,
                due_date=start_date,
                principal=schedule.down_payment,
                amount=schedule.down_payment,
            )
        )
    rows += [
        Installment(
            plan=plan,
            number=row.number,
            due_date=row.due_date,
            principal=row.principal,
            interest=row.interest,
            fee=row.fee,
            amount=row.amount,
        )
        for row in schedule.installments
    ]
    Installment.objects.bulk_create(rows)
    _event(plan, Action.CREATED, "", by, now)
    return plan


#: Servicemembers Civil Relief Act: at most 6 % a year, interest and fees together, on debts
#: incurred before service, while the customer serves (50 U.S.C. 3937(a)).
SCRA_RATE_CAP = Decimal("0.06")


def _require_scra_rate(account: Account, apr: Decimal, now: datetime) -> None:
    """A plan for a customer under a military-service hold costs at most ``SCRA_RATE_CAP``,
    measured as its APR (every cost of the plan, PLANS.md)."""
    if apr <= SCRA_RATE_CAP:
        return
    held = (
        CommunicationRestriction.objects.for_account(account)
        .in_force(customer_today(account.customer, now))
        .filter(
            kind=RestrictionKind.MILITARY_SERVICE,
            effective_from__lte=customer_today(account.customer, now),
        )
    )
    if held.exists():
        raise ValidationError(
            {
                "annual_rate": [
                    _(
                        "The customer is in military service: the plan may cost at most 6%% a"
                        " year (APR) while they serve (50 U.S.C. 3937). This plan's APR is"
                        " %(apr)s%%."
                    )
                    % {"apr": (apr * 100).quantize(Decimal("0.01"))}
                ]
            }
        )


@transaction.atomic
def plan_accept(
    *,
    plan: Plan,
    channel: str,
    accepted_at: datetime,
    by: User,
    reference: str = "",
    now: datetime | None = None,
) -> Plan:
    """Record that the customer accepted the draft's terms: when, how, and the evidence."""
    _require_role(
        by, Role.SPECIALIST, Role.SUPERVISOR, Role.ADMIN, message=_("You need a Settle role.")
    )
    now = now or timezone.now()
    plan = _locked(plan)
    _require_status(plan, (PlanStatus.DRAFT,), "accepted")
    if channel not in AcceptanceChannel.values:
        raise ValidationError(
            {
                "acceptance_channel": [
                    _("Must be one of %(values)s.")
                    % {"values": ", ".join(AcceptanceChannel.values)}
                ]
            }
        )
    _aware(accepted_at, "accepted_at", now)
    if accepted_at < plan.created_at:
        raise ValidationError({"accepted_at": [_("Must not be before the plan was drafted.")]})
    plan.accepted_at = accepted_at
    plan.acceptance_channel = channel
    plan.acceptance_reference = reference.strip()
    plan.acceptance_recorded_by = by
    _save(
        plan,
        by,
        ["accepted_at", "acceptance_channel", "acceptance_reference", "acceptance_recorded_by"],
    )
    # Event notes are audit text in English, whatever the language of the page that asked.
    with translation.override("en"):
        note = f"{AcceptanceChannel(channel).label} at {accepted_at.isoformat()}"
    _event(plan, Action.ACCEPTED, plan.status, by, now, note)
    return plan


@transaction.atomic
def plan_create_and_submit(
    *,
    account: Account,
    by: User,
    submit: bool,
    acceptance_channel: str = "",
    acceptance_reference: str = "",
    now: datetime | None = None,
    **terms,
) -> Plan:
    """Create a plan from ``terms`` (``plan_create``'s arguments) and, with ``submit``, record
    the customer's acceptance and submit it. All or nothing: a plan that cannot be submitted
    is not left behind as a draft."""
    now = now or timezone.now()
    plan = plan_create(account=account, by=by, now=now, **terms)
    if not submit:
        return plan
    plan = plan_accept(
        plan=plan,
        channel=acceptance_channel,
        accepted_at=now,
        by=by,
        reference=acceptance_reference,
        now=now,
    )
    return plan_submit(plan=plan, by=by, now=now)


def plan_affordability(plan: Plan, *, largest: Decimal | None = None) -> tuple[bool | None, str]:
    """Whether the plan's largest regular installment (``largest``, else the stored schedule's)
    fits the customer's budget (``plans.budget``), and when it does not, why. None: the
    customer has declared no income and expenses."""
    if largest is None:
        largest = plan.installments.filter(number__gte=1).aggregate(m=Max("amount"))["m"]
    budget = customer_budget(plan.account, _policy(plan))
    per_period = budget.per_period(plan.frequency, plan.currency)
    if per_period is None or largest is None:
        return None, ""
    if largest <= per_period:
        return True, ""
    places = display_places(plan.currency)
    return False, (
        f"The installment of {largest} {plan.currency} is above the {per_period} the customer"
        f" can afford ({budget.share * 100:.0f} % of a disposable income of"
        f" {round_money(budget.disposable or ZERO, places)} a month after"
        f" {round_money(budget.commitments, places)} on their other accounts)."
    )


def plan_approval_reasons(plan: Plan, *, largest: Decimal | None = None) -> list[str]:
    """Why a supervisor must approve the plan (PLANS.md "Limits"): concessions beyond the
    proposer's authority, or an installment above what the customer can afford, whoever
    proposes it. Empty: the proposer may put it in force."""
    reasons = []
    if plan_exceeds_authority(plan):
        limit = _policy(plan).concession_limit(plan.proposed_by)
        reasons.append(
            f"Concessions of {plan.authority_concessions} {plan.currency} exceed the proposer's"
            f" authority of {limit}."
        )
    affordable, why = plan_affordability(plan, largest=largest)
    if affordable is False:
        reasons.append(why)
    return reasons


def plan_exceeds_authority(plan: Plan) -> bool:
    """Whether the concessions (with any arrears waived) exceed the proposer's authority."""
    limit = _policy(plan).concession_limit(plan.proposed_by)
    return limit is not None and plan.authority_concessions > limit


def plan_needs_approval(plan: Plan, *, largest: Decimal | None = None) -> bool:
    return bool(plan_approval_reasons(plan, largest=largest))


@transaction.atomic
def plan_submit(*, plan: Plan, by: User, now: datetime | None = None) -> Plan:
    """Put an accepted draft in force, or before a supervisor when it exceeds the authority.

    The customer's acceptance comes first, so an approval is the last step before activation.
    """
    _require_role(
        by, Role.SPECIALIST, Role.SUPERVISOR, Role.ADMIN, message=_("You need a Settle role.")
    )
    now = now or timezone.now()
    plan = _locked(plan)
    _require_status(plan, (PlanStatus.DRAFT,), "submitted")
    if plan.accepted_at is None:
        raise PlanStateError(
            plan, _("Record the customer's acceptance before submitting the plan.")
        )
    _require_no_other_open_plan(plan)
    _require_no_open_settlement(plan)
    _require_no_reduced_payment(plan)
    reasons = plan_approval_reasons(plan)
    plan.affordable, _why = plan_affordability(plan)
    if reasons:
        plan.status = PlanStatus.PENDING_APPROVAL
        plan.approval_reason = " ".join(reasons)
        _save(plan, by, ["status", "affordable", "approval_reason"])
        _event(plan, Action.SUBMITTED, PlanStatus.DRAFT, by, now, plan.approval_reason)
        return plan
    _plan_activate(
        plan,
        by=by,
        now=now,
        action=Action.ACTIVATED,
        note=f"Concessions of {plan.concessions_total} {plan.currency} are within the"
        " proposer's authority.",
        extra_fields=["affordable"],
    )
    return plan


@transaction.atomic
def plan_approve(*, plan: Plan, by: User, note: str = "", now: datetime | None = None) -> Plan:
    """A supervisor or admin other than the proposer approves, within their own authority;
    ``note`` (the approver's reason) goes on the approval event, and is required for a plan
    the customer cannot afford."""
    _require_role(
        by,
        Role.SUPERVISOR,
        Role.ADMIN,
        message=_("Only a supervisor or an admin may approve plans."),
    )
    now = now or timezone.now()
    plan = _locked(plan)
    _require_status(plan, (PlanStatus.PENDING_APPROVAL,), "approved")
    _require_no_open_settlement(plan)
    _require_no_reduced_payment(plan)
    if by.pk == plan.proposed_by_id:
        raise PermissionDenied(
            _("You proposed this plan; another supervisor or an admin must approve it.")
        )
    limit = _policy(plan).concession_limit(by)
    if limit is not None and plan.authority_concessions > limit:
        raise PermissionDenied(
            _(
                "The concessions of %(total)s %(currency)s exceed your authority of %(limit)s;"
                " an admin must approve this plan."
            )
            % {"total": plan.authority_concessions, "currency": plan.currency, "limit": limit}
        )
    if plan.affordable is False and not note.strip():
        raise ValidationError(
            {"reason": [_("Give a reason for approving a plan the customer cannot afford.")]}
        )
    plan.approved_by = by
    plan.approved_at = now
    _plan_activate(
        plan,
        by=by,
        now=now,
        action=Action.APPROVED,
        note=note.strip(),
        extra_fields=["approved_by", "approved_at"],
    )
    return plan


@transaction.atomic
def plan_reject(*, plan: Plan, by: User, reason: str, now: datetime | None = None) -> Plan:
    _require_role(
        by,
        Role.SUPERVISOR,
        Role.ADMIN,
        message=_("Only a supervisor or an admin may reject plans."),
    )
    as_of = business_day_or_today(now)
    now = now or timezone.now()
    plan = _locked(plan)
    _require_status(plan, (PlanStatus.PENDING_APPROVAL,), "rejected")
    reason = _reason(reason)
    note = reason
    if plan.replaces_id is not None:  # the plan it replaced has ended: nothing is in force
        note = f"{reason} {_plan_unwind(plan, by=by, now=now, as_of=as_of)}".strip()
    plan.status = PlanStatus.CANCELLED
    plan.cancelled_at = now
    plan.cancel_reason = reason
    _save(plan, by, ["status", "cancelled_at", "cancel_reason"])
    _event(plan, Action.REJECTED, PlanStatus.PENDING_APPROVAL, by, now, note)
    return plan


@transaction.atomic
def plan_cancel(*, plan: Plan, by: User, reason: str, now: datetime | None = None) -> Plan:
    """Withdraw a draft or pending plan, or end an active one (supervisors and admins only).

    An active plan ends like a broken one: conditional concessions come back and the account
    returns to collections.
    """
    _require_role(
        by, Role.SPECIALIST, Role.SUPERVISOR, Role.ADMIN, message=_("You need a Settle role.")
    )
    as_of = business_day_or_today(now)
    now = now or timezone.now()
    plan = _locked(plan)
    _require_status(
        plan, (PlanStatus.DRAFT, PlanStatus.PENDING_APPROVAL, PlanStatus.ACTIVE), "cancelled"
    )
    if plan.status == PlanStatus.ACTIVE and not by.has_role(Role.SUPERVISOR, Role.ADMIN):
        raise PermissionDenied(_("Only a supervisor or an admin may cancel an active plan."))
    reason = _reason(reason)
    from_status = plan.status
    note = reason
    if from_status == PlanStatus.ACTIVE or (
        from_status == PlanStatus.PENDING_APPROVAL and plan.replaces_id is not None
    ):
        note = f"{reason} {_plan_unwind(plan, by=by, now=now, as_of=as_of)}".strip()
    plan.status = PlanStatus.CANCELLED
    plan.cancelled_at = now
    plan.cancel_reason = reason
    _save(plan, by, ["status", "cancelled_at", "cancel_reason", "concessions_reinstated_at"])
    _event(plan, Action.CANCELLED, from_status, by, now, note)
    return plan


@transaction.atomic
def plan_complete(*, plan: Plan, by: User | None = None, now: datetime | None = None) -> Plan:
    """Close an active plan whose installments are all paid (posting does this by itself)."""
    as_of = business_day_or_today(now)
    now = now or timezone.now()
    plan = _locked(plan)
    _require_status(plan, (PlanStatus.ACTIVE,), "completed")
    unpaid = plan.installments.filter(paid_amount__lt=F("amount")).count()
    if unpaid:
        raise PlanStateError(
            plan,
            _("%(unpaid)s installment(s) of plan %(plan)s are still unpaid.")
            % {"unpaid": unpaid, "plan": plan.pk},
        )
    _plan_complete(plan, by=by, now=now, as_of=as_of)
    return plan


def plans_break_overdue(
    *, as_of: date, now: datetime | None = None, by: User | None = None
) -> list[int]:
    """The nightly job: mark missed installments and break the plans that missed too many.

    An installment is missed when it is unpaid after its due date plus the policy's grace days
    (so on ``due + grace + 1``); a plan with the policy's number of missed installments breaks.
    Each plan breaks in its own transaction, re-checked under its locks, so a payment posted
    meanwhile wins and a second run does nothing. Returns the ids of the plans broken.
    """
    now = now or timezone.now()
    broken = []
    for jurisdiction in Jurisdiction.values:
        policy = PlanPolicy.for_jurisdiction(jurisdiction)
        cutoff = as_of - timedelta(days=policy.grace_days)  # due before cutoff = past grace
        overdue = Q(due_date__lt=cutoff, paid_amount__lt=F("amount"))
        in_scope = Q(
            plan__status=PlanStatus.ACTIVE, plan__account__customer__jurisdiction=jurisdiction
        )
        Installment.objects.filter(in_scope & overdue).exclude(
            status=InstallmentStatus.MISSED
        ).update(status=InstallmentStatus.MISSED)
        candidates = (
            Plan.objects.filter(
                status=PlanStatus.ACTIVE, account__customer__jurisdiction=jurisdiction
            )
            .annotate(
                missed=Count(
                    "installments",
                    filter=Q(
                        installments__due_date__lt=cutoff,
                        installments__paid_amount__lt=F("installments__amount"),
                    ),
                )
            )
            .filter(missed__gte=policy.missed_installments_to_break)
            .order_by("pk")
        )
        for plan in candidates:
            if _plan_break(plan, policy=policy, as_of=as_of, by=by, now=now):
                broken.append(plan.pk)
    return broken


@transaction.atomic
def _plan_break(
    plan: Plan, *, policy: PlanPolicy, as_of: date, by: User | None, now: datetime
) -> bool:
    cutoff = as_of - timedelta(days=policy.grace_days)
    plan = _locked(plan)
    if plan.status != PlanStatus.ACTIVE:
        return False
    missed = list(
        plan.installments.filter(due_date__lt=cutoff, paid_amount__lt=F("amount"))
        .order_by("number")
        .values_list("number", flat=True)
    )
    if len(missed) < policy.missed_installments_to_break:
        return False
    note = (
        f"Installment(s) {', '.join(map(str, missed))} unpaid after {policy.grace_days} grace"
        f" days. {_plan_unwind(plan, by=by, now=now, as_of=as_of)}"
    ).strip()
    plan.status = PlanStatus.BROKEN
    plan.broken_at = now
    _save(plan, by, ["status", "broken_at", "concessions_reinstated_at"])
    _event(plan, Action.BROKEN, PlanStatus.ACTIVE, by, now, note)
    return True


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Give a reason.")]})
    return reason


def _require_no_open_settlement(plan: Plan) -> None:
    """Payments count towards a plan or a settlement, never both: a plan starts only once the
    account's settlement offer has ended."""
    settlement = Settlement.objects.filter(
        account_id=plan.account_id, status__in=OPEN_SETTLEMENT_STATUSES
    ).first()
    if settlement is not None:
        raise PlanStateError(
            plan,
            _(
                "The account has settlement offer %(settlement)s, which is %(status)s; withdraw"
                " it first."
            )
            % {
                "settlement": settlement.pk,
                "status": SettlementStatus(settlement.status).label.lower(),
            },
        )


def _require_no_reduced_payment(plan: Plan) -> None:
    """A reduced-payment hardship arrangement says what the customer pays meanwhile; a plan
    starts once it has ended (converting it drafts the plan)."""
    arrangement = HardshipArrangement.objects.filter(
        account_id=plan.account_id,
        kind=HardshipKind.REDUCED_PAYMENT,
        status=HardshipStatus.ACTIVE,
    ).first()
    if arrangement is not None:
        raise PlanStateError(
            plan,
            _(
                "The account has an active reduced-payment hardship arrangement"
                " (%(id)s); end it first."
            )
            % {"id": arrangement.pk},
        )


def _require_no_other_open_plan(plan: Plan) -> None:
    other = (
        Plan.objects.filter(account_id=plan.account_id, status__in=OPEN_PLAN_STATUSES)
        .exclude(pk=plan.pk)
        .first()
    )
    if other is not None:
        raise PlanStateError(
            plan,
            _("The account already has plan %(plan)s, which is %(status)s; cancel it first.")
            % {"plan": other.pk, "status": PlanStatus(other.status).label.lower()},
        )


def _plan_activate(
    plan: Plan,
    *,
    by: User | None,
    now: datetime,
    action: str,
    note: str = "",
    extra_fields: list[str] | None = None,
) -> None:
    """Put the plan in force: concessions come off the balances, the account goes on plan.

    The balances must still be the ones the plan was drafted on: a payment or a feed update in
    between would make the plan restructure the wrong amount.
    """
    account = plan.account
    owed = plan.principal + plan.concessions_total
    balances = {
        "interest_balance": account.interest_balance - plan.waived_interest,
        "fee_balance": account.fee_balance - plan.waived_fees,
        "principal_balance": account.principal_balance - plan.principal_reduction,
    }
    if account.total_balance != owed or min(balances.values()) < 0:
        raise PlanStateError(
            plan,
            _(
                "The account's balance is now %(balance)s, not the %(owed)s plan %(plan)s was"
                " drafted on; cancel it and draft a new one."
            )
            % {"balance": account.total_balance, "owed": owed, "plan": plan.pk},
        )
    if plan.concessions_total:
        account_update(account=account, by=by, data=balances)
    account_stage_set(account=account, stage=Stage.ON_PLAN, by=by)
    from_status = plan.status
    plan.status = PlanStatus.ACTIVE
    plan.activated_at = now
    _save(plan, by, ["status", "activated_at", *(extra_fields or [])])
    _event(plan, action, from_status, by, now, note)
    plan_reage(plan, reason=ReAge.Reason.PLAN_ACTIVATED, by=by, now=now)


def plan_reage(
    plan: Plan, *, reason: str, by: User | None, now: datetime, as_of: date | None = None
) -> ReAge | None:
    """Measure the account of an active plan against the plan (``plans.reage``) on ``as_of``
    (the business day of ``now`` by default)."""
    unpaid = plan.installments.filter(paid_amount__lt=F("amount")).values_list(
        "due_date", flat=True
    )
    measured = plan_delinquent_since(unpaid, as_of or business_day_or_today(now))
    return account_reage(
        account=plan.account,
        delinquent_since=measured,
        reason=reason,
        by=by,
        now=now,
        plan_id=plan.pk,
    )


def plans_reage(*, as_of: date, now: datetime | None = None) -> int:
    """The nightly job: re-age the accounts whose plan installments fell past due (or were
    paid) since their date was last set. Returns how many accounts changed; a rerun, none."""
    now = now or timezone.now()
    rows = (
        Plan.objects.filter(status=PlanStatus.ACTIVE)
        .annotate(measured=plan_delinquent_since_subquery(as_of, account_ref="account_id"))
        .values_list("pk", "account_id", "account__delinquent_since", "measured")
        .order_by("account_id")
    )
    changed = 0
    for plan_id, account_id, stored, measured in rows.iterator(chunk_size=5000):
        if stored == measured:
            continue
        reason = (
            ReAge.Reason.PLAN_CURRENT if measured is None else ReAge.Reason.PLAN_INSTALLMENT_MISSED
        )
        with transaction.atomic():
            plan = _locked(Plan(pk=plan_id, account_id=account_id))
            if plan.status != PlanStatus.ACTIVE:  # ended meanwhile
                continue
            if plan_reage(plan, reason=reason, by=None, now=now, as_of=as_of) is not None:
                changed += 1
    return changed


def _ancestors(plan: Plan) -> list[Plan]:
    """The plans ``plan`` rescheduled, newest first."""
    chain: list[Plan] = []
    current = plan
    while current.replaces_id is not None:
        current = Plan.objects.get(pk=current.replaces_id)
        chain.append(current)
    return chain


def _plan_unwind(plan: Plan, *, by: User | None, now: datetime, as_of: date) -> str:
    """A plan ends unfinished (broken, cancelled while active, or a replacement rejected):
    reinstate the conditional concessions in force along its chain of reschedules, back to
    collections."""
    notes = []
    account = Account.objects.get(pk=plan.account_id)
    for granted in [plan, *_ancestors(plan)]:
        if (
            granted.activated_at is None  # never in force: its concessions never came off
            or not granted.concessions_conditional
            or not granted.concessions_total
            or granted.concessions_reinstated_at is not None
        ):
            continue
        account = account_update(
            account=account,
            by=by,
            data={
                "interest_balance": account.interest_balance + granted.waived_interest,
                "fee_balance": account.fee_balance + granted.waived_fees,
                "principal_balance": account.principal_balance + granted.principal_reduction,
            },
        )
        granted.concessions_reinstated_at = now
        total = f"{granted.concessions_total} {granted.currency}"
        if granted is plan:  # the caller saves the plan it ends
            notes.append(f"Conditional concessions of {total} reinstated.")
        else:
            _save(granted, by, ["concessions_reinstated_at"])
            notes.append(f"Conditional concessions of {total} of plan {granted.pk} reinstated.")
    if account.re_ages.exists() and account.original_delinquent_since is not None:
        # Collections resume with the debt's own history, not the plan's.
        account_reage(
            account=account,
            delinquent_since=account.original_delinquent_since,
            reason=ReAge.Reason.PLAN_ENDED,
            by=by,
            now=now,
            plan_id=plan.pk,
        )
        account.refresh_from_db()
    if account.stage == Stage.ON_PLAN:
        account_stage_set(account=account, stage=stage_after_plan(account, as_of=as_of), by=by)
    return " ".join(notes)


def _plan_complete(plan: Plan, *, by: User | None, now: datetime, as_of: date) -> None:
    """All paid: the concessions become final and a fully paid account is settled."""
    plan.status = PlanStatus.COMPLETED
    plan.completed_at = now
    _save(plan, by, ["status", "completed_at"])
    _event(plan, Action.COMPLETED, PlanStatus.ACTIVE, by, now)
    account = Account.objects.get(pk=plan.account_id)
    if account.stage != Stage.ON_PLAN:
        return
    if account.total_balance == 0:
        # Paid what the plan asked: in full, or for less than was owed (concessions along the
        # chain of reschedules, or arrears waived: settled).
        settled = any(
            p.arrears_waived > 0
            or (p.concessions_total > 0 and p.concessions_reinstated_at is None)
            for p in [plan, *_ancestors(plan)]
        )
        account_closed_out(
            account,
            stage=Stage.SETTLED if settled else Stage.PAID,
            reason=ReAge.Reason.SETTLED if settled else ReAge.Reason.PAID_OFF,
            by=by,
            now=now,
            plan_id=plan.pk,
        )
    else:
        account_stage_set(account=account, stage=stage_after_plan(account, as_of=as_of), by=by)


def accounts_paid_off_close(*, as_of: date, now: datetime | None = None) -> int:
    """The nightly step for balances paid off outside Settle (the bank's feed, an adjustment):
    an open account that owes nothing and has no open plan or settlement offer (their own
    payments close those) leaves the open stages as ``paid``. Each in its own transaction,
    re-checked under its lock; a second run does nothing. Returns how many closed."""
    now = now or timezone.now()
    candidates = (
        Account.objects.open()
        .filter(principal_balance=0, interest_balance=0, fee_balance=0)
        .exclude(plans__status__in=OPEN_PLAN_STATUSES)
        .exclude(settlements__status__in=OPEN_SETTLEMENT_STATUSES)
        .order_by("id")
        .values_list("pk", flat=True)
    )
    closed = 0
    for pk in list(candidates):
        with transaction.atomic():
            account = Account.objects.select_for_update().get(pk=pk)
            if account.stage not in OPEN_STAGES or account.total_balance != 0:
                continue
            account_closed_out(
                account, stage=Stage.PAID, reason=ReAge.Reason.PAID_OFF, by=None, now=now
            )
            closed += 1
    return closed


def account_closed_out(
    account: Account,
    *,
    stage: str,
    reason: str,
    by: User | None,
    now: datetime,
    plan_id: int | None = None,
) -> None:
    """Nothing is owed any more: the account leaves the open stages and is current. Its bucket
    stay is closed by the nightly bucket moves (exit to the stage)."""
    account_reage(
        account=account, delinquent_since=None, reason=reason, by=by, now=now, plan_id=plan_id
    )
    account_stage_set(account=account, stage=stage, by=by)
