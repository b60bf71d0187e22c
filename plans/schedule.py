"""Installment schedule engine: a pure function from plan terms to a schedule and its APR.

Every number must agree to the cent with the conventions in PLANS.md, because outside systems
and auditors recompute them. Stdlib and ``core.money`` (currency places and the one rounding
helper) only, no Django, so the API, the plan builder and the
benchmark can all call it directly. Money is Decimal throughout, never float.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import (
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
    localcontext,
)
from enum import StrEnum
from typing import TypeVar

from core import money
from core.money import CURRENCY_PLACES, Rounding, round_money

__all__ = [
    "CURRENCY_PLACES",
    "DayCount",
    "Frequency",
    "Installment",
    "Method",
    "Rounding",
    "Schedule",
    "ScheduleError",
    "Terms",
    "add_months",
    "annual_percentage_rate",
    "build_schedule",
    "currency_places",
    "default_first_due_date",
    "due_dates",
    "round_money",
    "unit_periods",
]


class Method(StrEnum):
    EQUAL_INSTALLMENT = "equal_installment"  # annuity, 等额本息
    EQUAL_PRINCIPAL = "equal_principal"  # 等额本金
    FLAT_FEE = "flat_fee"  # card-installment fee per period, 分期手续费
    INTEREST_FREE = "interest_free"


class Frequency(StrEnum):
    MONTHLY = "monthly"
    BIWEEKLY = "biweekly"
    WEEKLY = "weekly"

    @property
    def periods_per_year(self) -> int:
        """12, 26 or 52: divides the annual rate under 30/360 and multiplies the APR's unit rate."""
        return _PERIODS_PER_YEAR[self]


class DayCount(StrEnum):
    THIRTY_360 = "30/360"
    ACTUAL_365 = "actual/365"
    ACTUAL_360 = "actual/360"


_PERIODS_PER_YEAR = {Frequency.MONTHLY: 12, Frequency.BIWEEKLY: 26, Frequency.WEEKLY: 52}
_DAYS_PER_PERIOD = {Frequency.BIWEEKLY: 14, Frequency.WEEKLY: 7}
_DAYS_PER_YEAR = {DayCount.ACTUAL_365: 365, DayCount.ACTUAL_360: 360}


# PLANS.md asks for >= 28 digits; 34 leaves room for 1e15 amounts times long rate fractions.
# A private context (not the caller's) keeps results independent of whoever calls us.
_CONTEXT = Context(
    prec=34, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, DivisionByZero, Overflow]
)
_ZERO = Decimal(0)
_ONE = Decimal(1)
_APR_QUANTUM = Decimal("0.0001")  # PLANS.md: "a fraction with four decimals"
_RATE_TOLERANCE = Decimal("1e-12")  # per unit period; far below the 0.0001 APR accuracy asked
_MAX_SOLVER_STEPS = 200
# Sanity bounds that keep every product inside the context's precision; not lending policy.
_MAX_AMOUNT = Decimal("1e15")
_MAX_ANNUAL_RATE = Decimal(100)
_MAX_PERIOD_FEE_RATE = Decimal(1)


