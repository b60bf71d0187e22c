"""Risk tier v1: an explainable points score.

Every factor adds points with a reason a specialist can read on the case page; the tier is a
threshold on the sum. Pure: inputs in, score and factors out (no database).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

GOOD_BELOW = 25
HIGH_FROM = 50

# Balance thresholds per currency (small, medium, large), in the currency's units.
BALANCE_BANDS: dict[str, tuple[Decimal, Decimal, Decimal]] = {
    "USD": (Decimal("1000"), Decimal("5000"), Decimal("20000")),
    "CNY": (Decimal("7000"), Decimal("35000"), Decimal("140000")),
}


@dataclass(frozen=True)
class RiskInputs:
    days_past_due: int
    total_balance: Decimal
    currency: str
    payments_last_90_days: int
    broken_promises_last_180_days: int = 0
    broken_plans: int = 0
    contactable: bool = True
    hardship: bool = False


@dataclass(frozen=True)
class RiskFactor:
    code: str
    points: int
    detail: str


@dataclass(frozen=True)
class RiskScore:
    score: int
    tier: str
    factors: tuple[RiskFactor, ...]

    def factors_as_json(self) -> list[dict]:
        return [{"code": f.code, "points": f.points, "detail": f.detail} for f in self.factors]


def _dpd_points(dpd: int) -> int:
    for limit, points in ((0, 0), (29, 5), (59, 15), (89, 25), (179, 35)):
        if dpd <= limit:
            return points
    return 45


def _balance_points(balance: Decimal, currency: str) -> int:
    small, medium, large = BALANCE_BANDS.get(currency, BALANCE_BANDS["USD"])
    if balance < small:
        return 0
    if balance < medium:
        return 5
    if balance < large:
        return 10
    return 15


def score(inputs: RiskInputs) -> RiskScore:
    factors = [
        RiskFactor(
            "days_past_due",
            _dpd_points(inputs.days_past_due),
            f"{inputs.days_past_due} days past due",
        ),
        RiskFactor(
            "balance",
            _balance_points(inputs.total_balance, inputs.currency),
            f"balance {inputs.total_balance} {inputs.currency}",
        ),
    ]
    if inputs.payments_last_90_days == 0:
        factors.append(RiskFactor("payment_history", 15, "no payment in 90 days"))
    elif inputs.payments_last_90_days >= 2:
        factors.append(
            RiskFactor(
                "payment_history", -10, f"{inputs.payments_last_90_days} payments in 90 days"
            )
        )
    else:
        factors.append(RiskFactor("payment_history", 0, "1 payment in 90 days"))
    if inputs.broken_promises_last_180_days:
        factors.append(
            RiskFactor(
                "broken_promises",
                min(30, 10 * inputs.broken_promises_last_180_days),
                f"{inputs.broken_promises_last_180_days} broken promises in 180 days",
            )
        )
    if inputs.broken_plans:
        factors.append(
            RiskFactor(
                "broken_plans",
                min(30, 15 * inputs.broken_plans),
                f"{inputs.broken_plans} broken plans",
            )
        )
    if not inputs.contactable:
        factors.append(RiskFactor("contactability", 15, "no usable phone or email"))
    if inputs.hardship:
        # Stated hardship lowers willingness risk but signals reduced capacity: a small add.
        factors.append(RiskFactor("hardship", 5, "hardship declared"))
    total = max(0, sum(f.points for f in factors))
    tier = "good" if total < GOOD_BELOW else ("high" if total >= HIGH_FROM else "general")
    return RiskScore(score=total, tier=tier, factors=tuple(factors))
