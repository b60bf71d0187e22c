"""Weekly trends of the main KPIs: the last 26 ISO weeks (Monday to Sunday, business days)
ending with the week of the filter's end date.

Activity KPIs (contact rate, promise-kept rate, collected, complaint rate) are summed from the
daily facts in one grouped query by week, metric and currency; the cure rate is read from the
bucket history in one query (the facts hold no weekly states). The definitions are in
``DEFINITIONS``, in the style of ``kpis.DEFINITIONS``; team, jurisdiction and product filters
apply as everywhere on the dashboard (the filter's start date does not: the window is fixed).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Q, Sum
from django.db.models.functions import TruncWeek
from django.utils.translation import gettext_lazy as _

from accounts import delinquency
from accounts.models import PAID_STAGES, BucketHistory
from dashboards.kpis import Filters, ratio
from dashboards.models import DailyActivity

WEEKS = 26

DEFINITIONS: dict[str, tuple] = {
    "trends": (
        _("Weekly trends"),
        _(
            "The last 26 ISO weeks (Monday to Sunday, business days) ending with the week of "
            "the range's end date; the start date of the range is not used. Each week is "
            "computed like the KPI of the same name over that week; the latest week may be "
            "incomplete."
        ),
    ),
    "weekly_cure": (
        _("Weekly cure rate"),
        _(
            "Of the accounts whose bucket history puts them in a delinquent bucket (any but "
            "the first) at the end of the Sunday before the week, the share in the first "
            "(current) bucket at the end of the week's Sunday, or paid off or settled during "
            "the week. Team, jurisdiction and product are the account's today."
        ),
    ),
}

ACTIVITY_METRICS = (
    "attempts",
    "contacts",
    "rpc",
    "promises_kept",
    "promises_partially_kept",
    "promises_broken",
    "collected",
    "complaints",
)


def week_start(day: date) -> date:
    """The Monday of ``day``'s ISO week."""
    return day - timedelta(days=day.weekday())


def week_starts(last_day: date, count: int = WEEKS) -> list[date]:
    """Mondays of the ``count`` weeks ending with the week of ``last_day``, oldest first."""
    last = week_start(last_day)
    return [last - timedelta(weeks=count - 1 - i) for i in range(count)]


@dataclass
class TrendWeek:
    start: date
    attempts: int = 0
    contacts: int = 0
    rpc: int = 0
    kept: int = 0
    resolved: int = 0
    complaints: int = 0
    delinquent: int = 0
    cured: int = 0
    collected: dict[str, Decimal] = field(default_factory=dict)

    @property
    def end(self) -> date:
        return self.start + timedelta(days=6)

    @property
    def label(self) -> str:
        year, week, _day = self.start.isocalendar()
        return f"{year}-W{week:02d}"

    @property
    def contact_rate(self) -> Decimal | None:
        return ratio(self.contacts, self.attempts)

    @property
    def kept_rate(self) -> Decimal | None:
        return ratio(self.kept, self.resolved)

    @property
    def cure_rate(self) -> Decimal | None:
        return ratio(self.cured, self.delinquent)

    @property
    def complaint_rate(self) -> Decimal | None:
        """Complaints per 1,000 right-party contacts, two places."""
        rate = ratio(self.complaints * 1000, self.rpc)
        return rate.quantize(Decimal("0.01")) if rate is not None else None


@dataclass
class Trends:
    weeks: list[TrendWeek]
    currencies: list[str]

    def collected(self, currency: str) -> list[Decimal]:
        return [w.collected.get(currency, Decimal("0")) for w in self.weeks]


def _activity(f: Filters, weeks: dict[date, TrendWeek], first: date, last: date) -> None:
    rows = (
        f.scope(
            DailyActivity.objects.filter(day__gte=first, day__lte=last, metric__in=ACTIVITY_METRICS)
        )
        .annotate(week=TruncWeek("day"))
        .values("week", "metric", "currency")
        .annotate(n=Sum("count"), total=Sum("amount"))
        .order_by()
    )
    for r in rows:
        week_day = r["week"].date() if hasattr(r["week"], "date") else r["week"]
        w = weeks[week_day]
        metric, n = r["metric"], r["n"] or 0
        if metric == "collected":
            w.collected[r["currency"]] = w.collected.get(r["currency"], Decimal("0")) + (
                r["total"] or Decimal("0")
            )
        elif metric == "promises_kept":
            w.kept += n
            w.resolved += n
        elif metric in ("promises_partially_kept", "promises_broken"):
            w.resolved += n
        else:
            setattr(w, metric, getattr(w, metric) + n)


def _scope_stays(f: Filters, queryset):
    if f.team_ids is not None:
        queryset = queryset.filter(account__team_id__in=f.team_ids)
    if f.team_id:
        queryset = queryset.filter(account__team_id=f.team_id)
    if f.jurisdiction:
        queryset = queryset.filter(account__customer__jurisdiction=f.jurisdiction)
    if f.product:
        queryset = queryset.filter(account__product=f.product)
    return queryset


def _covers(stay: tuple, day: date) -> bool:
    """A stay covers ``day`` as in ``facts.stays_on``: entered on or before, not exited by it."""
    _bucket, entered, exited, _to = stay
    return entered <= day and (exited is None or exited > day)


def _cures(f: Filters, weeks: dict[date, TrendWeek], first: date, last: date) -> None:
    """Delinquent at the Sunday before each week and cured by its Sunday (``weekly_cure``)."""
    buckets = [b.code for b in delinquency.configured_buckets()]
    if not buckets:
        return
    current = buckets[0]
    before = first - timedelta(days=1)
    stays = _scope_stays(
        f,
        BucketHistory.objects.filter(entered_on__lte=last).filter(
            Q(exited_on__isnull=True) | Q(exited_on__gt=before)
        ),
    ).values_list("account_id", "bucket", "entered_on", "exited_on", "exited_to")
    by_account: dict[int, list[tuple]] = defaultdict(list)
    for account_id, *stay in stays.order_by().iterator(chunk_size=5000):
        by_account[account_id].append(tuple(stay))
    for account_stays in by_account.values():
        for start, w in weeks.items():
            prior, end = start - timedelta(days=1), start + timedelta(days=6)
            at_start = next((s for s in account_stays if _covers(s, prior)), None)
            if at_start is None or at_start[0] == current:
                continue
            w.delinquent += 1
            at_end = next((s for s in account_stays if _covers(s, end)), None)
            paid = any(
                s[2] is not None and prior < s[2] <= end and s[3] in PAID_STAGES
                for s in account_stays
            )
            if (at_end is not None and at_end[0] == current) or paid:
                w.cured += 1


def trends(f: Filters, *, count: int = WEEKS) -> Trends:
    """The weekly series for the ``count`` weeks ending with the week of ``f.date_to``."""
    starts = week_starts(f.date_to, count)
    weeks = {s: TrendWeek(start=s) for s in starts}
    first, last = starts[0], starts[-1] + timedelta(days=6)
    _activity(f, weeks, first, last)
    _cures(f, weeks, first, last)
    currencies = sorted({c for w in weeks.values() for c in w.collected})
    return Trends(weeks=[weeks[s] for s in starts], currencies=currencies)