class ScheduleError(ValueError):
    """Terms the engine cannot schedule; `field` is the API field, for {field: [message]}."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True, kw_only=True)
class Terms:
    """What the specialist and customer agreed; validated by `build_schedule`, not here."""

    principal: Decimal
    method: Method
    installments: int
    start_date: date
    annual_rate: Decimal | None = None
    period_fee_rate: Decimal | None = None
    frequency: Frequency = Frequency.MONTHLY
    first_due_date: date | None = None
    down_payment: Decimal = Decimal("0")
    day_count: DayCount = DayCount.THIRTY_360
    rounding: Rounding = Rounding.HALF_UP
    currency: str = "USD"


@dataclass(frozen=True, slots=True)
class Installment:
    number: int
    due_date: date
    principal: Decimal
    interest: Decimal
    fee: Decimal
    amount: Decimal  # principal + interest + fee
    balance_after: Decimal  # principal still owed after this installment


@dataclass(frozen=True)
class Schedule:
    """A computed plan.

    total_principal is the amount financed (principal - down payment), the sum of the rows'
    principal. total_payable is everything the customer pays: the down payment plus the sum of
    the installment amounts (principal + interest + fees). apr is a fraction with 4 decimals.
    """

    installments: tuple[Installment, ...]
    down_payment: Decimal
    amount_financed: Decimal
    total_principal: Decimal
    total_interest: Decimal
    total_fees: Decimal
    total_payable: Decimal
    apr: Decimal


def currency_places(code: str) -> int:
    """Minor-unit places of `code` (core.money); an unknown currency is a ScheduleError."""
    try:
        return money.currency_places(code)
    except money.UnknownCurrency as error:
        raise ScheduleError("currency", str(error)) from None


# --- Dates -----------------------------------------------------------------------------------


def add_months(day: date, months: int, day_of_month: int) -> date:
    """The date `months` months from `day`, on `day_of_month` clamped to that month's end."""
    year, month_index = divmod(day.year * 12 + day.month - 1 + months, 12)
    month = month_index + 1
    if day_of_month > 28:  # every month has days 1..28; this is on the quote hot path
        day_of_month = min(day_of_month, calendar.monthrange(year, month)[1])
    return date(year, month, day_of_month)


def default_first_due_date(start_date: date, frequency: Frequency) -> date:
    """One period after the start (PLANS.md): same day next month clamped, or +14 / +7 days."""
    if frequency is Frequency.MONTHLY:
        return add_months(start_date, 1, start_date.day)
    return start_date + timedelta(days=_DAYS_PER_PERIOD[frequency])


def due_dates(first_due_date: date, installments: int, frequency: Frequency) -> list[date]:
    """Regular due dates from the first one.

    Monthly dates keep the first due date's day of month, clamped to month end, so 31 Jan is
    followed by 28/29 Feb and then 31 Mar (PLANS.md "later due dates keep the same day of month").
    """
    if frequency is Frequency.MONTHLY:
        anchor = first_due_date.day
        return [add_months(first_due_date, k, anchor) for k in range(installments)]
    step = timedelta(days=_DAYS_PER_PERIOD[frequency])
    return [first_due_date + step * k for k in range(installments)]


def unit_periods(
    start_date: date, first_due_date: date, frequency: Frequency
) -> tuple[int, Decimal]:
    """Whole unit periods t and odd fraction f from the start to the first payment.

    Regulation Z Appendix J (b)(5): a unit period is a month (odd days / 30), a week or two weeks
    (odd days / 7 or 14). A first due date that is one schedule step (`default_first_due_date`)
    after the start is a full month even when clamped (31 Jan -> 28 Feb), so default plans have
    f = 0. Otherwise whole months are measured back from the due date and the odd days run from
    the start to the beginning of the first full month, as (b)(5)(ii) says. Payment k then falls
    t + k - 1 whole unit periods after the start, because later due dates are regular.
    """
    frequency = Frequency(frequency)
    if first_due_date <= start_date:
        raise ValueError("The first due date must be after the start date.")
    if frequency is Frequency.MONTHLY:
        months = (
            (first_due_date.year - start_date.year) * 12 + first_due_date.month - start_date.month
        )
        while months > 0 and add_months(start_date, months, start_date.day) > first_due_date:
            months -= 1
        if add_months(start_date, months, start_date.day) == first_due_date:
            return months, _ZERO
        full_months_begin = add_months(first_due_date, -months, first_due_date.day)
        odd_days = (full_months_begin - start_date).days
        return months, _CONTEXT.divide(Decimal(odd_days), Decimal(30))
    unit_days = _DAYS_PER_PERIOD[frequency]
    whole, odd_days = divmod((first_due_date - start_date).days, unit_days)
    return whole, _CONTEXT.divide(Decimal(odd_days), Decimal(unit_days))


# --- APR -------------------------------------------------------------------------------------


