"""Writes for plans, payments and promises to pay. Every change goes through one of these.

``plans.py`` holds the plan lifecycle, ``reschedule.py`` rescheduling, ``payments.py`` posting
and allocation, ``promises.py`` promises to pay, ``settlements.py`` settlement offers,
``hardship.py`` hardship arrangements, ``writeoff.py`` write-offs (charge-off); ``errors.py``
and ``inputs.py`` what they share. Callers import from here.
"""

from core.business_calendar import business_day
from plans.services.errors import ConflictError, PaymentConflict, PlanStateError, PromiseConflict
from plans.services.hardship import HardshipStateError, hardship_create, hardship_end
from plans.services.inputs import CLOCK_SKEW
from plans.services.payments import PostedPayment, payment_post
from plans.services.plans import (
    RATE_PLACES,
    accounts_paid_off_close,
    plan_accept,
    plan_affordability,
    plan_approval_reasons,
    plan_approve,
    plan_cancel,
    plan_complete,
    plan_create,
    plan_create_and_submit,
    plan_exceeds_authority,
    plan_needs_approval,
    plan_reage,
    plan_reject,
    plan_submit,
    plan_terms,
    plans_break_overdue,
    plans_reage,
    schedule_build,
)
from plans.services.promises import promise_create, promises_resolve
from plans.services.reschedule import plan_reschedule, reschedules_in_window
from plans.services.settlements import (
    SettlementStateError,
    open_settlement,
    settlement_approve,
    settlement_create,
    settlement_reject,
    settlement_withdraw,
    settlements_lapse,
)
from plans.services.writeoff import (
    WriteOffStateError,
    open_write_off,
    write_off_approve,
    write_off_propose,
    write_off_refusal,
    write_off_reject,
    write_offs_apply_policy,
)

__all__ = [
    "CLOCK_SKEW",
    "RATE_PLACES",
    "ConflictError",
    "HardshipStateError",
    "PaymentConflict",
    "PlanStateError",
    "PostedPayment",
    "PromiseConflict",
    "SettlementStateError",
    "WriteOffStateError",
    "business_day",
    "hardship_create",
    "hardship_end",
    "open_settlement",
    "payment_post",
    "plan_accept",
    "plan_affordability",
    "plan_approval_reasons",
    "plan_approve",
    "plan_cancel",
    "plan_complete",
    "plan_create",
    "plan_create_and_submit",
    "plan_exceeds_authority",
    "plan_needs_approval",
    "plan_reage",
    "plan_reject",
    "plan_reschedule",
    "plan_submit",
    "plan_terms",
    "plans_break_overdue",
    "plans_reage",
    "accounts_paid_off_close",
    "promise_create",
    "promises_resolve",
    "reschedules_in_window",
    "settlement_approve",
    "settlement_create",
    "settlement_reject",
    "settlement_withdraw",
    "settlements_lapse",
    "schedule_build",
    "open_write_off",
    "write_off_approve",
    "write_off_propose",
    "write_off_refusal",
    "write_off_reject",
    "write_offs_apply_policy",
]
