"""The schedule engine against PLANS.md: worked example, day counts, rounding, dates, APR.

Pure tests: no database, no Django. Expected numbers are literals worked by hand, or are
recomputed here independently of the engine: amounts with exact rationals (fractions.Fraction),
APRs with the actuarial equation written out term by term and solved by plain bisection.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, localcontext
from fractions import Fraction

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from plans.schedule import (
    DayCount,
    Frequency,
    Method,
    Rounding,
    Schedule,
    ScheduleError,
    Terms,
    annual_percentage_rate,
    build_schedule,
    currency_places,
    round_money,
    unit_periods,
)

START = date(2026, 12, 1)


def worked_example(**overrides: object) -> Terms:
    """PLANS.md: 10,000.00 at 12 % a year, 12 monthly installments, 30/360, half up."""
    terms: dict[str, object] = {
        "principal": Decimal("10000.00"),
        "method": Method.EQUAL_INSTALLMENT,
        "annual_rate": Decimal("0.12"),
        "installments": 12,
        "start_date": START,
    }
    terms.update(overrides)
    return Terms(**terms)  # type: ignore[arg-type]


def half_up(value: Fraction, places: int = 2) -> Decimal:
    """Round an exact rational half up, independently of Decimal.quantize."""
    scaled = value * 10**places
    whole = int(scaled)  # truncates toward zero; amounts here are non-negative
    if scaled - whole >= Fraction(1, 2):
        whole += 1
    return Decimal(whole).scaleb(-places)


def actuarial_residual(
    amount_financed: Decimal,
    payments: list[Decimal],
    first_whole: int,
    odd: Fraction,
    unit_rate: Decimal,
) -> Decimal:
    """Appendix J: sum P_k / ((1 + f*i)(1 + i)^t_k) - F, written out term by term at 50 digits."""
    with localcontext() as ctx:
        ctx.prec = 50
        f = Decimal(odd.numerator) / Decimal(odd.denominator)
        present_value = sum(
            (
                payment / ((1 + f * unit_rate) * (1 + unit_rate) ** (first_whole + k))
                for k, payment in enumerate(payments)
            ),
            Decimal(0),
        )
        return present_value - amount_financed


def exact_unit_rate(
    amount_financed: Decimal, payments: list[Decimal], first_whole: int = 1
) -> Decimal:
    """The root by plain bisection (no odd period), to check the engine's Newton solver."""
    low, high = Decimal(0), Decimal(1)
    for _ in range(120):
        middle = (low + high) / 2
        if actuarial_residual(amount_financed, payments, first_whole, Fraction(0), middle) > 0:
            low = middle
        else:
            high = middle
    return low


def amounts(schedule: Schedule) -> list[Decimal]:
    return [row.amount for row in schedule.installments]


# --- PLANS.md worked example -------------------------------------------------------------------


def test_worked_example_matches_plans_md_to_the_cent() -> None:
    schedule = build_schedule(worked_example())
    first, second = schedule.installments[:2]

    assert first.amount == Decimal("888.49")
    assert (first.interest, first.principal, first.balance_after) == (
        Decimal("100.00"),
        Decimal("788.49"),
        Decimal("9211.51"),
    )
    assert (second.interest, second.principal) == (Decimal("92.12"), Decimal("796.37"))
    assert all(row.amount == Decimal("888.49") for row in schedule.installments[:-1])
    assert schedule.total_interest == Decimal("661.86")
    assert schedule.total_payable == Decimal("10661.86")
    assert schedule.total_principal == schedule.amount_financed == Decimal("10000.00")
    assert schedule.total_fees == Decimal("0.00")
    assert schedule.apr == Decimal("0.1200")


def test_last_installment_takes_the_remaining_principal() -> None:
    schedule = build_schedule(worked_example())
    *_, eleventh, last = schedule.installments

    assert last.principal == eleventh.balance_after == Decimal("879.67")
    assert last.interest == Decimal("8.80")
    assert last.amount == Decimal("888.47")  # differs from A = 888.49 by the rounding drift
    assert last.balance_after == Decimal("0.00")


