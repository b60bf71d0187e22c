"""Rescheduling: new terms for an active or broken plan (API.md "The life of a case").

The old plan is closed as ``rescheduled`` before the new one exists, in one transaction, so the
account never has two open plans, not even between two statements. The new plan restructures
what is unpaid of the old one (``plans.reschedule``), starts today, keeps the old plan's
frequency, day count and rounding, and goes through the same authority and affordability
checks as a submitted plan: active at once within the proposer's authority, else pending a
supervisor's approval. Both plans get an event; the account stays on plan and is re-aged
against the new plan when it starts.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from accounts.services import account_update
from core.business_calendar import business_day_or_today
from plans.models import Plan, PlanEvent, PlanPolicy, PlanStatus
from plans.reschedule import Arrears, first_due_after_holiday, restructure, unpaid_of
from plans.services.errors import ConflictError, PlanStateError
from plans.services.inputs import _require_role
from plans.services.plans import (
    Action,
    _event,
    _locked,
    _plan_activate,
    _policy,
    _reason,
    _require_no_open_settlement,
    _require_no_other_open_plan,
    _require_no_reduced_payment,
    _require_status,
    _save,
    plan_affordability,
    plan_approval_reasons,
    plan_create,
)

RESCHEDULE_WINDOW = timedelta(days=365)  # "in 12 months"


def reschedules_in_window(account_id: int, now: datetime) -> int:
    """How many times the account's plans were rescheduled in the 12 months before ``now``."""
    return PlanEvent.objects.filter(
        plan__account_id=account_id, action=Action.RESCHEDULED, at__gt=now - RESCHEDULE_WINDOW
    ).count()


def _holiday_months(value: object, policy: PlanPolicy) -> int:
    limit = policy.max_payment_holiday_months
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= limit:
        raise ValidationError(
            {
                "payment_holiday_months": [
                    _("Must be a whole number from 0 to %(limit)s.") % {"limit": limit}
                ]
            }
        )
    return value


@transaction.atomic
def plan_reschedule(
    *,
    plan: Plan,
    by: User,
    installments: int,
    method: str,
    arrears: str,
    reason: str,
    annual_rate: Decimal | None = None,
    period_fee_rate: Decimal | None = None,
    first_due_date: date | None = None,
    payment_holiday_months: int = 0,
    now: datetime | None = None,
) -> Plan:
    """Replace an active or broken plan with new terms; returns the new plan.

    409 (ConflictError) past the policy's number of reschedules in 12 months; a balance that no
    longer matches the active plan is a PlanStateError (409) too, as at activation.
    """
    _require_role(
        by, Role.SPECIALIST, Role.SUPERVISOR, Role.ADMIN, message=_("You need a Settle role.")
    )
    today = business_day_or_today(now)
    now = now or timezone.now()
    old = _locked(plan)
    _require_status(old, (PlanStatus.ACTIVE, PlanStatus.BROKEN), "rescheduled")
    reason = _reason(reason)
    if arrears not in {a.value for a in Arrears}:
        values = ", ".join(a.value for a in Arrears)
        raise ValidationError({"arrears": [_("Must be one of %(values)s.") % {"values": values}]})
    policy = _policy(old)
    months = _holiday_months(payment_holiday_months, policy)
    if isinstance(first_due_date, date) and first_due_date <= today:
        raise ValidationError(
            {"first_due_date": [_("Must be after today (%(today)s).") % {"today": today}]}
        )
    done = reschedules_in_window(old.account_id, now)
    if done >= policy.max_reschedules_per_year:
        raise ConflictError(
            _(
                "The account's plans were rescheduled %(done)s time(s) in the last 12 months;"
                " the policy allows %(limit)s."
            )
            % {"done": done, "limit": policy.max_reschedules_per_year},
            status=old.status,
        )
    _require_no_other_open_plan(old)
    _require_no_open_settlement(old)
    _require_no_reduced_payment(old)
    account = old.account
    unpaid = unpaid_of(old.installments.all(), as_of=today)
    # An active plan's unpaid principal is what the account owes (payments on the plan lower
    # both alike); a broken plan no longer tracks it: what the account owes now is unpaid (with
    # the conditional concessions reinstated when it broke, less what was paid since).
    owed = account.total_balance
    if old.status == PlanStatus.ACTIVE and owed != unpaid.principal:
        raise PlanStateError(
            old,
            _(
                "The account's balance is now %(balance)s, not the %(unpaid)s still unpaid on"
                " plan %(plan)s; cancel it and draft a new one."
            )
            % {"balance": owed, "unpaid": unpaid.principal, "plan": old.pk},
        )
    new_terms = restructure(owed, unpaid.arrears, arrears)
    from_status = old.status
    old.status = PlanStatus.RESCHEDULED
    old.rescheduled_at = now
    _save(old, by, ["status", "rescheduled_at"])
    if new_terms.capitalised:
        account = account_update(
            account=account,
            by=by,
            data={
                "interest_balance": account.interest_balance + unpaid.arrears_interest,
                "fee_balance": account.fee_balance + unpaid.arrears_fee,
            },
        )
    new = plan_create(
        account=account,
        by=by,
        method=method,
        installments=installments,
        annual_rate=annual_rate,
        period_fee_rate=period_fee_rate,
        frequency=old.frequency,
        start_date=today,
        first_due_date=first_due_after_holiday(today, old.frequency, first_due_date, months),
        day_count=old.day_count,
        rounding=old.rounding,
        now=now,
    )
    new.replaces = old
    new.payment_holiday_months = months
    new.arrears_capitalised = new_terms.capitalised
    new.arrears_waived = new_terms.waived
    _save(new, by, ["replaces", "payment_holiday_months", "arrears_capitalised", "arrears_waived"])

    cur = old.currency
    if new_terms.capitalised:
        treated = f"Arrears of {new_terms.capitalised} {cur} capitalised."
    elif new_terms.waived:
        treated = f"Arrears of {new_terms.waived} {cur} waived (a concession)."
    else:
        treated = "No arrears."
    holiday = f" Payment holiday of {months} month(s)." if months else ""
    _event(old, Action.RESCHEDULED, from_status, by, now, f"{reason} Replaced by plan {new.pk}.")
    note = f"Reschedules plan {old.pk}: {reason} {treated}{holiday}"
    reasons = plan_approval_reasons(new)
    new.affordable, _why = plan_affordability(new)
    if reasons:
        new.status = PlanStatus.PENDING_APPROVAL
        new.approval_reason = " ".join(reasons)
        _save(new, by, ["status", "affordable", "approval_reason"])
        _event(new, Action.SUBMITTED, PlanStatus.DRAFT, by, now, f"{note} {new.approval_reason}")
        return new
    _plan_activate(
        new,
        by=by,
        now=now,
        action=Action.ACTIVATED,
        note=f"{note} Within the proposer's authority.",
        extra_fields=["affordable"],
    )
    return new
