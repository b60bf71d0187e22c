"""Payment allocation (PLANS.md "Payments against a plan"). Pure, so it is property-tested.

Oldest first; within each item the fee, then the interest, then the principal. What is left
after every item is paid is returned as the remainder (the caller keeps it as credit).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from decimal import Decimal

COMPONENTS = ("fee", "interest", "principal")
_ZERO = Decimal("0")


@dataclass(frozen=True)
class Owed:
    """What is still unpaid of one item (an installment, or the account's own balance)."""

    key: Hashable
    fee: Decimal
    interest: Decimal
    principal: Decimal


@dataclass(frozen=True)
class Share:
    key: Hashable
    component: str  # one of COMPONENTS
    amount: Decimal


def allocate(amount: Decimal, owed: Sequence[Owed]) -> tuple[list[Share], Decimal]:
    """Split ``amount`` over ``owed`` (already in due-date order); return shares and remainder.

    Every share is positive and at most what its component owes, and the shares plus the
    remainder add up to ``amount`` exactly: no rounding happens here.
    """
    if amount <= 0:
        raise ValueError("Only a positive amount can be allocated.")
    shares: list[Share] = []
    remaining = amount
    for item in owed:
        for component in COMPONENTS:
            if remaining <= 0:
                return shares, _ZERO
            due = getattr(item, component)
            if due <= 0:
                continue
            take = min(due, remaining)
            shares.append(Share(item.key, component, take))
            remaining -= take
    return shares, remaining