def test_due_dates_run_monthly_from_one_period_after_the_start() -> None:
    schedule = build_schedule(worked_example())

    assert [row.due_date for row in schedule.installments][:3] == [
        date(2027, 1, 1),
        date(2027, 2, 1),
        date(2027, 3, 1),
    ]
    assert schedule.installments[-1].due_date == date(2027, 12, 1)


def test_amounts_are_decimals_at_the_currencys_places() -> None:
    schedule = build_schedule(worked_example())

    row = schedule.installments[0]
    assert str(row.fee) == "0.00"
    assert all(isinstance(value, Decimal) for value in (row.principal, row.interest, row.amount))


# --- APR ---------------------------------------------------------------------------------------


def test_flat_fee_apr_is_the_true_rate_not_the_nominal_fee() -> None:
    """PLANS.md: a 0.6 % monthly fee over 12 months is an APR of about 0.1303, not 0.072."""
    terms = Terms(
        principal=Decimal("10000.00"),
        method=Method.FLAT_FEE,
        period_fee_rate=Decimal("0.006"),
        installments=12,
        start_date=START,
    )
    schedule = build_schedule(terms)

    assert all(row.fee == Decimal("60.00") and row.interest == 0 for row in schedule.installments)
    assert schedule.installments[0].principal == Decimal("833.33")
    assert schedule.installments[-1].principal == Decimal("833.37")
    assert schedule.total_fees == Decimal("720.00")
    root = exact_unit_rate(Decimal("10000.00"), amounts(schedule)) * 12  # 0.130341828...
    assert abs(schedule.apr - root) <= Decimal("0.0001")
    assert schedule.apr == Decimal("0.1303")


def test_interest_free_plan_has_a_zero_apr() -> None:
    terms = worked_example(method=Method.INTEREST_FREE, annual_rate=None)
    schedule = build_schedule(terms)

    assert schedule.apr == Decimal("0.0000")
    assert schedule.total_payable == Decimal("10000.00")


def test_equal_installment_apr_is_the_root_of_the_actuarial_equation() -> None:
    schedule = build_schedule(worked_example())
    payments = amounts(schedule)
    root = exact_unit_rate(Decimal("10000.00"), payments) * 12  # 0.120001146...

    assert abs(schedule.apr - root) <= Decimal("0.0001")


def test_odd_first_period_counts_as_a_fraction_of_a_month() -> None:
    # Start 1 Dec, first due 16 Jan: one whole month back from 16 Jan to 16 Dec, 15 odd days.
    terms = worked_example(first_due_date=date(2027, 1, 16))
    schedule = build_schedule(terms)
    payments = amounts(schedule)

    assert unit_periods(START, date(2027, 1, 16), Frequency.MONTHLY) == (1, Decimal(15) / 30)
    low = (schedule.apr - Decimal("0.0001")) / 12
    high = (schedule.apr + Decimal("0.0001")) / 12
    assert actuarial_residual(Decimal("10000.00"), payments, 1, Fraction(15, 30), low) > 0
    assert actuarial_residual(Decimal("10000.00"), payments, 1, Fraction(15, 30), high) < 0
    # 30/360 charges one month's interest for 1.5 months, so the true rate is below 12 %.
    assert schedule.apr < Decimal("0.1200")


@pytest.mark.parametrize(
    ("start", "first_due", "frequency", "expected"),
    [
        (date(2027, 1, 15), date(2027, 3, 1), Frequency.MONTHLY, (1, Fraction(17, 30))),
        (date(2027, 1, 15), date(2027, 2, 1), Frequency.MONTHLY, (0, Fraction(17, 30))),
        (date(2027, 1, 15), date(2027, 2, 15), Frequency.MONTHLY, (1, Fraction(0))),
        (date(2027, 1, 31), date(2027, 2, 28), Frequency.MONTHLY, (1, Fraction(0))),
        (date(2027, 1, 31), date(2027, 3, 1), Frequency.MONTHLY, (1, Fraction(1, 30))),
        (date(2027, 1, 1), date(2027, 1, 11), Frequency.WEEKLY, (1, Fraction(3, 7))),
        (date(2027, 1, 1), date(2027, 1, 15), Frequency.BIWEEKLY, (1, Fraction(0))),
        (date(2027, 1, 1), date(2027, 1, 22), Frequency.BIWEEKLY, (1, Fraction(7, 14))),
    ],
)
def test_unit_periods_count_whole_periods_back_from_the_due_date(
    start: date, first_due: date, frequency: Frequency, expected: tuple[int, Fraction]
) -> None:
    whole, odd = unit_periods(start, first_due, frequency)

    assert whole == expected[0]
    assert abs(Fraction(odd) - expected[1]) < Fraction(1, 10**20)


