"""Plan options side by side and the shortest affordable term (PLANS.md "Limits").

Pure: the caller passes the amount, the customer's disposable income and the jurisdiction's
limits; each option is a full schedule from the engine, so its installment, total cost and APR
are the numbers the plan would have.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import ROUND_DOWN, Decimal

from plans.schedule import Frequency, Schedule, ScheduleError, Terms, build_schedule

# The terms shown side by side (in installments), cut at the jurisdiction's maximum.
OPTION_TERMS = (3, 6, 9, 12, 18, 24, 36, 48, 60)


@dataclass(frozen=True)
class PlanOption:
    installments: int
    installment: Decimal  # the largest installment: what the customer must manage each period
    total_cost: Decimal  # interest + fees
    total_payable: Decimal
    apr: Decimal
    affordable: bool | None  # None when the customer has not declared income and expenses
    schedule: Schedule


@dataclass(frozen=True)
class PlanOptions:
    options: tuple[PlanOption, ...]
    recommended: PlanOption | None  # the shortest affordable term, None if none fits
    budget: Decimal | None  # the most an installment may be, per period


def installment_budget(
    disposable_income: Decimal | None, share: Decimal, frequency: Frequency, places: int
) -> Decimal | None:
    """Disposable monthly income × share, per period of ``frequency`` (rounded down)."""
    if disposable_income is None:
        return None
    monthly = max(disposable_income, Decimal("0")) * share
    per_period = monthly * 12 / Frequency(frequency).periods_per_year
    return per_period.quantize(Decimal(1).scaleb(-places), rounding=ROUND_DOWN)


def monthly_equivalent(amount: Decimal, frequency: Frequency) -> Decimal:
    """What an installment of ``frequency`` costs a month (exact: 26 fortnightly a year = 26/12
    a month); only the budget built from it is rounded."""
    return amount * Frequency(frequency).periods_per_year / 12


def largest_installment(schedule: Schedule) -> Decimal:
    return max(row.amount for row in schedule.installments)


def smallest_installment(schedule: Schedule) -> Decimal:
    """The smallest regular installment: the last one only absorbs rounding, so it is left out."""
    rows = schedule.installments
    regular = rows[:-1] if len(rows) > 1 else rows
    return min(row.amount for row in regular)


def meets_minimum(schedule: Schedule, minimum: Decimal) -> bool:
    return len(schedule.installments) == 1 or smallest_installment(schedule) >= minimum


def plan_options(
    terms: Terms,
    *,
    disposable_income: Decimal | None,
    share: Decimal,
    min_installment: Decimal,
    max_installments: int,
    places: int,
    option_terms: tuple[int, ...] = OPTION_TERMS,
) -> PlanOptions:
    """Options for ``terms`` at each of ``option_terms`` (``terms.installments`` is ignored).

    Terms the engine refuses or whose installment falls below the minimum are left out. The
    recommendation is the shortest term from 1 to the maximum whose largest installment fits the
    budget, added to the options if it is not one of them. A ScheduleError about anything other
    than the number of installments (a missing rate, a bad date) is raised to the caller.
    """
    budget = installment_budget(disposable_income, share, terms.frequency, places)
    counts = sorted({n for n in option_terms if n <= max_installments} | {max_installments})

    def option(n: int) -> PlanOption | None:
        try:
            schedule = build_schedule(replace(terms, installments=n), max_installments=n)
        except ScheduleError as error:
            if error.field == "installments":
                return None
            raise
        if not meets_minimum(schedule, min_installment):
            return None
        largest = largest_installment(schedule)
        return PlanOption(
            installments=n,
            installment=largest,
            total_cost=schedule.total_interest + schedule.total_fees,
            total_payable=schedule.total_payable,
            apr=schedule.apr,
            affordable=None if budget is None else largest <= budget,
            schedule=schedule,
        )

    options = {n: o for n in counts if (o := option(n)) is not None}
    recommended = None
    if budget is not None:
        # Longer terms lower the installment, so the first fit is the shortest; the options
        # already computed are reused.
        for n in range(1, max_installments + 1):
            candidate = options.get(n) or option(n)
            if candidate is not None and candidate.affordable:
                recommended = candidate
                options[n] = candidate
                break
    return PlanOptions(
        options=tuple(options[n] for n in sorted(options)),
        recommended=recommended,
        budget=budget,
    )
