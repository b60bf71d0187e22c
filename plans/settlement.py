"""Settlement offers: the schedule of what the customer pays, the discount, and when an offer
lapses. Pure (stdlib and ``plans.schedule``), so the rules are tested without a database.

A settlement closes the account for ``amount`` (less than the balance) in ``installments``
monthly payments from ``first_due_date`` (1 = a lump sum). Each installment is the amount
divided equally and rounded **down** to the currency's places; the last takes the remainder, so
the installments add up to the amount exactly and none is below the others.

Payments count towards the settlement in the order they arrive. It lapses when an offer still
unpaid is past ``expires_on``, or when what was paid falls short of what was due by an
installment's due date once the policy's grace days have passed (the plans' rule: missed on
``due + grace + 1``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal

from plans.schedule import Frequency, currency_places, due_dates

_ZERO = Decimal(0)


class SettlementTermsError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Due:
    number: int
    due_date: date
    amount: Decimal


def settlement_schedule(
    amount: Decimal, installments: int, first_due_date: date, currency: str
) -> tuple[Due, ...]:
    """What is due when: equal parts rounded down, the remainder on the last."""
    if isinstance(installments, bool) or not isinstance(installments, int) or installments < 1:
        raise SettlementTermsError("installments", "Must be a whole number of at least 1.")
    quantum = Decimal(1).scaleb(-currency_places(currency))
    part = (amount / installments).quantize(quantum, rounding=ROUND_DOWN)
    if part <= 0:
        raise SettlementTermsError(
            "installments", f"{amount} {currency} cannot be split into {installments} payments."
        )
    dates = due_dates(first_due_date, installments, Frequency.MONTHLY)
    last = amount - part * (installments - 1)
    return tuple(
        Due(number, day, last if number == installments else part)
        for number, day in enumerate(dates, start=1)
    )


def discount_share(balance: Decimal, amount: Decimal) -> Decimal:
    """The share of the balance given up (0.25 = a quarter), unrounded."""
    return (balance - amount) / balance


def first_missed(
    schedule: tuple[Due, ...], paid: Decimal, as_of: date, grace_days: int
) -> Due | None:
    """The first installment whose due date plus grace has passed on ``as_of`` while the
    payments fall short of everything due up to it."""
    due_so_far = _ZERO
    for due in schedule:
        due_so_far += due.amount
        if due.due_date + timedelta(days=grace_days) >= as_of:
            return None
        if paid < due_so_far:
            return due
    return None


def lapse_reason(
    *,
    payable: bool,
    expires_on: date,
    schedule: tuple[Due, ...],
    paid: Decimal,
    as_of: date,
    grace_days: int,
) -> str:
    """Why an open settlement lapses on ``as_of`` ("" while it stands). ``payable``: offered or
    accepted (payments count towards it); else it still waits for approval."""
    if paid == 0 and as_of > expires_on:
        return f"Not accepted by {expires_on.isoformat()}."
    if payable:
        missed = first_missed(schedule, paid, as_of, grace_days)
        if missed is not None:
            return (
                f"Installment {missed.number} of {missed.amount} due"
                f" {missed.due_date.isoformat()} unpaid after {grace_days} grace days."
            )
    return ""