def test_apr_helper_can_be_called_without_a_schedule() -> None:
    apr = annual_percentage_rate(
        Decimal("10000.00"),
        [Decimal("888.49")] * 11 + [Decimal("888.47")],
        start_date=START,
        first_due_date=date(2027, 1, 1),
        frequency=Frequency.MONTHLY,
    )

    assert apr == Decimal("0.1200")


def test_apr_helper_rejects_payments_below_the_amount_financed() -> None:
    with pytest.raises(ValueError, match="less than the amount financed"):
        annual_percentage_rate(
            Decimal("100.00"),
            [Decimal("40.00")] * 2,
            start_date=START,
            first_due_date=date(2027, 1, 1),
        )


# --- Day counts --------------------------------------------------------------------------------


def test_actual_365_interest_uses_the_days_in_each_period() -> None:
    terms = Terms(
        principal=Decimal("1200.00"),
        method=Method.EQUAL_PRINCIPAL,
        annual_rate=Decimal("0.10"),
        installments=3,
        start_date=date(2027, 1, 15),
        day_count=DayCount.ACTUAL_365,
    )
    schedule = build_schedule(terms)

    # 15 Jan -> 15 Feb: 31 days on 1200; -> 15 Mar: 28 days on 800; -> 15 Apr: 31 days on 400.
    expected = [
        half_up(Fraction(1200) * Fraction(10, 100) * 31 / 365),  # 10.19178... -> 10.19
        half_up(Fraction(800) * Fraction(10, 100) * 28 / 365),  # 6.13698... -> 6.14
        half_up(Fraction(400) * Fraction(10, 100) * 31 / 365),  # 3.39726... -> 3.40
    ]
    assert expected == [Decimal("10.19"), Decimal("6.14"), Decimal("3.40")]
    assert [row.interest for row in schedule.installments] == expected
    assert [row.principal for row in schedule.installments] == [Decimal("400.00")] * 3
    assert [row.amount for row in schedule.installments] == [
        Decimal("410.19"),
        Decimal("406.14"),
        Decimal("403.40"),
    ]


def test_actual_360_level_payment_discounts_each_period_at_its_own_rate() -> None:
    terms = Terms(
        principal=Decimal("3000.00"),
        method=Method.EQUAL_INSTALLMENT,
        annual_rate=Decimal("0.09"),
        installments=3,
        start_date=date(2027, 1, 31),
        first_due_date=date(2027, 2, 28),
        day_count=DayCount.ACTUAL_360,
    )
    schedule = build_schedule(terms)

    # Due 28 Feb, 28 Mar, 28 Apr: 28, 28 and 31 days; r_k = 9 % * days / 360.
    rates = [Fraction(9, 100) * days / 360 for days in (28, 28, 31)]
    discount, discount_sum = Fraction(1), Fraction(0)
    for rate in rates:
        discount /= 1 + rate
        discount_sum += discount
    payment = half_up(Fraction(3000) / discount_sum)
    balance = Fraction(3000)
    expected_interest = []
    for rate in rates:
        interest = half_up(balance * rate)
        expected_interest.append(interest)
        balance -= Fraction(payment) - Fraction(interest)

    assert payment == Decimal("1014.28")
    assert [row.interest for row in schedule.installments] == expected_interest
    assert [row.amount for row in schedule.installments[:2]] == [payment, payment]
    assert schedule.installments[-1].principal == schedule.installments[1].balance_after
    assert schedule.total_principal == Decimal("3000.00")


