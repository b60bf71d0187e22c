"""Results of a champion/challenger experiment, per arm, with a confidence interval.

The population is intention-to-treat: every account delinquent (in a bucket other than M0) on
the day the challenger started, split into arms by ``contacts.arms`` (the rule reminder
generation used), whatever was sent to it afterwards. For each account over the window (start
to stop, or to now while running) we read, in one grouped query per source:
contacted, right-party contact, promised, promise kept, cured (back to M0 or paid/settled),
rolled (to a worse bucket), collected, complaints and cost (messages × channel cost, call
attempts × minutes × cost per minute: ``SETTLE_CONTACT_COSTS``, per currency). Accounts of one
currency are compared at a time (money of two currencies never adds up). Each metric's arm
value is the mean per account, in ``Decimal``; the difference (challenger − champion) has a
95 % confidence interval from Welch's t-test (``scipy.stats.ttest_ind``, which works in
floating point: its interval is rounded back to the cent), and a verdict in plain words.
"""

from __future__ import annotations

import warnings
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from scipy import stats

from accounts.models import PAID_STAGES, BucketHistory
from contacts import arms
from contacts.models import Complaint, ContactLog, Reminder, StrategyVersion
from dashboards.facts import stays_on
from plans.models import Payment, PromiseStatus, PromiseToPay

#: Fewer accounts than this in an arm: "not enough data yet".
MIN_ACCOUNTS_PER_ARM = 100
CONFIDENCE = 0.95
KEPT = (PromiseStatus.KEPT,)

#: metric → (label, money?, higher is better?)
METRICS = {
    "contacted": (gettext_lazy("Contact rate"), False, True),
    "rpc": (gettext_lazy("Right-party contact rate"), False, True),
    "promised": (gettext_lazy("Promise rate"), False, True),
    "kept": (gettext_lazy("Promise kept (per account)"), False, True),
    "cured": (gettext_lazy("Cure rate"), False, True),
    "rolled": (gettext_lazy("Roll rate (to a worse bucket)"), False, False),
    "collected": (gettext_lazy("Collected per account"), True, True),
    "complaints": (gettext_lazy("Complaints per account"), False, False),
    "cost": (gettext_lazy("Cost per account"), True, False),
}
PRIMARY = "collected"


def contact_costs(currency: str) -> dict[str, Decimal]:
    table = settings.SETTLE_CONTACT_COSTS.get(currency) or {}
    return {k: Decimal(str(v)) for k, v in {**COST_KEYS, **table}.items()}


COST_KEYS = {
    "sms": "0",
    "email": "0",
    "letter": "0",
    "call_minute": "0",
    "call_attempt_minutes": "0",
    "call_conversation_minutes": "0",
}
ZERO = Decimal("0")
PLACES = Decimal("0.0001")


@dataclass
class MetricResult:
    code: str
    label: str
    money: bool
    champion: Decimal
    challenger: Decimal
    difference: Decimal
    low: Decimal | None
    high: Decimal | None
    better: bool | None  # None: the interval holds 0 (or too little data)


@dataclass
class Results:
    version: StrategyVersion
    currency: str
    start: date
    end: date
    accounts: dict[str, int]
    metrics: list[MetricResult] = field(default_factory=list)
    enough: bool = False
    verdict: str = ""


def _window(version: StrategyVersion, now: datetime) -> tuple[datetime, datetime]:
    start = version.started_at or now
    end = version.stopped_at or now
    return start, max(start, end)


def _delinquent_on(day: date):
    """The bucket stays covering ``day`` outside M0: the experiment's population."""
    return stays_on(day).exclude(bucket="M0")


def population(version: StrategyVersion, start: date, currency: str) -> dict[int, str]:
    """Account id → arm for every account in ``currency`` delinquent on ``start`` (its bucket
    stay covering that day)."""
    delinquent = _delinquent_on(start).filter(account__currency=currency)
    return {
        pk: arms.arm(pk, salt=version.salt, share=version.challenger_share)
        for pk in delinquent.values_list("account_id", flat=True)
    }


