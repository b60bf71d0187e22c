"""Supervisor KPIs, one function per family, summed from the daily facts (``dashboards.facts``).

Every KPI has its definition in ``DEFINITIONS`` beside the code that computes it; the dashboard
and the README show the same text. Rates are ``Decimal`` shares (0–1, four places) or ``None``
when the denominator is zero. Money is summed per currency, never across currencies.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Max, Min, Sum
from django.utils.translation import gettext_lazy as _

from accounts import delinquency
from accounts.models import CLOSED_STAGES, PAID_STAGES, User
from dashboards.facts import month_end, next_month
from dashboards.models import DailyActivity, PortfolioSnapshot, RollFact

DEFAULT_DAYS = 90

DEFINITIONS: dict[str, tuple] = {
    "portfolio": (
        _("Portfolio by bucket and tier"),
        _(
            "Open accounts (stages early, late, on plan, legal, placed) on the last snapshot day "
            "in the range, by bucket (from days past due on that day) and risk tier: number of "
            "accounts and total balance (principal + interest + fees), per currency."
        ),
    ),
    "roll": (
        _("Roll-rate matrix"),
        _(
            "For each month pair M→M+1 whose second month-end falls in the range: of the accounts "
            "whose bucket history puts them in bucket X at the end of M, the share in bucket Y at "
            "the end of M+1, or the share that left collections by then (paid off, settled, "
            "written off, closed). Accounts without a bucket stay at the end of M are left out. "
            "Rows sum to 100%."
        ),
    ),
    "cure": (
        _("Cure rate"),
        _(
            "Of the accounts delinquent (any bucket but the first) at the end of month M, the "
            "share in the first (current) bucket at the end of M+1 or paid off or settled by "
            "then, summed over the month pairs of the roll-rate matrix."
        ),
    ),
    "contact_rate": (
        _("Contact rate"),
        _(
            "Outbound call and visit attempts that reached a person (the customer or a third "
            "party) ÷ all outbound call and visit attempts, by the day of the attempt. Entries "
            "replaced by a correction count once, as corrected."
        ),
    ),
    "rpc_rate": (
        _("Right-party contact rate"),
        _(
            "Outbound call and visit attempts that reached the customer (a conversation) ÷ all "
            "outbound call and visit attempts, by the day of the attempt."
        ),
    ),
    "promise_rate": (
        _("Promise rate"),
        _(
            "Promises to pay recorded in the range ÷ right-party contacts in the range (by the "
            "day the promise was recorded and the day of the contact)."
        ),
    ),
    "kept_rate": (
        _("Promise-kept rate"),
        _(
            "Promises due in the range that were kept in full ÷ promises due in the range that "
            "are resolved (kept, partially kept or broken); pending promises are left out."
        ),
    ),
    "collected": (
        _("Amount collected"),
        _("Payments received in the range (by the day received), per currency."),
    ),
    "recovery_rate": (
        _("Recovery rate"),
        _(
            "Amount collected in the range ÷ balance of the delinquent open accounts (every "
            "bucket but the first) on the first snapshot day in the range, per currency."
        ),
    ),
    "write_offs": (
        _("Written off and post-write-off recoveries"),
        _(
            "Written off: the balances (principal + interest + fees) of the accounts charged "
            "off in the range (by policy or by an approved decision), by the charge-off date, "
            "per currency. Post-write-off recoveries: payments received in the range on or after "
            "the charge-off date of their account (the day received), their number and amount "
            "per currency; they are also part of the amount collected."
        ),
    ),
    "plans": (
        _("Plans active, completed and broken rate"),
        _(
            "Active: plans in force on the last snapshot day in the range. Completed and broken: "
            "plans that completed or broke in the range. Broken rate = broken ÷ (broken + "
            "completed): of the plans that ended in the range, the share that broke."
        ),
    ),
    "complaint_rate": (
        _("Complaint rate"),
        _("Complaints received in the range per 1,000 right-party contacts in the range."),
    ),
    "self_service": (
        _("Self-service share"),
        _(
            "What customers did themselves online (the portal), as a share of all: payments "
            "received through online checkout ÷ all payments received; plans activated with the "
            "customer's online acceptance ÷ all plans activated; promises made online ÷ all "
            "promises recorded; each in the range."
        ),
    ),
    "reasons": (
        _("Reasons for delinquency"),
        _(
            "Contact log entries in the range that record a reason for delinquency, by reason, "
            "and each reason's share of them."
        ),
    ),
    "blocks": (
        _("Compliance blocks by rule"),
        _(
            "Compliance decisions that blocked a contact in the range (by the contact time "
            "checked), counted once per rule they violated; the total counts each blocked "
            "decision once."
        ),
    ),
    "specialists": (
        _("Per specialist"),
        _(
            "Workload: open accounts assigned on the last snapshot day. Attempts, right-party "
            "contacts: made by the specialist. Promises and kept: recorded by the specialist. "
            "Collected and complaints: on accounts assigned to the specialist when the facts "
            "were refreshed."
        ),
    ),
}

FOUR_PLACES = Decimal("0.0001")


def ratio(numerator, denominator) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(FOUR_PLACES, ROUND_HALF_UP)


@dataclass(frozen=True)
class Filters:
    """What the supervisor asked for; ``team_ids`` is what they may see (``None``: all)."""

    date_from: date
    date_to: date
    team_id: int | None = None
    jurisdiction: str = ""
    product: str = ""
    team_ids: tuple[int, ...] | None = None

    @classmethod
    def default(cls, *, team_ids: tuple[int, ...] | None = None, today: date | None = None):
        today = today or delinquency.business_date()
        return cls(today - timedelta(days=DEFAULT_DAYS - 1), today, team_ids=team_ids)

    def scope(self, queryset):
        if self.team_ids is not None:
            queryset = queryset.filter(team_id__in=self.team_ids)
        if self.team_id:
            queryset = queryset.filter(team_id=self.team_id)
        if self.jurisdiction:
            queryset = queryset.filter(jurisdiction=self.jurisdiction)
        if self.product:
            queryset = queryset.filter(product=self.product)
        return queryset

    def activity(self, *metrics: str):
        return self.scope(
            DailyActivity.objects.filter(
                day__gte=self.date_from, day__lte=self.date_to, metric__in=metrics
            )
        )


def _counts(f: Filters, *metrics: str) -> dict[str, int]:
    rows = f.activity(*metrics).values("metric").annotate(n=Sum("count")).order_by()
    found = {r["metric"]: r["n"] for r in rows}
    return {m: found.get(m, 0) for m in metrics}


def _snapshot_day(f: Filters, *, first: bool = False) -> date | None:
    days = f.scope(
        PortfolioSnapshot.objects.filter(day__gte=f.date_from, day__lte=f.date_to)
    ).aggregate(first=Min("day"), last=Max("day"))
    return days["first" if first else "last"]


# --- Portfolio ------------------------------------------------------------------------------
@dataclass
class Portfolio:
    day: date | None
    rows: list[dict] = field(default_factory=list)  # bucket, tier, currency, accounts, balance

    @property
    def by_bucket(self) -> list[dict]:
        totals: dict[tuple, dict] = {}
        for r in self.rows:
            t = totals.setdefault(
                (r["bucket"], r["currency"]),
                {
                    "bucket": r["bucket"],
                    "currency": r["currency"],
                    "accounts": 0,
                    "balance": Decimal("0"),
                },
            )
            t["accounts"] += r["accounts"]
            t["balance"] += r["balance"]
        return list(totals.values())

    @property
    def accounts(self) -> int:
        return sum(r["accounts"] for r in self.rows)


def portfolio(f: Filters) -> Portfolio:
    day = _snapshot_day(f)
    if day is None:
        return Portfolio(day=None)
    order = {b.code: i for i, b in enumerate(delinquency.configured_buckets())}
    tiers = {"good": 0, "general": 1, "high": 2}
    rows = list(
        f.scope(PortfolioSnapshot.objects.filter(day=day))
        .values("bucket", "tier", "currency")
        .annotate(accounts=Sum("accounts"), balance=Sum("balance"))
        .order_by()
    )
    rows.sort(key=lambda r: (order.get(r["bucket"], 99), tiers.get(r["tier"], 9), r["currency"]))
    return Portfolio(day=day, rows=rows)


# --- Roll rates and cure ----------------------------------------------------------------------
@dataclass
class RollMatrix:
    month: date
    buckets: list[str]
    counts: dict[tuple[str, str], int]

    @property
    def start_day(self) -> date:
        return month_end(self.month)

    @property
    def end_day(self) -> date:
        return month_end(next_month(self.month))

    @property
    def exits(self) -> list[str]:
        """The closed stages some account left to, in stage order (columns after the buckets)."""
        present = {b for (_a, b) in self.counts}
        return [stage for stage in CLOSED_STAGES if stage in present]

    @property
    def columns(self) -> list[str]:
        return self.buckets + self.exits

    def row_total(self, bucket: str) -> int:
        return sum(n for (a, _b), n in self.counts.items() if a == bucket)

    def rate(self, from_bucket: str, to_bucket: str) -> Decimal | None:
        return ratio(self.counts.get((from_bucket, to_bucket), 0), self.row_total(from_bucket))

    def rows(self) -> list[dict]:
        return [
            {
                "from": a,
                "total": self.row_total(a),
                "cells": [
                    {"to": b, "count": self.counts.get((a, b), 0), "rate": self.rate(a, b)}
                    for b in self.columns
                ],
            }
            for a in self.buckets
        ]

    @property
    def delinquent_at_start(self) -> int:
        return sum(n for (a, _b), n in self.counts.items() if a != self.buckets[0])

    @property
    def cured(self) -> int:
        first = self.buckets[0]
        return sum(
            n
            for (a, b), n in self.counts.items()
            if a != first and (b == first or b in PAID_STAGES)
        )

    @property
    def cure_rate(self) -> Decimal | None:
        return ratio(self.cured, self.delinquent_at_start)


def roll_rates(f: Filters) -> list[RollMatrix]:
    buckets = [b.code for b in delinquency.configured_buckets()]
    # Pairs whose second month-end (end of M+1) lies in the range.
    first = (f.date_from.replace(day=1) - timedelta(days=1)).replace(day=1)
    rows = (
        f.scope(RollFact.objects.filter(month__gte=first, month__lte=f.date_to))
        .values("month", "from_bucket", "to_bucket")
        .annotate(n=Sum("accounts"))
        .order_by("month")
    )
    matrices: dict[date, RollMatrix] = {}
    for r in rows:
        month = r["month"]
        if not f.date_from <= month_end(next_month(month)) <= f.date_to:
            continue
        m = matrices.setdefault(month, RollMatrix(month=month, buckets=buckets, counts={}))
        m.counts[(r["from_bucket"], r["to_bucket"])] = r["n"]
    return [matrices[k] for k in sorted(matrices)]


def cure_rate(matrices: list[RollMatrix]) -> dict:
    delinquent = sum(m.delinquent_at_start for m in matrices)
    cured = sum(m.cured for m in matrices)
    return {"delinquent": delinquent, "cured": cured, "rate": ratio(cured, delinquent)}


# --- Activity KPIs -----------------------------------------------------------------------------
def contact_rates(f: Filters) -> dict:
    c = _counts(f, "attempts", "contacts", "rpc")
    return {
        **c,
        "contact_rate": ratio(c["contacts"], c["attempts"]),
        "rpc_rate": ratio(c["rpc"], c["attempts"]),
    }


def promise_rates(f: Filters) -> dict:
    c = _counts(
        f, "promises_made", "rpc", "promises_kept", "promises_partially_kept", "promises_broken"
    )
    resolved = c["promises_kept"] + c["promises_partially_kept"] + c["promises_broken"]
    return {
        **c,
        "resolved": resolved,
        "promise_rate": ratio(c["promises_made"], c["rpc"]),
        "kept_rate": ratio(c["promises_kept"], resolved),
    }


def _per_currency(f: Filters, metric: str) -> dict[str, tuple[int, Decimal]]:
    return {
        r["currency"]: (r["n"], r["total"])
        for r in f.activity(metric)
        .values("currency")
        .annotate(n=Sum("count"), total=Sum("amount"))
        .order_by()
    }


def collections(f: Filters) -> list[dict]:
    """Per currency: collected, delinquent balance at the start, recovery rate; written off and
    the post-write-off recoveries (``DEFINITIONS["write_offs"]``)."""
    collected = _per_currency(f, "collected")
    recovered = _per_currency(f, "recovered")
    written_off = _per_currency(f, "written_off")
    first_day = _snapshot_day(f, first=True)
    base: dict[str, Decimal] = {}
    if first_day is not None:
        current = delinquency.configured_buckets()[0].code
        base = {
            r["currency"]: r["balance"]
            for r in f.scope(PortfolioSnapshot.objects.filter(day=first_day))
            .exclude(bucket=current)
            .values("currency")
            .annotate(balance=Sum("balance"))
            .order_by()
        }
    rows = []
    nothing = (0, Decimal("0"))
    for currency in sorted(set(collected) | set(base) | set(recovered) | set(written_off)):
        payments, amount = collected.get(currency, nothing)
        recoveries, recovered_amount = recovered.get(currency, nothing)
        charged_off, written_off_amount = written_off.get(currency, nothing)
        rows.append(
            {
                "currency": currency,
                "payments": payments,
                "collected": amount,
                "delinquent_balance": base.get(currency, Decimal("0")),
                "base_day": first_day,
                "recovery_rate": ratio(amount, base.get(currency)),
                "written_off_accounts": charged_off,
                "written_off": written_off_amount,
                "recoveries": recoveries,
                "recovered": recovered_amount,
            }
        )
    return rows


def plan_rates(f: Filters) -> dict:
    c = _counts(f, "plans_activated", "plans_completed", "plans_broken")
    last_day = f.activity("plans_active").aggregate(d=Max("day"))["d"]
    active = 0
    if last_day is not None:
        active = (
            f.scope(DailyActivity.objects.filter(day=last_day, metric="plans_active")).aggregate(
                n=Sum("count")
            )["n"]
            or 0
        )
    return {
        **c,
        "active": active,
        "broken_rate": ratio(c["plans_broken"], c["plans_broken"] + c["plans_completed"]),
    }


def self_service(f: Filters) -> dict:
    c = _counts(
        f,
        "collected",
        "collected_self_service",
        "plans_activated",
        "plans_self_service",
        "promises_made",
        "promises_self_service",
    )
    return {
        **c,
        "payments_share": ratio(c["collected_self_service"], c["collected"]),
        "plans_share": ratio(c["plans_self_service"], c["plans_activated"]),
        "promises_share": ratio(c["promises_self_service"], c["promises_made"]),
    }


def complaint_rate(f: Filters) -> dict:
    c = _counts(f, "complaints", "rpc")
    rate = ratio(c["complaints"] * 1000, c["rpc"])
    return {**c, "per_1000_rpc": rate.quantize(Decimal("0.01")) if rate is not None else None}


def reasons(f: Filters) -> list[dict]:
    rows = list(f.activity("reason").values("key").annotate(n=Sum("count")).order_by("-n", "key"))
    total = sum(r["n"] for r in rows)
    return [{"reason": r["key"], "count": r["n"], "share": ratio(r["n"], total)} for r in rows]


def blocks(f: Filters) -> dict:
    rows = list(
        f.activity("block_rule").values("key").annotate(n=Sum("count")).order_by("-n", "key")
    )
    return {
        "total": _counts(f, "blocked")["blocked"],
        "by_rule": [{"rule": r["key"], "count": r["n"]} for r in rows],
    }


SPECIALIST_METRICS = (
    "attempts",
    "rpc",
    "promises_made",
    "promises_kept",
    "collected",
    "complaints",
)


def specialists(f: Filters) -> list[dict]:
    """One row per specialist id seen in the facts (``None``: unassigned / system)."""
    table: dict[int | None, dict] = defaultdict(
        lambda: {
            "workload": 0,
            "balance": defaultdict(Decimal),
            "collected": defaultdict(Decimal),
            **{m: 0 for m in SPECIALIST_METRICS if m != "collected"},
        }
    )
    day = _snapshot_day(f)
    if day is not None:
        for r in (
            f.scope(PortfolioSnapshot.objects.filter(day=day))
            .values("specialist_id", "currency")
            .annotate(n=Sum("accounts"), balance=Sum("balance"))
            .order_by()
        ):
            row = table[r["specialist_id"]]
            row["workload"] += r["n"]
            row["balance"][r["currency"]] += r["balance"]
    for r in (
        f.activity(*SPECIALIST_METRICS)
        .values("specialist_id", "metric", "currency")
        .annotate(n=Sum("count"), total=Sum("amount"))
        .order_by()
    ):
        row = table[r["specialist_id"]]
        if r["metric"] == "collected":
            row["collected"][r["currency"]] += r["total"]
        else:
            row[r["metric"]] += r["n"]
    names = dict(User.objects.filter(pk__in=[k for k in table if k]).values_list("pk", "username"))
    result = []
    for specialist_id, row in table.items():
        result.append(
            {
                "specialist_id": specialist_id,
                "specialist": names.get(specialist_id, "") if specialist_id else "",
                **row,
                "balance": dict(sorted(row["balance"].items())),
                "collected": dict(sorted(row["collected"].items())),
            }
        )
    result.sort(key=lambda r: (r["specialist"] == "", r["specialist"]))
    return result
