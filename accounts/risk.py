"""Risk tier v1: an explainable points score.

Every factor adds points with a reason a specialist can read on the case page; the tier is a
threshold on the sum. The points live in the tables below, read by both ``score`` (pure Python:
inputs in, score and factors out) and ``score_sql`` (the same rules as SQL, for set-based
scoring on PostgreSQL by the importer and the nightly run), so there is one definition.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from accounts import aging

if TYPE_CHECKING:
    from accounts.models import Account

GOOD_BELOW = 25
HIGH_FROM = 50

# (last day past due of the band, points); beyond the last band: DPD_POINTS_BEYOND.
DPD_POINTS: tuple[tuple[int, int], ...] = ((0, 0), (29, 5), (59, 15), (89, 25), (179, 35))
DPD_POINTS_BEYOND = 45

# Balance thresholds per currency (small, medium, large), in the currency's units; below small,
# below medium, below large, and from large on score BALANCE_POINTS in that order.
BALANCE_BANDS: dict[str, tuple[Decimal, Decimal, Decimal]] = {
    "USD": (Decimal("1000"), Decimal("5000"), Decimal("20000")),
    "CNY": (Decimal("7000"), Decimal("35000"), Decimal("140000")),
}
BALANCE_POINTS: tuple[int, int, int, int] = (0, 5, 10, 15)

NO_PAYMENT_POINTS = 15  # no payment in 90 days
ONE_PAYMENT_POINTS = 0
REPEAT_PAYMENT_POINTS = -10  # two or more payments in 90 days
BROKEN_PROMISE_POINTS, BROKEN_PROMISE_CAP = 10, 30  # per promise broken in 180 days
BROKEN_PLAN_POINTS, BROKEN_PLAN_CAP = 15, 30  # per broken plan
NOT_CONTACTABLE_POINTS = 15
# Stated hardship lowers willingness risk but signals reduced capacity: a small add.
HARDSHIP_POINTS = 5


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
    for limit, points in DPD_POINTS:
        if dpd <= limit:
            return points
    return DPD_POINTS_BEYOND


def _dpd_band_labels() -> list[tuple[int | None, str]]:
    """``(last day, label)`` per DPD band: "0", "1–29", …, "180+" days past due.

    The stored factor names the band, not the day count, so it only changes when its points
    do and the nightly run rewrites an account only when its risk really moved (the live DPD is
    on the case page anyway).
    """
    labels: list[tuple[int | None, str]] = []
    first = 0
    for limit, _points in DPD_POINTS:
        labels.append((limit, f"{first}–{limit}" if limit > first else f"{first}"))
        first = limit + 1
    labels.append((None, f"{first}+"))
    return [(limit, f"{text} days past due") for limit, text in labels]


DPD_BAND_LABELS = _dpd_band_labels()


def _dpd_band(dpd: int) -> str:
    return next(text for limit, text in DPD_BAND_LABELS if limit is None or dpd <= limit)


def _balance_points(balance: Decimal, currency: str) -> int:
    limits = BALANCE_BANDS.get(currency, BALANCE_BANDS["USD"])
    for limit, points in zip(limits, BALANCE_POINTS, strict=False):
        if balance < limit:
            return points
    return BALANCE_POINTS[-1]


def _tier(total: int) -> str:
    return "good" if total < GOOD_BELOW else ("high" if total >= HIGH_FROM else "general")


def score(inputs: RiskInputs) -> RiskScore:
    factors = [
        RiskFactor(
            "days_past_due",
            _dpd_points(inputs.days_past_due),
            _dpd_band(inputs.days_past_due),
        ),
        RiskFactor(
            "balance",
            _balance_points(inputs.total_balance, inputs.currency),
            f"balance {inputs.total_balance} {inputs.currency}",
        ),
    ]
    payments = inputs.payments_last_90_days
    if payments == 0:
        factors.append(RiskFactor("payment_history", NO_PAYMENT_POINTS, "no payment in 90 days"))
    elif payments >= 2:
        factors.append(
            RiskFactor("payment_history", REPEAT_PAYMENT_POINTS, f"{payments} payments in 90 days")
        )
    else:
        factors.append(RiskFactor("payment_history", ONE_PAYMENT_POINTS, "1 payment in 90 days"))
    if inputs.broken_promises_last_180_days:
        factors.append(
            RiskFactor(
                "broken_promises",
                min(
                    BROKEN_PROMISE_CAP, BROKEN_PROMISE_POINTS * inputs.broken_promises_last_180_days
                ),
                f"{inputs.broken_promises_last_180_days} broken promises in 180 days",
            )
        )
    if inputs.broken_plans:
        factors.append(
            RiskFactor(
                "broken_plans",
                min(BROKEN_PLAN_CAP, BROKEN_PLAN_POINTS * inputs.broken_plans),
                f"{inputs.broken_plans} broken plans",
            )
        )
    if not inputs.contactable:
        factors.append(
            RiskFactor("contactability", NOT_CONTACTABLE_POINTS, "no usable phone or email")
        )
    if inputs.hardship:
        factors.append(RiskFactor("hardship", HARDSHIP_POINTS, "hardship declared"))
    total = max(0, sum(f.points for f in factors))
    return RiskScore(score=total, tier=_tier(total), factors=tuple(factors))


# --- The same rules in SQL (PostgreSQL) -------------------------------------------------------
def _sql_factor(code: str, points: str, detail: str) -> str:
    # JSON as text, parsed once per row (cheaper than jsonb_build_object). Nothing here needs
    # escaping: codes and details are fixed ASCII, integers, numerics and a validated currency.
    return (
        f'\'{{"code": "{code}", "points": \' || {points} || '
        f"', \"detail\": \"' || {detail} || '\"}}'"
    )


def score_sql(
    *,
    dpd: str,
    balance: str,
    currency: str,
    payments: str,
    broken_promises: str = "0",
    broken_plans: str = "0",
    contactable: str = "true",
    hardship: str = "false",
) -> str:
    """A LATERAL subquery ``rk`` (score, tier, factors jsonb) equal to ``score`` over the inputs
    given as SQL expressions (ints, a numeric balance, a currency code, booleans); PostgreSQL."""
    dpd_points = (
        "CASE "
        + " ".join(f"WHEN x.dpd <= {limit} THEN {points}" for limit, points in DPD_POINTS)
        + f" ELSE {DPD_POINTS_BEYOND} END"
    )
    dpd_band = (
        "CASE "
        + " ".join(
            f"WHEN y.dpd <= {limit} THEN '{text}'"
            for limit, text in DPD_BAND_LABELS
            if limit is not None
        )
        + f" ELSE '{DPD_BAND_LABELS[-1][1]}' END"
    )

    def bands(limits: tuple[Decimal, Decimal, Decimal]) -> str:
        whens = " ".join(
            f"WHEN x.balance < {limit} THEN {points}"
            for limit, points in zip(limits, BALANCE_POINTS, strict=False)
        )
        return f"CASE {whens} ELSE {BALANCE_POINTS[-1]} END"

    balance_points = (
        "CASE "
        + " ".join(
            f"WHEN x.currency = '{code}' THEN {bands(limits)}"
            for code, limits in BALANCE_BANDS.items()
        )
        + f" ELSE {bands(BALANCE_BANDS['USD'])} END"
    )
    payment_points = (
        f"CASE WHEN x.payments = 0 THEN {NO_PAYMENT_POINTS} "
        f"WHEN x.payments >= 2 THEN {REPEAT_PAYMENT_POINTS} ELSE {ONE_PAYMENT_POINTS} END"
    )
    payment_detail = (
        "CASE WHEN y.payments = 0 THEN 'no payment in 90 days' "
        "WHEN y.payments = 1 THEN '1 payment in 90 days' "
        "ELSE y.payments || ' payments in 90 days' END"
    )
    factors = (
        "('[' || concat_ws(', ', "
        + _sql_factor("days_past_due", "y.dp", dpd_band)
        + ", "
        + _sql_factor("balance", "y.bp", "'balance ' || y.balance || ' ' || y.currency")
        + ", "
        + _sql_factor("payment_history", "y.pp", payment_detail)
        + ", CASE WHEN y.promises > 0 THEN "
        + _sql_factor("broken_promises", "y.prp", "y.promises || ' broken promises in 180 days'")
        + " END, CASE WHEN y.plans > 0 THEN "
        + _sql_factor("broken_plans", "y.plp", "y.plans || ' broken plans'")
        + " END, CASE WHEN NOT y.contactable THEN "
        + _sql_factor("contactability", "y.cp", "'no usable phone or email'")
        + " END, CASE WHEN y.hardship THEN "
        + _sql_factor("hardship", "y.hp", "'hardship declared'")
        + " END) || ']')::jsonb"
    )
    # Fixed SQL fragments from this module and expressions from the caller's own code.
    return (
        f"LATERAL (SELECT z.score, CASE WHEN z.score < {GOOD_BELOW} THEN 'good' "  # noqa: S608
        f"WHEN z.score >= {HIGH_FROM} THEN 'high' ELSE 'general' END AS tier, z.factors "
        "FROM (SELECT greatest(0, y.dp + y.bp + y.pp + y.prp + y.plp + y.cp + y.hp) AS score, "
        f"{factors} AS factors FROM (SELECT x.*, {dpd_points} AS dp, {balance_points} AS bp, "
        f"{payment_points} AS pp, "
        f"least({BROKEN_PROMISE_CAP}, {BROKEN_PROMISE_POINTS} * x.promises) AS prp, "
        f"least({BROKEN_PLAN_CAP}, {BROKEN_PLAN_POINTS} * x.plans) AS plp, "
        f"CASE WHEN x.contactable THEN 0 ELSE {NOT_CONTACTABLE_POINTS} END AS cp, "
        f"CASE WHEN x.hardship THEN {HARDSHIP_POINTS} ELSE 0 END AS hp "
        f"FROM (SELECT ({dpd})::int AS dpd, ({balance})::numeric AS balance, "
        f"({currency})::text AS currency, COALESCE(({payments})::int, 0) AS payments, "
        f"COALESCE(({broken_promises})::int, 0) AS promises, "
        f"COALESCE(({broken_plans})::int, 0) AS plans, "
        f"COALESCE(({contactable})::boolean, false) AS contactable, "
        f"COALESCE(({hardship})::boolean, false) AS hardship) x) y) z) rk"
    )


# --- Inputs from an account ---------------------------------------------------------------
@dataclass(frozen=True)
class RiskHistory:
    """What the account's own history adds to the risk inputs (counted in grouped queries)."""

    payments_90: int = 0
    broken_promises_180: int = 0
    broken_plans: int = 0


def risk_inputs(
    account: Account, *, as_of: date, contactable: bool, history: RiskHistory | None = None
) -> RiskInputs:
    history = history or RiskHistory()
    # Payments posted in Settle count; so does a payment the bank's feed reports.
    fed = int(
        account.last_payment_date is not None
        and account.last_payment_date >= as_of - timedelta(days=90)
    )
    return RiskInputs(
        days_past_due=aging.days_past_due(account.delinquent_since, as_of),
        total_balance=account.total_balance,
        currency=account.currency,
        payments_last_90_days=max(history.payments_90, fed),
        broken_promises_last_180_days=history.broken_promises_180,
        broken_plans=history.broken_plans,
        contactable=contactable,
        hardship=account.hardship_declared_at is not None,
    )