def _per_account(
    ids: list[int], start: datetime, end: datetime, currency: str
) -> dict[str, dict[int, Decimal]]:
    """Each metric's value per account over the window (absent: 0)."""
    values: dict[str, dict[int, Decimal]] = defaultdict(dict)
    costs = contact_costs(currency)
    one = Decimal(1)
    day0, day1 = start.date(), end.date()
    for chunk in range(0, len(ids), 20_000):
        part = ids[chunk : chunk + 20_000]
        logs = (
            ContactLog.objects.filter(
                account_id__in=part,
                direction=ContactLog.Direction.OUTBOUND,
                occurred_at__gte=start,
                occurred_at__lt=end,
            )
            .values("account_id")
            .annotate(
                n=Count("id"),
                rpc=Count("id", filter=Q(outcome=ContactLog.Outcome.CONVERSATION)),
                calls=Count("id", filter=Q(channel=ContactLog.Channel.CALL)),
                talks=Count(
                    "id",
                    filter=Q(
                        channel=ContactLog.Channel.CALL, outcome=ContactLog.Outcome.CONVERSATION
                    ),
                ),
            )
        )
        for row in logs:
            pk = row["account_id"]
            values["contacted"][pk] = one
            values["rpc"][pk] = one if row["rpc"] else ZERO
            minutes = (row["calls"] - row["talks"]) * costs["call_attempt_minutes"] + row[
                "talks"
            ] * costs["call_conversation_minutes"]
            values["cost"][pk] = values["cost"].get(pk, ZERO) + minutes * costs["call_minute"]
        sent = (
            Reminder.objects.filter(account_id__in=part, sent_at__gte=start, sent_at__lt=end)
            .values("account_id", "channel")
            .annotate(n=Count("id"))
        )
        for row in sent:
            pk = row["account_id"]
            values["cost"][pk] = values["cost"].get(pk, ZERO) + row["n"] * costs.get(
                row["channel"], ZERO
            )
        promises = (
            PromiseToPay.objects.filter(
                account_id__in=part, created_at__gte=start, created_at__lt=end
            )
            .values("account_id")
            .annotate(kept=Count("id", filter=Q(status__in=KEPT)))
        )
        for row in promises:
            values["promised"][row["account_id"]] = one
            values["kept"][row["account_id"]] = one if row["kept"] else ZERO
        cured = BucketHistory.objects.filter(account_id__in=part).filter(
            Q(bucket="M0", entered_on__gte=day0, entered_on__lt=day1)
            | Q(exited_to__in=PAID_STAGES, exited_on__gte=day0, exited_on__lt=day1)
        )
        for pk in cured.values_list("account_id", flat=True).distinct():
            values["cured"][pk] = one
        entered = BucketHistory.objects.filter(
            account_id__in=part, entered_on__gt=day0, entered_on__lt=day1
        ).exclude(bucket="M0")
        for pk in entered.values_list("account_id", flat=True).distinct():
            values["rolled"][pk] = one
        paid = (
            Payment.objects.filter(account_id__in=part, received_at__gte=start, received_at__lt=end)
            .values("account_id")
            .annotate(total=Sum("amount"))
        )
        for row in paid:
            values["collected"][row["account_id"]] = row["total"]
        complaints = (
            Complaint.objects.filter(account_id__in=part, opened_at__gte=start, opened_at__lt=end)
            .values("account_id")
            .annotate(n=Count("id"))
        )
        for row in complaints:
            values["complaints"][row["account_id"]] = Decimal(row["n"])
    return values


def _verdict(results: Results) -> str:
    n = results.accounts
    if not results.enough:
        return _(
            "Not enough data yet: each arm needs %(min)d accounts (champion %(a)d, challenger"
            " %(b)d)."
        ) % {"min": MIN_ACCOUNTS_PER_ARM, "a": n[arms.CHAMPION], "b": n[arms.CHALLENGER]}
    primary = next(m for m in results.metrics if m.code == PRIMARY)
    if primary.better is None:
        return _(
            "No difference in collections shown yet: the 95 %% interval (%(low).2f to"
            " %(high).2f per account) still includes zero."
        ) % {"low": primary.low, "high": primary.high}
    if primary.better:
        return _(
            "The challenger collects %(diff).2f more per account (95 %% interval %(low).2f to"
            " %(high).2f): it is winning."
        ) % {"diff": primary.difference, "low": primary.low, "high": primary.high}
    return _(
        "The challenger collects %(diff).2f less per account (95 %% interval %(low).2f to"
        " %(high).2f): the champion is winning."
    ) % {"diff": -primary.difference, "low": primary.low, "high": primary.high}


def currencies(version: StrategyVersion, *, now: datetime | None = None) -> list[str]:
    """The currencies of the experiment's population, the largest first."""
    start, _end = _window(version, now or timezone.now())
    rows = (
        _delinquent_on(start.date())
        .values("account__currency")
        .annotate(n=Count("id"))
        .order_by("-n", "account__currency")
    )
    return [r["account__currency"] for r in rows]


def _mean(values: list[Decimal]) -> Decimal:
    return (sum(values, ZERO) / len(values)).quantize(PLACES) if values else ZERO


def results(version: StrategyVersion, *, currency: str, now: datetime | None = None) -> Results:
    """The experiment of challenger ``version`` (running, stopped or promoted) on the
    accounts in ``currency``."""
    now = now or timezone.now()
    start, end = _window(version, now)
    split = population(version, start.date(), currency)
    ids = sorted(split)
    counts = {arms.CHAMPION: 0, arms.CHALLENGER: 0}
    for arm in split.values():
        counts[arm] += 1
    out = Results(
        version=version, currency=currency, start=start.date(), end=end.date(), accounts=counts
    )
    out.enough = min(counts.values()) >= MIN_ACCOUNTS_PER_ARM
    values = _per_account(ids, start, end, currency)
    for code, (label, money, higher_better) in METRICS.items():
        per = values.get(code, {})
        arm_values: dict[str, list[Decimal]] = {arms.CHAMPION: [], arms.CHALLENGER: []}
        for pk in ids:
            arm_values[split[pk]].append(per.get(pk, ZERO))
        a, b = arm_values[arms.CHAMPION], arm_values[arms.CHALLENGER]
        mean_a, mean_b = _mean(a), _mean(b)
        low = high = None
        better = None
        if len(a) >= 2 and len(b) >= 2 and (_spread(a) or _spread(b)):
            with warnings.catch_warnings():  # an arm of identical values is no error here
                warnings.simplefilter("ignore", RuntimeWarning)
                interval = stats.ttest_ind(
                    [float(v) for v in b], [float(v) for v in a], equal_var=False
                ).confidence_interval(CONFIDENCE)
            low = Decimal(str(interval.low)).quantize(PLACES)
            high = Decimal(str(interval.high)).quantize(PLACES)
            if out.enough and (low > 0 or high < 0):
                better = (low > 0) == higher_better
        out.metrics.append(
            MetricResult(
                code=code,
                label=str(label),
                money=money,
                champion=mean_a,
                challenger=mean_b,
                difference=mean_b - mean_a,
                low=low,
                high=high,
                better=better,
            )
        )
    out.verdict = _verdict(out)
    return out


def _spread(values: list[Decimal]) -> bool:
    return any(v != values[0] for v in values)