def test_thirty_360_charges_a_full_period_whatever_the_days() -> None:
    # February is 28 days, but 30/360 still charges annual_rate / 12 on the balance.
    terms = worked_example(start_date=date(2027, 1, 31))
    schedule = build_schedule(terms)

    assert schedule.installments[0].due_date == date(2027, 2, 28)
    assert schedule.installments[0].interest == Decimal("100.00")


# --- Rounding and currencies -------------------------------------------------------------------


def test_half_even_and_half_up_settle_a_half_cent_split_differently() -> None:
    terms = Terms(
        principal=Decimal("100.01"), method=Method.INTEREST_FREE, installments=2, start_date=START
    )

    up = build_schedule(terms)
    even = build_schedule(replace(terms, rounding=Rounding.HALF_EVEN))

    # 100.01 / 2 = 50.005: half up takes 50.01 first, half even 50.00; the last takes the rest.
    assert amounts(up) == [Decimal("50.01"), Decimal("50.00")]
    assert amounts(even) == [Decimal("50.00"), Decimal("50.01")]


def test_half_even_and_half_up_settle_a_half_cent_interest_differently() -> None:
    terms = Terms(
        principal=Decimal("1001.00"),
        method=Method.EQUAL_PRINCIPAL,
        annual_rate=Decimal("0.06"),
        installments=1,
        start_date=START,
    )

    up = build_schedule(terms)
    even = build_schedule(replace(terms, rounding=Rounding.HALF_EVEN))

    # 1001.00 * 0.06 / 12 = 5.005 exactly.
    assert up.installments[0].interest == Decimal("5.01")
    assert even.installments[0].interest == Decimal("5.00")


def test_round_money_knows_the_places_and_the_mode() -> None:
    assert round_money(Decimal("2.345"), 2) == Decimal("2.35")
    assert round_money(Decimal("2.345"), 2, Rounding.HALF_EVEN) == Decimal("2.34")
    assert round_money(Decimal("2.5"), 0, Rounding.HALF_EVEN) == Decimal("2")
    assert str(round_money(Decimal("7"), 2)) == "7.00"


def test_yen_plans_have_no_minor_unit() -> None:
    terms = worked_example(principal=Decimal("100000"), currency="JPY")
    schedule = build_schedule(terms)

    # A = 100000 * 0.01 / (1 - 1.01^-12) = 8884.878... -> 8885 yen.
    assert schedule.installments[0].amount == Decimal("8885")
    assert schedule.installments[0].interest == Decimal("1000")
    every_amount = [
        value
        for row in schedule.installments
        for value in (row.principal, row.interest, row.fee, row.amount, row.balance_after)
    ]
    assert all(value.as_tuple().exponent == 0 for value in every_amount)
    assert sum(row.principal for row in schedule.installments) == Decimal("100000")
    assert currency_places("JPY") == 0
    assert currency_places("CNY") == currency_places("USD") == 2


def test_down_payment_reduces_the_amount_financed() -> None:
    schedule = build_schedule(
        worked_example(principal=Decimal("12000.00"), down_payment=Decimal("2000.00"))
    )

    assert schedule.down_payment == Decimal("2000.00")
    assert schedule.amount_financed == schedule.total_principal == Decimal("10000.00")
    assert schedule.installments[0].amount == Decimal("888.49")
    assert schedule.total_payable == Decimal("12661.86")  # down payment + installments
    assert schedule.apr == Decimal("0.1200")  # the down payment is not credit


# --- Frequencies and dates ---------------------------------------------------------------------


def test_biweekly_plans_fall_due_every_fourteen_days_at_a_26th_of_the_rate() -> None:
    terms = Terms(
        principal=Decimal("2600.00"),
        method=Method.EQUAL_PRINCIPAL,
        annual_rate=Decimal("0.13"),
        installments=4,
        frequency=Frequency.BIWEEKLY,
        start_date=START,
    )
    schedule = build_schedule(terms)

    assert [row.due_date for row in schedule.installments] == [
        START + timedelta(days=14 * k) for k in range(1, 5)
    ]
    assert schedule.installments[0].interest == Decimal("13.00")  # 2600 * 0.13 / 26
    assert schedule.apr == Decimal("0.1300")