def annual_percentage_rate(
    amount_financed: Decimal,
    payments: Sequence[Decimal],
    *,
    start_date: date,
    first_due_date: date,
    frequency: Frequency = Frequency.MONTHLY,
) -> Decimal:
    """APR of a regular schedule: payment k is due k - 1 periods after `first_due_date`.

    Solves Regulation Z Appendix J's actuarial equation F = sum P_k / ((1 + f*i)(1 + i)^t_k)
    for the unit-period rate i and returns i * periods per year, rounded half up to 4 places
    (PLANS.md "APR"). The down payment is not credit, so it is not among the payments.
    """
    frequency = Frequency(frequency)
    if amount_financed <= 0:
        raise ValueError("The amount financed must be positive.")
    if not payments or any(payment < 0 for payment in payments):
        raise ValueError("Payments must be a non-empty list of non-negative amounts.")
    whole_periods, odd_fraction = unit_periods(start_date, first_due_date, frequency)
    with localcontext(_CONTEXT):
        rate = _unit_period_rate(amount_financed, payments, whole_periods, odd_fraction)
        return (rate * frequency.periods_per_year).quantize(_APR_QUANTUM, rounding=ROUND_HALF_UP)


def _unit_period_rate(
    amount_financed: Decimal,
    payments: Sequence[Decimal],
    first_whole: int,
    odd_fraction: Decimal,
    guess: Decimal | None = None,
) -> Decimal:
    """Root of h(i) = PV(i) - F by Newton's method kept inside a bracket, bisecting if it strays.

    h is decreasing and convex for i >= 0 (every payment is non-negative) and h(0) = sum P - F,
    so the root is unique and non-negative; from a good guess Newton needs a handful of steps.
    """
    total = sum(payments, _ZERO)
    if total == amount_financed:
        return _ZERO
    if total < amount_financed:
        raise ValueError("Payments total less than the amount financed: the APR would be negative.")
    low, high = _ZERO, None  # h(low) > 0 > h(high)
    # Without a guess, the constant-ratio estimate 2 * (finance charge / F) / (n + 1).
    rate = guess or 2 * (total - amount_financed) / (amount_financed * (len(payments) + 1))
    for _ in range(_MAX_SOLVER_STEPS):
        residual, slope = _actuarial_residual(
            rate, amount_financed, payments, first_whole, odd_fraction
        )
        if residual == 0:
            return rate
        if residual > 0:
            low = rate
        else:
            high = rate
        candidate = rate - residual / slope
        if candidate <= low or (high is not None and candidate >= high):
            # Only a step from above the root (h < 0, so `high` is set) or rounding can leave
            # the bracket: bisect instead.
            candidate = (low + (high if high is not None else rate)) / 2
        if abs(candidate - rate) <= _RATE_TOLERANCE:
            return candidate
        rate = candidate
    raise ArithmeticError("The APR did not converge.")  # unreachable for valid schedules


def _actuarial_residual(
    rate: Decimal,
    amount_financed: Decimal,
    payments: Sequence[Decimal],
    first_whole: int,
    odd_fraction: Decimal,
) -> tuple[Decimal, Decimal]:
    """h(i) = sum P_k / ((1 + f*i)(1 + i)^(t + k - 1)) - F and dh/di, one Horner pass each."""
    v = _ONE / (_ONE + rate)
    polynomial = derivative = _ZERO  # Q(v) = sum P_k v^(k-1) and dQ/dv
    for payment in reversed(payments):
        derivative = derivative * v + polynomial
        polynomial = polynomial * v + payment
    lead = v**first_whole
    discounted = lead * polynomial  # sum P_k v^t_k
    d_discounted_dv = lead * (derivative + first_whole * polynomial / v)
    odd_factor = _ONE + odd_fraction * rate
    present_value = discounted / odd_factor
    # d(PV)/di = (d discounted/dv * dv/di - f * PV) / (1 + f*i), with dv/di = -v^2.
    slope = -(d_discounted_dv * v * v + odd_fraction * present_value) / odd_factor
    return present_value - amount_financed, slope


# --- Schedule --------------------------------------------------------------------------------


