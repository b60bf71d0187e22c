"""Plan options (pure): terms side by side, limits, and the shortest affordable term."""

from datetime import date
from decimal import Decimal

import pytest

from plans.affordability import installment_budget, plan_options
from plans.schedule import Frequency, Method, ScheduleError, Terms

TERMS = Terms(
    principal=Decimal("10000.00"),
    method=Method.EQUAL_INSTALLMENT,
    annual_rate=Decimal("0.12"),
    installments=1,
    start_date=date(2026, 12, 1),
)


def options(**overrides):
    arguments = {
        "disposable_income": Decimal("1000.00"),
        "share": Decimal("0.50"),
        "min_installment": Decimal("25.00"),
        "max_installments": 60,
        "places": 2,
    }
    arguments.update(overrides)
    terms = arguments.pop("terms", TERMS)
    return plan_options(terms, **arguments)


def test_the_budget_is_a_share_of_disposable_income_per_period():
    assert installment_budget(Decimal("1000"), Decimal("0.5"), Frequency.MONTHLY, 2) == Decimal(
        "500.00"
    )
    # 500 a month is 6,000 a year: 230.76… every two weeks, rounded down.
    assert installment_budget(Decimal("1000"), Decimal("0.5"), Frequency.BIWEEKLY, 2) == Decimal(
        "230.76"
    )
    assert installment_budget(Decimal("-50"), Decimal("0.5"), Frequency.MONTHLY, 2) == 0
    assert installment_budget(None, Decimal("0.5"), Frequency.MONTHLY, 2) is None


def test_the_shortest_affordable_term_is_recommended():
    result = options()
    assert result.recommended.installments == 23
    assert result.recommended.installment <= Decimal("500.00")
    assert [o.installments for o in result.options] == [3, 6, 9, 12, 18, 23, 24, 36, 48, 60]
    twelve = next(o for o in result.options if o.installments == 12)
    assert (twelve.installment, twelve.total_cost, twelve.apr, twelve.affordable) == (
        Decimal("888.49"),
        Decimal("661.86"),
        Decimal("0.1200"),
        False,
    )


def test_the_maximum_term_cuts_the_options():
    result = options(max_installments=20)
    assert [o.installments for o in result.options] == [3, 6, 9, 12, 18, 20]
    assert result.recommended is None  # 20 months is still above the budget


def test_terms_below_the_minimum_installment_are_left_out():
    small = Terms(
        principal=Decimal("300.00"),
        method=Method.INTEREST_FREE,
        installments=1,
        start_date=date(2026, 12, 1),
    )
    result = options(terms=small)
    assert [o.installments for o in result.options] == [1, 3, 6, 9, 12]
    assert result.recommended.installments == 1
    assert max(o.installments for o in result.options) * Decimal("25.00") <= Decimal("300.00")


def test_without_declared_income_nothing_is_recommended():
    result = options(disposable_income=None)
    assert result.recommended is None
    assert result.budget is None
    assert {o.affordable for o in result.options} == {None}


def test_a_missing_rate_is_an_error_for_the_caller():
    terms = Terms(
        principal=Decimal("1000.00"),
        method=Method.FLAT_FEE,
        installments=1,
        start_date=date(2026, 12, 1),
    )
    with pytest.raises(ScheduleError) as excinfo:
        options(terms=terms)
    assert excinfo.value.field == "period_fee_rate"
