"""Reads for the plans app: payments and promises of an account, plan options, the agreement's
figures and the builder's preview."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from accounts.models import Account
from core.money import display_places
from plans.affordability import PlanOptions, largest_installment, plan_options
from plans.budget import Budget, customer_budget
from plans.concessions import ConcessionError, principal_after_concessions
from plans.models import (
    ZERO,
    HardshipArrangement,
    Installment,
    Payment,
    Plan,
    PlanPolicy,
    PromiseToPay,
    Settlement,
)
from plans.schedule import Frequency, Method, Schedule
from plans.services import (
    plan_exceeds_authority,
    plan_needs_approval,
    plan_terms,
    schedule_build,
)


def payments_of(account: Account) -> QuerySet[Payment]:
    return (
        Payment.objects.filter(account=account)
        .select_related("account", "created_by")
        .prefetch_related("allocations__installment")
    )


def promises_of(account: Account) -> QuerySet[PromiseToPay]:
    return PromiseToPay.objects.filter(account=account).select_related("account", "created_by")


def settlements_of(account: Account) -> QuerySet[Settlement]:
    return Settlement.objects.filter(account=account).select_related(
        "account", "proposed_by", "approved_by"
    )


def hardship_of(account: Account) -> QuerySet[HardshipArrangement]:
    return HardshipArrangement.objects.filter(account=account).select_related(
        "account", "created_by", "ended_by"
    )


def _principal_after_concessions(account: Account, **concessions: Decimal) -> Decimal:
    return principal_after_concessions(
        principal_balance=account.principal_balance,
        interest_balance=account.interest_balance,
        fee_balance=account.fee_balance,
        currency=account.currency,
        **concessions,
    )


@dataclass(frozen=True)
class AccountPlanOptions:
    account: Account
    policy: PlanPolicy
    principal: Decimal
    budget: Budget
    min_installment: Decimal
    result: PlanOptions

    @property
    def disposable_income(self) -> Decimal | None:
        """Declared income less expenses, less the customer's other plans (``plans.budget``)."""
        return self.budget.disposable

    @property
    def max_installments(self) -> int:
        return self.policy.effective_max_installments


def plan_options_for_account(
    account: Account,
    *,
    start_date: date,
    method: str = Method.EQUAL_INSTALLMENT,
    annual_rate: Decimal | None = None,
    period_fee_rate: Decimal | None = None,
    frequency: str = Frequency.MONTHLY,
    day_count: str = "30/360",
    rounding: str = "half_up",
    principal: Decimal | None = None,
    waived_interest: Decimal = ZERO,
    waived_fees: Decimal = ZERO,
    principal_reduction: Decimal = ZERO,
) -> AccountPlanOptions:
    """Options over the account's balance after the concessions (or over ``principal``) against
    the customer's declared income and expenses and the jurisdiction's limits. Raises
    ScheduleError (a ConcessionError for concessions the balances cannot give)."""
    customer = account.customer
    policy = PlanPolicy.for_jurisdiction(customer.jurisdiction)
    if principal is None:
        principal = _principal_after_concessions(
            account,
            waived_interest=waived_interest,
            waived_fees=waived_fees,
            principal_reduction=principal_reduction,
        )
    minimum = policy.min_installment(account.currency)
    terms = plan_terms(
        principal=principal,
        method=method,
        installments=1,
        start_date=start_date,
        currency=account.currency,
        annual_rate=annual_rate,
        period_fee_rate=period_fee_rate,
        frequency=frequency,
        day_count=day_count,
        rounding=rounding,
    )
    budget = customer_budget(account, policy)
    result = plan_options(
        terms,
        disposable_income=budget.disposable,
        share=policy.affordability_share,
        min_installment=minimum,
        max_installments=policy.effective_max_installments,
        places=display_places(account.currency),
    )
    return AccountPlanOptions(
        account=account,
        policy=policy,
        principal=principal,
        budget=budget,
        min_installment=minimum,
        result=result,
    )


def plan_with_schedule(pk: int) -> Plan:
    return (
        Plan.objects.select_related(
            "account__customer", "account__team", "proposed_by", "approved_by", "replaced_by"
        )
        .prefetch_related("installments", "events__by")
        .get(pk=pk)
    )


def _display(value: Decimal, currency: str) -> str:
    """A printed amount: thousands separators and the currency's places (10,661.86)."""
    places = display_places(currency)
    return f"{value:,.{places}f}"


def rate_percent(fraction: Decimal) -> Decimal:
    """A rate from the engine (a fraction) as a percentage to two places, for tables."""
    return (fraction * 100).quantize(Decimal("0.01"))


def _percent(rate: Decimal | None) -> str | None:
    """A fraction as a percentage with at least two places and no precision lost (7.355)."""
    if rate is None:
        return None
    value = rate * 100
    places = max(2, -value.normalize().as_tuple().exponent)
    return f"{value:.{places}f}"


@dataclass(frozen=True)
class AgreementRow:
    number: int
    due_date: date
    principal: str
    interest: str
    fee: str
    amount: str
    paid: str
    status: str
    is_down_payment: bool