def build_schedule(terms: Terms, *, max_installments: int = 360) -> Schedule:
    """Compute the schedule and APR of `terms`, or raise ScheduleError naming the bad field.

    `max_installments` is the jurisdiction profile's maximum term (60 for CN personalised
    installments, PLANS.md "Limits").
    """
    terms, first_due_date = _validated(terms, max_installments)
    places = currency_places(terms.currency)
    frequency = terms.frequency
    with localcontext(_CONTEXT):
        financed = terms.principal - terms.down_payment
        dates = due_dates(first_due_date, terms.installments, frequency)
        rows = _installments(terms, financed, dates, places)
        zero = round_money(_ZERO, places)
        total_interest = sum((row.interest for row in rows), zero)
        total_fees = sum((row.fee for row in rows), zero)
        whole_periods, odd_fraction = unit_periods(terms.start_date, first_due_date, frequency)
        # The nominal period rate is within rounding of the root for interest-bearing plans.
        guess = terms.annual_rate / frequency.periods_per_year if terms.annual_rate else None
        payments = [row.amount for row in rows]
        rate = _unit_period_rate(financed, payments, whole_periods, odd_fraction, guess)
        return Schedule(
            installments=tuple(rows),
            down_payment=terms.down_payment,
            amount_financed=financed,
            total_principal=financed,
            total_interest=total_interest,
            total_fees=total_fees,
            # The sum of the amounts, as each amount is principal + interest + fee.
            total_payable=terms.down_payment + financed + total_interest + total_fees,
            apr=(rate * frequency.periods_per_year).quantize(_APR_QUANTUM, ROUND_HALF_UP),
        )


def _installments(
    terms: Terms, financed: Decimal, dates: list[date], places: int
) -> list[Installment]:
    """The rows of PLANS.md "Methods"; each rounds only A or F / n, interest and the flat fee."""
    n = terms.installments
    rounding = terms.rounding
    numerators, divisor = _period_rates(terms, dates)
    annuity = terms.method is Method.EQUAL_INSTALLMENT
    if annuity:
        level = round_money(_level_payment(financed, n, numerators, divisor), places, rounding)
    else:
        level = round_money(financed / n, places, rounding)  # the principal share
    # Validation leaves period_fee_rate unset or zero for every method but flat_fee.
    fee = round_money(financed * (terms.period_fee_rate or _ZERO), places, rounding)

    rows: list[Installment] = []
    balance = financed
    for number, (due, numerator) in enumerate(zip(dates, numerators, strict=True), start=1):
        interest = round_money(balance * numerator / divisor, places, rounding)
        if number == n:
            principal = balance  # the last installment takes whatever principal remains
        elif annuity:
            principal = level - interest
        else:
            principal = level
        if principal < 0:
            raise ScheduleError(
                "installments",
                f"The installment {level} does not cover the interest {interest} of installment"
                f" {number}; choose fewer installments or a shorter first period.",
            )
        if principal > balance:
            raise ScheduleError(
                "installments",
                f"{n} installments are too many for {financed}: the rounded installment would"
                f" repay it before installment {n}.",
            )
        balance -= principal
        rows.append(
            Installment(number, due, principal, interest, fee, principal + interest + fee, balance)
        )
    return rows


def _period_rates(terms: Terms, dates: list[date]) -> tuple[list[Decimal], Decimal]:
    """Each period's rate as numerator / divisor (PLANS.md "Period rates").

    Kept as a fraction so balance * numerator / divisor is one exact division: an interest that
    is exactly half a minor unit stays a tie for the rounding mode to settle.
    """
    n = len(dates)
    if (
        terms.method not in (Method.EQUAL_INSTALLMENT, Method.EQUAL_PRINCIPAL)
        or not terms.annual_rate
    ):
        return [_ZERO] * n, _ONE
    annual = terms.annual_rate
    if terms.day_count is DayCount.THIRTY_360:
        return [annual] * n, Decimal(terms.frequency.periods_per_year)
    previous = terms.start_date
    numerators = []
    for due in dates:
        numerators.append(annual * (due - previous).days)
        previous = due
    return numerators, Decimal(_DAYS_PER_YEAR[terms.day_count])


def _level_payment(
    financed: Decimal, n: int, numerators: list[Decimal], divisor: Decimal
) -> Decimal:
    """Unrounded A = F / sum_k prod_{j<=k} 1/(1 + r_j); F / n at a zero rate (PLANS.md)."""
    if not any(numerators):
        return financed / n
    if all(numerator == numerators[0] for numerator in numerators):
        rate = numerators[0] / divisor
        return financed * rate / (_ONE - (_ONE + rate) ** -n)
    discount = _ONE
    discount_sum = _ZERO
    for numerator in numerators:
        discount /= _ONE + numerator / divisor
        discount_sum += discount
    return financed / discount_sum


