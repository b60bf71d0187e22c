"""Weekly trends of the main KPIs: the last 26 ISO weeks (Monday to Sunday, business days)
ending with the week of the filter's end date.

Every series is summed from the daily facts in one grouped query by week, metric, key and
currency; the weekly cure facts are written by the refresh on each Sunday (``facts.cure_rows``),
so the current week has a cure rate once its Sunday is refreshed. The definitions are in
``DEFINITIONS``, in the style of ``kpis.DEFINITIONS``; team, jurisdiction and product filters
apply as everywhere on the dashboard (the filter's start date does not: the window is fixed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Sum
from django.db.models.functions import TruncWeek
from django.utils.translation import gettext_lazy as _

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
            "the week; shown once the week's Sunday is refreshed. Team, jurisdiction and product "
            "are the account's at refresh time."
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
    "cure_base",
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
        .values("week", "metric", "key", "currency")
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
        elif metric == "cure_base":
            w.delinquent += n
            if r["key"] == "cured":
                w.cured += n
        else:
            setattr(w, metric, getattr(w, metric) + n)


def trends(f: Filters, *, count: int = WEEKS) -> Trends:
    """The weekly series for the ``count`` weeks ending with the week of ``f.date_to``."""
    starts = week_starts(f.date_to, count)
    weeks = {s: TrendWeek(start=s) for s in starts}
    first, last = starts[0], starts[-1] + timedelta(days=6)
    _activity(f, weeks, first, last)
    currencies = sorted({c for w in weeks.values() for c in w.collected})
    return Trends(weeks=[weeks[s] for s in starts], currencies=currencies)
