"""Risk tier v1: an explainable points score.

Every factor adds points with a reason a specialist can read on the case page; the tier is a
threshold on the sum. The points live in the tables below, read by both ``score`` (pure Python:
inputs in, score and factors out) and ``score_sql`` (the same rules as SQL, for set-based
scoring on PostgreSQL by the importer and the nightly run), so there is one definition.

A stored factor is ``{"code", "points", "detail", "params"}``: ``detail`` is the reason in
English (the API's and the audit's text), ``code`` and ``params`` let every page show it in the
reader's language (``factor_text``). Rows stored before ``params`` existed carry only the
English ``detail``; ``factor_text`` reads their numbers back out of it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

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
    params: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class RiskScore:
    score: int
    tier: str
    factors: tuple[RiskFactor, ...]

    def factors_as_json(self) -> list[dict]:
        return [
            {"code": f.code, "points": f.points, "detail": f.detail, "params": f.params}
            for f in self.factors
        ]


def _dpd_points(dpd: int) -> int:
    for limit, points in DPD_POINTS:
        if dpd <= limit:
            return points
    return DPD_POINTS_BEYOND


def _dpd_band_labels() -> list[tuple[int | None, str, dict[str, int]]]:
    """``(last day, label, params)`` per DPD band: "0", "1–29", …, "180+" days past due.

    The stored factor names the band, not the day count, so it only changes when its points
    do and the nightly run rewrites an account only when its risk really moved (the live DPD is
    on the case page anyway).
    """
    labels: list[tuple[int | None, str, dict[str, int]]] = []
    first = 0
    for limit, _points in DPD_POINTS:
        text = f"{first}–{limit}" if limit > first else f"{first}"
        labels.append((limit, f"{text} days past due", {"from": first, "to": limit}))
        first = limit + 1
    labels.append((None, f"{first}+ days past due", {"from": first}))
    return labels


DPD_BAND_LABELS = _dpd_band_labels()


def _dpd_band(dpd: int) -> tuple[str, dict[str, int]]:
    return next(
        (text, params) for limit, text, params in DPD_BAND_LABELS if limit is None or dpd <= limit
    )


def _balance_points(balance: Decimal, currency: str) -> int:
    limits = BALANCE_BANDS.get(currency, BALANCE_BANDS["USD"])
    for limit, points in zip(limits, BALANCE_POINTS, strict=False):
        if balance < limit:
            return points
    return BALANCE_POINTS[-1]


def _tier(total: int) -> str:
    return "good" if total < GOOD_BELOW else ("high" if total >= HIGH_FROM else "general")


def score(inputs: RiskInputs) -> RiskScore:
    band, band_params = _dpd_band(inputs.days_past_due)
    factors = [
        RiskFactor("days_past_due", _dpd_points(inputs.days_past_due), band, band_params),
        RiskFactor(
            "balance",
            _balance_points(inputs.total_balance, inputs.currency),
            f"balance {inputs.total_balance} {inputs.currency}",
            {"amount": str(inputs.total_balance), "currency": inputs.currency},
        ),
    ]
    payments = inputs.payments_last_90_days
    counted = {"count": payments}
    if payments == 0:
        factors.append(
            RiskFactor("payment_history", NO_PAYMENT_POINTS, "no payment in 90 days", counted)
        )
    elif payments >= 2:
        factors.append(
            RiskFactor(
                "payment_history",
                REPEAT_PAYMENT_POINTS,
                f"{payments} payments in 90 days",
                counted,
            )
        )
    else:
        factors.append(
            RiskFactor("payment_history", ONE_PAYMENT_POINTS, "1 payment in 90 days", counted)
        )
    if inputs.broken_promises_last_180_days:
        factors.append(
            RiskFactor(
                "broken_promises",
                min(
                    BROKEN_PROMISE_CAP, BROKEN_PROMISE_POINTS * inputs.broken_promises_last_180_days
                ),
                f"{inputs.broken_promises_last_180_days} broken promises in 180 days",
                {"count": inputs.broken_promises_last_180_days},
            )
        )
    if inputs.broken_plans:
        factors.append(
            RiskFactor(
                "broken_plans",
                min(BROKEN_PLAN_CAP, BROKEN_PLAN_POINTS * inputs.broken_plans),
                f"{inputs.broken_plans} broken plans",
                {"count": inputs.broken_plans},
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


# --- A stored factor in the reader's language ---------------------------------------------------
def _days_text(p: Mapping[str, Any]) -> str:
    first, last = int(p["from"]), p.get("to")
    if last is None:
        return _("%(from)s+ days past due") % {"from": first}
    if int(last) == first:
        return ngettext("%(count)s day past due", "%(count)s days past due", first) % {
            "count": first
        }
    return _("%(from)s–%(to)s days past due") % {"from": first, "to": int(last)}


def _payments_text(p: Mapping[str, Any]) -> str:
    count = int(p["count"])
    if count == 0:
        return _("no payment in 90 days")
    return ngettext("%(count)s payment in 90 days", "%(count)s payments in 90 days", count) % {
        "count": count
    }


FACTOR_TEXTS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "days_past_due": _days_text,
    "balance": lambda p: _("balance %(amount)s %(currency)s") % p,
    "payment_history": _payments_text,
    "broken_promises": lambda p: (
        ngettext(
            "%(count)s broken promise in 180 days",
            "%(count)s broken promises in 180 days",
            p["count"],
        )
        % {"count": p["count"]}
    ),
    "broken_plans": lambda p: (
        ngettext("%(count)s broken plan", "%(count)s broken plans", p["count"])
        % {"count": p["count"]}
    ),
    "contactability": lambda p: _("no usable phone or email"),
    "hardship": lambda p: pgettext("risk factor", "hardship declared"),
}

#: The English details of rows stored before ``params``: code → (pattern, params from match).
_OLD_DETAILS: dict[str, list[tuple[re.Pattern[str], Callable[[re.Match[str]], dict]]]] = {
    "days_past_due": [
        (re.compile(r"^(\d+)–(\d+) days past due$"), lambda m: {"from": m[1], "to": m[2]}),
        (re.compile(r"^(\d+)\+ days past due$"), lambda m: {"from": m[1]}),
        (re.compile(r"^(\d+) days past due$"), lambda m: {"from": m[1], "to": m[1]}),
    ],
    "balance": [
        (re.compile(r"^balance (\S+) (\S+)$"), lambda m: {"amount": m[1], "currency": m[2]})
    ],
    "payment_history": [
        (re.compile(r"^no payment in 90 days$"), lambda m: {"count": 0}),
        (re.compile(r"^(\d+) payments? in 90 days$"), lambda m: {"count": int(m[1])}),
    ],
    "broken_promises": [
        (re.compile(r"^(\d+) broken promises in 180 days$"), lambda m: {"count": int(m[1])})
    ],
    "broken_plans": [(re.compile(r"^(\d+) broken plans$"), lambda m: {"count": int(m[1])})],
    "contactability": [(re.compile(r"^no usable phone or email$"), lambda m: {})],
    "hardship": [(re.compile(r"^hardship declared$"), lambda m: {})],
}


def _old_params(code: str, detail: str) -> dict | None:
    for pattern, params in _OLD_DETAILS.get(code, ()):
        match = pattern.match(detail)
        if match:
            return params(match)
    return None


def factor_text(factor: Mapping[str, Any]) -> str:
    """A stored factor's reason in the active language; a factor it does not know (or an old
    detail it cannot read) is shown as stored."""
    code = str(factor.get("code", ""))
    detail = str(factor.get("detail", ""))
    params = factor.get("params")
    if not isinstance(params, Mapping):
        params = _old_params(code, detail)
    text = FACTOR_TEXTS.get(code)
    if text is None or params is None:
        return detail
    try:
        return text(params)
    except (KeyError, TypeError, ValueError):
        return detail


# --- The same rules in SQL (PostgreSQL) -------------------------------------------------------
def _sql_factor(code: str, points: str, detail: str, params: str = "'{}'") -> str:
    # JSON as text, parsed once per row (cheaper than jsonb_build_object). Nothing here needs
    # escaping: codes and details are fixed ASCII, integers, numerics and a validated currency;
    # ``params`` is an expression giving a JSON object as text.
    return (
        f'\'{{"code": "{code}", "points": \' || {points} || '
        f"', \"detail\": \"' || {detail} || '\", \"params\": ' || {params} || '}}'"
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
            for limit, text, _params in DPD_BAND_LABELS
            if limit is not None
        )
        + f" ELSE '{DPD_BAND_LABELS[-1][1]}' END"
    )

    def json_text(params: dict[str, int]) -> str:
        return "'{" + ", ".join(f'"{k}": {v}' for k, v in params.items()) + "}'"

    dpd_params = (
        "CASE "
        + " ".join(
            f"WHEN y.dpd <= {limit} THEN {json_text(params)}"
            for limit, _text, params in DPD_BAND_LABELS
            if limit is not None
        )
        + f" ELSE {json_text(DPD_BAND_LABELS[-1][2])} END"
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

    def count(column: str) -> str:
        return f"'{{\"count\": ' || {column} || '}}'"

    payment_detail = (
        "CASE WHEN y.payments = 0 THEN 'no payment in 90 days' "
        "WHEN y.payments = 1 THEN '1 payment in 90 days' "
        "ELSE y.payments || ' payments in 90 days' END"
    )
    factors = (
        "('[' || concat_ws(', ', "
        + _sql_factor("days_past_due", "y.dp", dpd_band, dpd_params)
        + ", "
        + _sql_factor(
            "balance",
            "y.bp",
            "'balance ' || y.balance || ' ' || y.currency",
            '\'{"amount": "\' || y.balance || \'", "currency": "\' || y.currency || \'"}\'',
        )
        + ", "
        + _sql_factor("payment_history", "y.pp", payment_detail, count("y.payments"))
        + ", CASE WHEN y.promises > 0 THEN "
        + _sql_factor(
            "broken_promises",
            "y.prp",
            "y.promises || ' broken promises in 180 days'",
            count("y.promises"),
        )
        + " END, CASE WHEN y.plans > 0 THEN "
        + _sql_factor("broken_plans", "y.plp", "y.plans || ' broken plans'", count("y.plans"))
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