def test_weekly_plans_fall_due_every_seven_days_at_a_52nd_of_the_rate() -> None:
    terms = Terms(
        principal=Decimal("5200.00"),
        method=Method.EQUAL_INSTALLMENT,
        annual_rate=Decimal("0.052"),
        installments=10,
        frequency=Frequency.WEEKLY,
        start_date=START,
    )
    schedule = build_schedule(terms)

    assert [row.due_date for row in schedule.installments][:2] == [
        date(2026, 12, 8),
        date(2026, 12, 15),
    ]
    assert schedule.installments[0].interest == Decimal("5.20")  # 5200 * 0.052 / 52
    assert schedule.apr == Decimal("0.0520")


def test_month_end_due_dates_are_clamped_then_return_to_the_31st() -> None:
    terms = worked_example(
        installments=4, start_date=date(2026, 12, 31), first_due_date=date(2027, 1, 31)
    )
    leap = worked_example(
        installments=2, start_date=date(2027, 12, 31), first_due_date=date(2028, 1, 31)
    )

    assert [row.due_date for row in build_schedule(terms).installments] == [
        date(2027, 1, 31),
        date(2027, 2, 28),
        date(2027, 3, 31),
        date(2027, 4, 30),
    ]
    assert [row.due_date for row in build_schedule(leap).installments] == [
        date(2028, 1, 31),
        date(2028, 2, 29),
    ]


def test_default_first_due_date_is_clamped_and_its_day_is_kept() -> None:
    # One month after 31 Jan is 28 Feb; later dates keep the first due date's day (PLANS.md).
    schedule = build_schedule(worked_example(installments=3, start_date=date(2027, 1, 31)))

    assert [row.due_date for row in schedule.installments] == [
        date(2027, 2, 28),
        date(2027, 3, 28),
        date(2027, 4, 28),
    ]
    assert schedule.apr == Decimal("0.1200")  # a clamped first month is still a full month


# --- Validation --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "overrides"),
    [
        ("principal", {"principal": Decimal("0.00")}),
        ("principal", {"principal": Decimal("-5.00")}),
        ("principal", {"principal": Decimal("100.005")}),
        ("principal", {"principal": Decimal("100.5"), "currency": "JPY"}),
        ("principal", {"principal": Decimal("NaN")}),
        ("principal", {"principal": 1000.0}),
        ("installments", {"installments": 0}),
        ("installments", {"installments": 361}),
        ("method", {"method": "balloon"}),
        ("annual_rate", {"annual_rate": None}),
        ("annual_rate", {"annual_rate": Decimal("-0.01")}),
        ("annual_rate", {"method": Method.INTEREST_FREE, "annual_rate": Decimal("0.12")}),
        ("period_fee_rate", {"method": Method.FLAT_FEE, "annual_rate": None}),
        (
            "period_fee_rate",
            {"method": Method.FLAT_FEE, "annual_rate": None, "period_fee_rate": Decimal("-1")},
        ),
        ("period_fee_rate", {"period_fee_rate": Decimal("0.006")}),
        ("first_due_date", {"first_due_date": START}),
        ("first_due_date", {"first_due_date": START - timedelta(days=1)}),
        ("start_date", {"start_date": datetime(2026, 12, 1, tzinfo=UTC)}),
        ("down_payment", {"down_payment": Decimal("-1.00")}),
        ("down_payment", {"down_payment": Decimal("10000.00")}),
        ("down_payment", {"down_payment": Decimal("0.001")}),
        ("currency", {"currency": "XXX"}),
        ("frequency", {"frequency": "daily"}),
        ("day_count", {"day_count": "30E/360"}),
        ("rounding", {"rounding": "ceiling"}),
    ],
)
def test_invalid_terms_name_the_field(field: str, overrides: dict[str, object]) -> None:
    with pytest.raises(ScheduleError) as error:
        build_schedule(worked_example(**overrides))

    assert error.value.field == field
    assert error.value.message


