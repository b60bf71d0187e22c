"""The principal a plan restructures after its concessions (PLANS.md "Terms" and "Limits").

A plan restructures everything the account owes (principal, interest and fees) less what it
gives up: waived interest, waived fees and a principal reduction, each at most the balance it
comes off. The down payment is not a concession: it is paid out of this principal on the start
date, and the schedule engine takes it off the amount financed.

Pure (stdlib only, like ``plans/schedule.py``): the plan service, the plan builder's options and
its schedule preview all call this one definition.
"""

from __future__ import annotations

from decimal import Decimal

from plans.schedule import ScheduleError, currency_places

__all__ = ["ConcessionError", "principal_after_concessions"]

_ZERO = Decimal(0)


class ConcessionError(ScheduleError):
    """A concession the balances cannot give. A ScheduleError, so whoever shows the engine's
    errors shows these too; ``balance`` is set when the concession exceeds it."""

    def __init__(self, field: str, message: str, *, balance: Decimal | None = None) -> None:
        super().__init__(field, message)
        self.balance = balance


def principal_after_concessions(
    *,
    principal_balance: Decimal,
    interest_balance: Decimal,
    fee_balance: Decimal,
    currency: str,
    waived_interest: Decimal = _ZERO,
    waived_fees: Decimal = _ZERO,
    principal_reduction: Decimal = _ZERO,
) -> Decimal:
    """The balances' total less the concessions, exactly: no cent is rounded away or made up.

    Each concession must be a whole number of the currency's minor units, not negative and at
    most the balance it comes off, so over an account's balances (never negative) the result is
    never negative. It may be zero, which leaves nothing to restructure: the caller decides what
    that means. Raises ConcessionError naming the first concession that breaks a rule.
    """
    quantum = Decimal(1).scaleb(-currency_places(currency))
    concessions = (
        ("waived_interest", waived_interest, interest_balance),
        ("waived_fees", waived_fees, fee_balance),
        ("principal_reduction", principal_reduction, principal_balance),
    )
    for field, amount, balance in concessions:
        if amount < 0:
            raise ConcessionError(field, "Must not be negative.")
        if amount.quantize(quantum) != amount:
            raise ConcessionError(field, f"Has more decimal places than {currency} allows.")
        if amount > balance:
            raise ConcessionError(
                field, f"Must not exceed the account's balance of {balance}.", balance=balance
            )
    owed = principal_balance + interest_balance + fee_balance
    return owed - (waived_interest + waived_fees + principal_reduction)