def _validated(terms: Terms, max_installments: int) -> tuple[Terms, date]:
    """Terms with enums coerced and amounts at the currency's places, and the first due date."""
    places = currency_places(terms.currency)
    quantum = Decimal(1).scaleb(-places)
    method = _choice(Method, terms.method, "method")
    frequency = _choice(Frequency, terms.frequency, "frequency")
    day_count = _choice(DayCount, terms.day_count, "day_count")
    rounding = _choice(Rounding, terms.rounding, "rounding")

    principal = _amount(terms.principal, "principal", quantum, terms.currency)
    if principal <= 0:
        raise ScheduleError("principal", "Must be greater than zero.")
    down_payment = _amount(terms.down_payment, "down_payment", quantum, terms.currency)
    if down_payment < 0 or down_payment >= principal:
        raise ScheduleError("down_payment", "Must be at least zero and less than the principal.")

    n = terms.installments
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= max_installments:
        raise ScheduleError("installments", f"Must be a whole number from 1 to {max_installments}.")

    uses_annual_rate = method in (Method.EQUAL_INSTALLMENT, Method.EQUAL_PRINCIPAL)
    annual_rate = _rate(
        terms.annual_rate,
        "annual_rate",
        method,
        required=uses_annual_rate,
        ceiling=_MAX_ANNUAL_RATE,
    )
    period_fee_rate = _rate(
        terms.period_fee_rate,
        "period_fee_rate",
        method,
        required=method is Method.FLAT_FEE,
        ceiling=_MAX_PERIOD_FEE_RATE,
    )

    start_date = _plain_date(terms.start_date, "start_date")
    if terms.first_due_date is None:
        first_due_date = default_first_due_date(start_date, frequency)
    else:
        first_due_date = _plain_date(terms.first_due_date, "first_due_date")
    # A due date on the start date would be a zero-length period: that money is a down payment.
    if first_due_date <= start_date:
        raise ScheduleError("first_due_date", "Must be after the start date.")

    checked = replace(
        terms,
        principal=principal,
        method=method,
        installments=n,
        start_date=start_date,
        annual_rate=annual_rate,
        period_fee_rate=period_fee_rate,
        frequency=frequency,
        first_due_date=first_due_date,
        down_payment=down_payment,
        day_count=day_count,
        rounding=rounding,
    )
    return checked, first_due_date


_E = TypeVar("_E", bound=StrEnum)


def _choice(enum: type[_E], value: object, field: str) -> _E:
    try:
        return enum(str(value))
    except ValueError:
        choices = ", ".join(member.value for member in enum)
        raise ScheduleError(field, f"Unknown value {value!r}; expected one of {choices}.") from None


def _amount(value: object, field: str, quantum: Decimal, currency: str) -> Decimal:
    if not isinstance(value, Decimal) or not value.is_finite() or abs(value) >= _MAX_AMOUNT:
        raise ScheduleError(field, "Must be a Decimal amount below 1e15.")
    rounded = value.quantize(quantum, context=_CONTEXT)
    if rounded != value:
        raise ScheduleError(field, f"Has more decimal places than {currency} allows.")
    return rounded


def _rate(
    value: object, field: str, method: Method, *, required: bool, ceiling: Decimal
) -> Decimal | None:
    if value is None:
        if required:
            raise ScheduleError(field, f"Required for the {method} method.")
        return None
    if not isinstance(value, Decimal) or not value.is_finite() or not 0 <= value < ceiling:
        raise ScheduleError(field, f"Must be a Decimal fraction from 0 to below {ceiling}.")
    if not required and value:
        # A non-zero rate the method would ignore is an entry mistake: say so, don't drop it.
        raise ScheduleError(field, f"Not used by the {method} method.")
    return value


def _plain_date(value: object, field: str) -> date:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise ScheduleError(field, "Must be a date (not a datetime).")
    return value
