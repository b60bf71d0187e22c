"""Monthly targets and attainment, and collected per head beside the cost per head.

Attainment = actual from the first of the month to the day (the filter's end date, or the
business date on the home page) ÷ the month's target. Actuals are the daily facts' metrics:
``collected`` (payments on accounts assigned to the specialist, in the target's currency),
``promises_kept`` (promises due and kept, by the specialist who recorded them) and
``contacts`` (attempts that reached a person, by the specialist who made them). Targets are
per team, not per jurisdiction or product, so only the team filters apply.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, Team, User
from dashboards.facts import month_start
from dashboards.kpis import Filters, ratio
from dashboards.models import DailyActivity, Target

DEFINITIONS: dict[str, tuple] = {
    "attainment": (
        _("Targets and attainment"),
        _(
            "Actual from the first of the month to the end date of the range ÷ the month's "
            "target. Collected: payments on the accounts assigned to the specialist (the team's "
            "accounts for a team), in the target's currency. Promises kept: promises due and "
            "kept, by who recorded them. Contacts: outbound call and visit attempts that "
            "reached a person, by who made them. Only the team filter applies."
        ),
    ),
    "per_head": (
        _("Collected per head and cost per head"),
        _(
            "The team's amount collected this month to date ÷ its active specialists, beside "
            "the monthly cost per head (setting SETTLE_COST_PER_HEAD_MONTHLY) in the same "
            "currency."
        ),
    ),
}


def cost_per_head(currency: str) -> Decimal | None:
    """The monthly cost of one specialist in ``currency`` (``None``: not configured)."""
    value = (getattr(settings, "SETTLE_COST_PER_HEAD_MONTHLY", None) or {}).get(currency)
    return Decimal(str(value)) if value is not None else None


def _actuals(team_ids, month: date, day: date) -> dict[tuple, Decimal]:
    """``(team_id, specialist_id, metric, currency) → actual`` (count, or amount collected)."""
    facts = DailyActivity.objects.filter(
        day__gte=month, day__lte=day, metric__in=[m.value for m in Target.Metric]
    )
    if team_ids is not None:
        facts = facts.filter(team_id__in=team_ids)
    found: dict[tuple, Decimal] = {}
    for r in (
        facts.values("team_id", "specialist_id", "metric", "currency")
        .annotate(n=Sum("count"), total=Sum("amount"))
        .order_by()
    ):
        value = r["total"] if r["metric"] == Target.Metric.COLLECTED else Decimal(r["n"] or 0)
        found[(r["team_id"], r["specialist_id"], r["metric"], r["currency"])] = value or Decimal(
            "0"
        )
    return found


def _actual(actuals: dict[tuple, Decimal], target: Target) -> Decimal:
    total = Decimal("0")
    for (team_id, specialist_id, metric, currency), value in actuals.items():
        if metric != target.metric:
            continue
        if target.metric == Target.Metric.COLLECTED and currency != target.currency:
            continue
        if target.specialist_id is not None:
            if specialist_id != target.specialist_id:
                continue
        elif team_id != target.team_id:
            continue
        total += value
    return total


def _row(target: Target, actual: Decimal) -> dict:
    if target.metric != Target.Metric.COLLECTED:
        actual = actual.quantize(Decimal("1"))
    return {
        "target_id": target.pk,
        "team_id": target.team_id,
        "team": target.team.name,
        "specialist_id": target.specialist_id,
        "specialist": target.specialist.get_username() if target.specialist else "",
        "metric": target.metric,
        "metric_label": target.get_metric_display(),
        "currency": target.currency,
        "target": target.value,
        "actual": actual,
        "attainment": ratio(actual, target.value),
    }


@dataclass
class Attainment:
    month: date
    day: date
    rows: list[dict] = field(default_factory=list)
    per_head: list[dict] = field(default_factory=list)

    @property
    def teams(self) -> list[dict]:
        return [r for r in self.rows if not r["specialist_id"]]

    @property
    def specialists(self) -> list[dict]:
        return [r for r in self.rows if r["specialist_id"]]


def _team_ids(f: Filters):
    if f.team_id:
        if f.team_ids is not None and f.team_id not in f.team_ids:
            return ()
        return (f.team_id,)
    return f.team_ids


def attainment(f: Filters) -> Attainment:
    """Targets of the month of ``f.date_to`` in the teams the filters allow, with attainment to
    that day; and each team's collected per head this month beside the cost per head."""
    day = f.date_to
    month = month_start(day)
    team_ids = _team_ids(f)
    targets = Target.objects.filter(month=month).select_related("team", "specialist")
    teams = Team.objects.all()
    if team_ids is not None:
        targets = targets.filter(team_id__in=team_ids)
        teams = teams.filter(pk__in=team_ids)
    actuals = _actuals(team_ids, month, day)
    rows = [_row(t, _actual(actuals, t)) for t in targets]
    rows.sort(key=lambda r: (r["team"], r["specialist"], r["metric"], r["currency"]))

    collected: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    for (team_id, _s, metric, currency), value in actuals.items():
        if metric == Target.Metric.COLLECTED:
            collected[(team_id, currency)] += value
    heads = dict(
        teams.annotate(
            heads=Count(
                "members",
                filter=Q(members__is_active=True, members__groups__name=Role.SPECIALIST),
                distinct=True,
            )
        ).values_list("pk", "heads")
    )
    names = dict(teams.values_list("pk", "name"))
    per_head = []
    for (team_id, currency), amount in sorted(
        collected.items(), key=lambda kv: (names.get(kv[0][0], ""), kv[0][1])
    ):
        if team_id not in names:
            continue
        n = heads.get(team_id, 0)
        each = (amount / n).quantize(Decimal("0.01")) if n else None
        cost = cost_per_head(currency)
        per_head.append(
            {
                "team_id": team_id,
                "team": names[team_id],
                "currency": currency,
                "collected": amount,
                "heads": n,
                "per_head": each,
                "cost_per_head": cost,
                "per_head_to_cost": ratio(each, cost) if each is not None else None,
            }
        )
    return Attainment(month=month, day=day, rows=rows, per_head=per_head)


def for_specialist(user: User, *, day: date) -> list[dict]:
    """The user's own targets this month and their team's, with attainment to ``day`` (for the
    home page)."""
    month = month_start(day)
    targets = (
        Target.objects.filter(month=month)
        .filter(Q(specialist=user) | Q(team_id=user.team_id, specialist__isnull=True))
        .select_related("team", "specialist")
    )
    targets = list(targets)
    if not targets:
        return []
    actuals = _actuals({t.team_id for t in targets} or None, month, day)
    rows = [_row(t, _actual(actuals, t)) for t in targets]
    rows.sort(key=lambda r: (r["specialist_id"] is None, r["metric"], r["currency"]))
    return rows