def agreement_context(plan: Plan) -> dict:
    """Everything the printable agreement shows, formatted once here rather than in the page."""
    currency = plan.currency
    rows: list[Installment] = list(plan.installments.all())
    policy = PlanPolicy.for_jurisdiction(plan.account.customer.jurisdiction)
    return {
        "policy": policy,
        "plan": plan,
        "account": plan.account,
        "customer": plan.account.customer,
        "currency": currency,
        "in_force": plan.status not in ("draft", "pending_approval", "cancelled"),
        "needs_approval": plan.status == "draft" and plan_needs_approval(plan),
        "apr_percent": _percent(plan.apr),
        "annual_rate_percent": _percent(plan.annual_rate) if plan.annual_rate else None,
        "period_fee_rate_percent": _percent(plan.period_fee_rate) if plan.period_fee_rate else None,
        "regular_installment": _display(
            next((r.amount for r in rows if r.number == 1), Decimal(0)), currency
        ),
        "figures": {
            "principal": _display(plan.principal, currency),
            "down_payment": _display(plan.down_payment, currency),
            "amount_financed": _display(plan.amount_financed, currency),
            "total_interest": _display(plan.total_interest, currency),
            "total_fees": _display(plan.total_fees, currency),
            "finance_charge": _display(plan.total_interest + plan.total_fees, currency),
            "total_payable": _display(plan.total_payable, currency),
            "paid": _display(sum((r.paid_amount for r in rows), Decimal(0)), currency),
            "outstanding": _display(
                sum((r.amount - r.paid_amount for r in rows), Decimal(0)), currency
            ),
            "waived_interest": _display(plan.waived_interest, currency),
            "waived_fees": _display(plan.waived_fees, currency),
            "principal_reduction": _display(plan.principal_reduction, currency),
            "concessions_total": _display(plan.concessions_total, currency),
        },
        "rows": [
            AgreementRow(
                number=row.number,
                due_date=row.due_date,
                principal=_display(row.principal, currency),
                interest=_display(row.interest, currency),
                fee=_display(row.fee, currency),
                amount=_display(row.amount, currency),
                paid=_display(row.paid_amount, currency),
                status=row.get_status_display(),
                is_down_payment=row.number == 0,
            )
            for row in rows
        ],
    }


@dataclass(frozen=True)
class PlanPreview:
    """What typed-in terms would give: the schedule (or why not), the concessions, whether a
    supervisor must approve, and the installment the customer's declared budget allows."""

    schedule: Schedule | None
    principal: Decimal | None  # None when the balances cannot give the concessions
    concessions_total: Decimal
    principal_reduction: Decimal
    needs_approval: bool
    budget: Decimal | None
    affordable: bool | None
    error: str = ""

    @property
    def apr_percent(self) -> Decimal | None:
        return None if self.schedule is None else rate_percent(self.schedule.apr)

    @property
    def total_cost(self) -> Decimal | None:
        if self.schedule is None:
            return None
        return self.schedule.total_interest + self.schedule.total_fees


def plan_preview(
    account: Account,
    *,
    proposed_by,
    start_date: date,
    method: str,
    installments: int,
    frequency: str,
    first_due_date: date | None,
    down_payment: Decimal,
    waived_interest: Decimal,
    waived_fees: Decimal,
    principal_reduction: Decimal = ZERO,
    annual_rate: Decimal | None = None,
    period_fee_rate: Decimal | None = None,
) -> PlanPreview:
    """The schedule the terms would have, from the pure engine; nothing is saved."""
    draft = Plan(
        account=account,
        proposed_by=proposed_by,
        waived_interest=waived_interest,
        waived_fees=waived_fees,
        principal_reduction=principal_reduction,
    )
    policy = PlanPolicy.for_jurisdiction(account.customer.jurisdiction)
    common = {
        "concessions_total": draft.concessions_total,
        "principal_reduction": principal_reduction,
        "needs_approval": plan_exceeds_authority(draft),
        "budget": None,
        "affordable": None,
    }
    try:
        principal = _principal_after_concessions(
            account,
            waived_interest=waived_interest,
            waived_fees=waived_fees,
            principal_reduction=principal_reduction,
        )
    except ConcessionError as error:
        return PlanPreview(schedule=None, principal=None, error=error.message, **common)
    common["principal"] = principal
    try:
        schedule = schedule_build(
            plan_terms(
                principal=principal,
                method=method,
                installments=installments,
                start_date=start_date,
                currency=account.currency,
                frequency=frequency,
                first_due_date=first_due_date,
                down_payment=down_payment,
                annual_rate=annual_rate,
                period_fee_rate=period_fee_rate,
            ),
            max_installments=policy.effective_max_installments,
        )
    except ValidationError as error:
        return PlanPreview(schedule=None, error=" ".join(error.messages), **common)
    budget = customer_budget(account, policy).per_period(frequency, account.currency)
    common["budget"] = budget
    common["affordable"] = None if budget is None else largest_installment(schedule) <= budget
    # An installment the customer cannot afford goes to a supervisor, whoever proposes it.
    common["needs_approval"] = common["needs_approval"] or common["affordable"] is False
    return PlanPreview(schedule=schedule, **common)