def test_the_profile_sets_the_maximum_term() -> None:
    assert (
        len(build_schedule(worked_example(installments=60), max_installments=60).installments) == 60
    )
    with pytest.raises(ScheduleError) as error:
        build_schedule(worked_example(installments=61), max_installments=60)

    assert error.value.field == "installments"
    assert "1 to 60" in error.value.message


def test_plain_strings_are_accepted_for_choices() -> None:
    schedule = build_schedule(
        worked_example(
            method="equal_installment", frequency="monthly", day_count="30/360", rounding="half_up"
        )
    )

    assert schedule.installments[0].amount == Decimal("888.49")


def test_too_many_installments_for_a_small_amount_are_rejected() -> None:
    # 10.00 / 60 rounds to 0.17, and 59 * 0.17 = 10.03 would overpay before the last one.
    terms = worked_example(
        principal=Decimal("10.00"), method=Method.INTEREST_FREE, annual_rate=None, installments=60
    )

    with pytest.raises(ScheduleError) as error:
        build_schedule(terms)

    assert error.value.field == "installments"


def test_a_payment_that_does_not_cover_a_long_first_periods_interest_is_rejected() -> None:
    # A year-long first period at actual/365 accrues 120.00, more than the level payment.
    terms = worked_example(
        principal=Decimal("1000.00"),
        start_date=date(2027, 1, 1),
        first_due_date=date(2028, 1, 1),
        day_count=DayCount.ACTUAL_365,
    )

    with pytest.raises(ScheduleError) as error:
        build_schedule(terms)

    assert error.value.field == "installments"
    assert "interest" in error.value.message


# --- Properties --------------------------------------------------------------------------------

money = st.decimals(min_value=Decimal("1.00"), max_value=Decimal("2000000.00"), places=2)
annual_rates = st.decimals(min_value=Decimal("0"), max_value=Decimal("0.36"), places=4)
fee_rates = st.decimals(min_value=Decimal("0"), max_value=Decimal("0.02"), places=4)
start_dates = st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31))
INTEREST_METHODS = (Method.EQUAL_INSTALLMENT, Method.EQUAL_PRINCIPAL)


@st.composite
def any_terms(draw: st.DrawFn, *, charged: bool = False) -> Terms:
    """Terms across every method, currency, frequency, day count and rounding mode.

    `charged` draws only plans that cost something, so their APR is positive.
    """
    if charged:
        method = draw(st.sampled_from([*INTEREST_METHODS, Method.FLAT_FEE]))
        rates, fees = annual_rates.filter(bool), fee_rates.filter(bool)
    else:
        method = draw(st.sampled_from(Method))
        rates, fees = annual_rates, fee_rates
    currency = draw(st.sampled_from(["USD", "CNY", "JPY"]))
    quantum = Decimal(1) if currency == "JPY" else Decimal("0.01")
    principal = draw(money).quantize(quantum) + quantum
    down_share = draw(st.sampled_from([Decimal(0), Decimal(0), Decimal("0.1"), Decimal("0.5")]))
    start = draw(start_dates)
    first_due_offset = draw(st.one_of(st.none(), st.integers(min_value=1, max_value=45)))
    return Terms(
        principal=principal,
        method=method,
        installments=draw(st.integers(min_value=1, max_value=120)),
        annual_rate=draw(rates) if method in INTEREST_METHODS else None,
        period_fee_rate=draw(fees) if method is Method.FLAT_FEE else None,
        frequency=draw(st.sampled_from(Frequency)),
        start_date=start,
        first_due_date=None
        if first_due_offset is None
        else start + timedelta(days=first_due_offset),
        down_payment=(principal * down_share).quantize(quantum),
        day_count=draw(st.sampled_from(DayCount)),
        rounding=draw(st.sampled_from(Rounding)),
        currency=currency,
    )


def build_or_reject(terms: Terms) -> Schedule:
    """Build, or skip the example if the terms are ones the engine rightly refuses."""
    try:
        return build_schedule(terms)
    except ScheduleError as error:
        # Only "too many installments for this amount / rate" is a legitimate refusal here.
        assert error.field == "installments", error
        assume(False)
        raise


