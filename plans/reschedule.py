"""Rescheduling a plan (API.md "The life of a case"): what is still owed of it and what the new
plan restructures. Pure, so the money rules are property-tested without a database.

The new plan restructures the old plan's **unpaid principal** (every installment's principal not
yet paid: what the account still owes of the amount restructured) plus, when the arrears are
capitalised, the **arrears**: the interest and fees of the old plan's installments that are past
due (``plans.reage.is_past_due``) and unpaid. Those were the plan's own charges, never booked on
the account, so capitalising books them on its interest and fee balances first; waiving gives
them up and records them on the new plan as a concession (``Plan.arrears_waived``). Interest and
fees of installments not yet due are not owed: the new terms price the time ahead afresh.
Either way nothing is lost or made up: new principal + waived arrears = unpaid principal +
arrears.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from plans.reage import is_past_due
from plans.schedule import Frequency, add_months, default_first_due_date

_ZERO = Decimal(0)


class Arrears(StrEnum):
    CAPITALISE = "capitalise"
    WAIVE = "waive"


class InstallmentLike(Protocol):
    due_date: date
    principal: Decimal
    interest: Decimal
    fee: Decimal
    paid_principal: Decimal
    paid_interest: Decimal
    paid_fee: Decimal


@dataclass(frozen=True)
class Unpaid:
    principal: Decimal
    arrears_interest: Decimal
    arrears_fee: Decimal

    @property
    def arrears(self) -> Decimal:
        return self.arrears_interest + self.arrears_fee

    @property
    def total(self) -> Decimal:
        return self.principal + self.arrears


@dataclass(frozen=True)
class Restructured:
    principal: Decimal  # the new plan's
    capitalised: Decimal
    waived: Decimal


def unpaid_of(installments: Iterable[InstallmentLike], as_of: date) -> Unpaid:
    principal = interest = fee = _ZERO
    for row in installments:
        principal += row.principal - row.paid_principal
        if is_past_due(row.due_date, as_of):
            interest += row.interest - row.paid_interest
            fee += row.fee - row.paid_fee
    return Unpaid(principal=principal, arrears_interest=interest, arrears_fee=fee)


def restructure(owed: Decimal, arrears: Decimal, treatment: Arrears | str) -> Restructured:
    """The new plan's principal from what is ``owed`` of the old one and its ``arrears``."""
    if Arrears(treatment) is Arrears.CAPITALISE:
        return Restructured(principal=owed + arrears, capitalised=arrears, waived=_ZERO)
    return Restructured(principal=owed, capitalised=_ZERO, waived=arrears)


def first_due_after_holiday(
    start_date: date, frequency: Frequency | str, first_due_date: date | None, months: int
) -> date:
    """The first due date (given, else one period after the start) moved ``months`` months on by
    a payment holiday, on the same day of the month (clamped to the month's end)."""
    first = first_due_date or default_first_due_date(start_date, Frequency(frequency))
    return add_months(first, months, first.day) if months else first
