"""Money: currency minor units and the one rounding helper (PLANS.md, "Rounding")."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from enum import StrEnum


class Rounding(StrEnum):
    HALF_UP = "half_up"
    HALF_EVEN = "half_even"


class UnknownCurrency(ValueError):
    """A currency code Settle does not lend in; an error, never a guessed 2 places."""

    def __init__(self, code: object) -> None:
        super().__init__(f"Unknown currency {code!r}.")
        self.code = code


# ISO 4217 minor units of the currencies we may lend in (PLANS.md: 2 for CNY and USD, 0 for JPY).
CURRENCY_PLACES: dict[str, int] = {
    "AUD": 2,
    "CAD": 2,
    "CHF": 2,
    "CNY": 2,
    "EUR": 2,
    "GBP": 2,
    "HKD": 2,
    "JPY": 0,
    "KRW": 0,
    "MXN": 2,
    "SGD": 2,
    "USD": 2,
    "BHD": 3,
    "KWD": 3,
}
DEFAULT_PLACES = 2

_DECIMAL_ROUNDING = {Rounding.HALF_UP: ROUND_HALF_UP, Rounding.HALF_EVEN: ROUND_HALF_EVEN}
_QUANTA = {places: Decimal(1).scaleb(-places) for places in range(4)}


def currency_places(code: str) -> int:
    """Minor-unit places of ``code``; raises ``UnknownCurrency`` for a code we do not know."""
    try:
        return CURRENCY_PLACES[code]
    except (KeyError, TypeError):
        raise UnknownCurrency(code) from None


def display_places(code: str) -> int:
    """Places for showing an amount already stored in ``code`` (stored data is never refused)."""
    return CURRENCY_PLACES.get(code, DEFAULT_PLACES)


def round_money(value: Decimal, places: int, rounding: Rounding = Rounding.HALF_UP) -> Decimal:
    """Round to a currency's minor unit: the one way Settle rounds money."""
    quantum = _QUANTA.get(places) or Decimal(1).scaleb(-places)
    return value.quantize(quantum, rounding=_DECIMAL_ROUNDING[Rounding(rounding)])


def round_to_currency(
    value: Decimal, currency: str, rounding: Rounding = Rounding.HALF_UP
) -> Decimal:
    """``value`` rounded to the minor unit of ``currency`` as stored (see ``display_places``)."""
    return round_money(value, display_places(currency), rounding)