@settings(max_examples=300, deadline=None)
@given(any_terms())
def test_rows_add_up_to_the_totals(terms: Terms) -> None:
    schedule = build_or_reject(terms)
    rows = schedule.installments

    assert (
        sum(row.principal for row in rows) == schedule.amount_financed == schedule.total_principal
    )
    assert schedule.amount_financed == terms.principal - terms.down_payment
    assert sum(row.interest for row in rows) == schedule.total_interest
    assert sum(row.fee for row in rows) == schedule.total_fees
    assert schedule.down_payment + sum(row.amount for row in rows) == schedule.total_payable
    assert all(row.amount == row.principal + row.interest + row.fee for row in rows)
    assert rows[-1].balance_after == 0
    assert [row.number for row in rows] == list(range(1, terms.installments + 1))
    assert all(
        earlier.due_date < later.due_date for earlier, later in zip(rows, rows[1:], strict=False)
    )


@settings(max_examples=300, deadline=None)
@given(any_terms())
def test_no_amount_is_ever_negative(terms: Terms) -> None:
    schedule = build_or_reject(terms)

    for row in schedule.installments:
        assert min(row.principal, row.interest, row.fee, row.amount, row.balance_after) >= 0
    assert schedule.apr >= 0


@settings(max_examples=100, deadline=None)
@given(any_terms())
def test_interest_free_plans_have_a_zero_apr(terms: Terms) -> None:
    terms = replace(terms, method=Method.INTEREST_FREE, annual_rate=None, period_fee_rate=None)
    schedule = build_or_reject(terms)

    assert schedule.apr == 0
    assert schedule.total_interest == schedule.total_fees == 0


@settings(max_examples=200, deadline=None)
@given(
    principal=st.decimals(min_value=Decimal("5000.00"), max_value=Decimal("1000000.00"), places=2),
    rate=annual_rates,
    installments=st.integers(min_value=1, max_value=60),
    start=start_dates,
    rounding=st.sampled_from(Rounding),
)
def test_a_monthly_30_360_annuity_has_its_nominal_rate_as_apr(
    principal: Decimal, rate: Decimal, installments: int, start: date, rounding: Rounding
) -> None:
    # Large enough amounts that rounding interest to the cent moves the IRR by far less than
    # 0.00005; the rest of the 0.0001 is the four-decimal rounding of the APR.
    schedule = build_schedule(
        Terms(
            principal=principal,
            method=Method.EQUAL_INSTALLMENT,
            annual_rate=rate,
            installments=installments,
            start_date=start,
            rounding=rounding,
        )
    )

    assert abs(schedule.apr - rate) <= Decimal("0.0001")


@settings(max_examples=200, deadline=None)
@given(any_terms(charged=True))
def test_apr_is_the_root_of_the_actuarial_equation(terms: Terms) -> None:
    schedule = build_or_reject(terms)
    first_due = schedule.installments[0].due_date
    whole, odd = unit_periods(terms.start_date, first_due, Frequency(terms.frequency))
    periods_per_year = {Frequency.MONTHLY: 12, Frequency.BIWEEKLY: 26, Frequency.WEEKLY: 52}[
        terms.frequency
    ]
    payments = amounts(schedule)

    def residual(apr: Decimal) -> Decimal:
        return actuarial_residual(
            schedule.amount_financed, payments, whole, Fraction(odd), apr / periods_per_year
        )

    assert residual(schedule.apr - Decimal("0.0001")) > 0
    assert residual(schedule.apr + Decimal("0.0001")) < 0


@settings(max_examples=100, deadline=None)
@given(start=start_dates, frequency=st.sampled_from(Frequency))
def test_a_default_first_due_date_is_a_regular_first_period(
    start: date, frequency: Frequency
) -> None:
    schedule = build_schedule(worked_example(start_date=start, frequency=frequency, installments=2))

    assert unit_periods(start, schedule.installments[0].due_date, frequency) == (1, Decimal(0))
