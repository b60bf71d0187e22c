"""Refresh the dashboard facts (``dashboards.models``) from the source tables.

``facts_refresh(day=…)`` is idempotent: it deletes the rows of the days (months) it rewrites and
inserts them again, all in one transaction under an advisory lock on PostgreSQL, so a rerun, a
retry or a second worker changes nothing and readers never see a half-written refresh.

* Portfolio snapshot — open accounts (``OPEN_STAGES``) grouped by bucket on ``day`` (derived
  from ``delinquent_since``) and tier, with balances. Balances are the accounts' *current*
  ones, so a snapshot is written only for the business date (the nightly run and the intraday
  beat keep it current); past snapshots are kept, never rebuilt.
* Daily activity — for ``day`` and the ``activity_days − 1`` days before it, one grouped query
  per metric over the whole range (so late payment postings and promises resolved the night
  after their due date land in the right day). Days are business days in BUSINESS_TIME_ZONE.
* Weekly cure — for each Sunday in the activity range, ``cure_base`` facts on that Sunday:
  the accounts delinquent at the end of the Sunday before (key ``cured`` for those current, paid
  off or settled by the end of this Sunday), from bucket history; one query per week.
* Roll facts — for month-end pairs whose second month-end is on or before ``day``, the last
  ``roll_months`` of them.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import (
    Case,
    CharField,
    Count,
    DateField,
    Exists,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from accounts import delinquency
from accounts.models import CLOSED_STAGES, PAID_STAGES, Account, BucketHistory
from compliance.models import ComplianceDecision
from contacts.models import Complaint, ContactLog
from core.business_calendar import business_zone, start_of_business_day
from dashboards.models import DailyActivity, PortfolioSnapshot, RefreshRun, RollFact
from plans.models import (
    AcceptanceChannel,
    Payment,
    Plan,
    PlanStatus,
    PromiseToPay,
    WriteOff,
    WriteOffStatus,
)

logger = logging.getLogger(__name__)

LOCK_KEY = 0x5E771E08  # pg_advisory_xact_lock key of the dashboard refresh
ATTEMPT_CHANNELS = ("call", "visit")
REACHED_OUTCOMES = ("conversation", "third_party")
RIGHT_PARTY_OUTCOME = "conversation"
PROMISE_RESOLVED = {
    "kept": "promises_kept",
    "partially_kept": "promises_partially_kept",
    "broken": "promises_broken",
}


# --- Dates ---------------------------------------------------------------------------------
def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The UTC instants a business day starts and ends at (end exclusive)."""
    return start_of_business_day(day), start_of_business_day(day + timedelta(days=1))


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(month: date) -> date:
    """The last day of the month starting ``month``."""
    nxt = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    return nxt - timedelta(days=1)


def next_month(month: date) -> date:
    return month_end(month) + timedelta(days=1)


def roll_months_ending(day: date, count: int) -> list[date]:
    """Starting months M (first days) of the last ``count`` month pairs (M, M+1) whose second
    month has ended on or before ``day``; oldest first."""
    last_end = day if month_end(month_start(day)) == day else month_start(day) - timedelta(days=1)
    month = month_start(month_start(last_end) - timedelta(days=1))
    months = []
    for _ in range(count):
        months.append(month)
        month = month_start(month - timedelta(days=1))
    return sorted(months)


# --- Account dimensions ----------------------------------------------------------------------
def _dims(prefix: str) -> dict[str, F]:
    return {
        "d_team": F(f"{prefix}team_id"),
        "d_jurisdiction": F(f"{prefix}customer__jurisdiction"),
        "d_product": F(f"{prefix}product"),
        "d_currency": F(f"{prefix}currency"),
    }


DIM_NAMES = ("d_team", "d_jurisdiction", "d_product", "d_currency")


def _activity_rows(
    queryset,
    *,
    on: str,
    metric: str,
    prefix: str,
    specialist: str,
    key: str | None = None,
    amount: str | None = None,
    day: date | None = None,
) -> list[DailyActivity]:
    """Group ``queryset`` by business day of ``on`` (a datetime field; a date field when
    ``on`` ends in ``_date``) or, given ``day``, all onto that day."""
    fields = ["d_day", *DIM_NAMES, "d_specialist"] + (["d_key"] if key else [])
    aggregates = {"n": Count("id")}
    if amount:
        aggregates["total"] = Sum(amount)
    if day is not None:
        d_day = Value(day, output_field=DateField())
    elif on.endswith("_date"):
        d_day = F(on)
    else:
        d_day = TruncDate(on, tzinfo=business_zone())
    annotations = {**_dims(prefix), "d_specialist": F(specialist), "d_day": d_day}
    if key:
        annotations["d_key"] = F(key)
    rows = queryset.annotate(**annotations).values(*fields).annotate(**aggregates).order_by()
    return [
        DailyActivity(
            day=r["d_day"],
            team_id=r["d_team"],
            specialist_id=r["d_specialist"],
            jurisdiction=r["d_jurisdiction"],
            product=r["d_product"],
            currency=r["d_currency"],
            metric=metric,
            key=r.get("d_key") or "",
            count=r["n"],
            amount=r.get("total") or Decimal("0"),
        )
        for r in rows
    ]


# --- Snapshot --------------------------------------------------------------------------------
def snapshot_rows(day: date) -> list[PortfolioSnapshot]:
    rows = (
        Account.objects.open()
        .with_delinquency(day)
        .values(
            "team_id",
            "assigned_to_id",
            "customer__jurisdiction",
            "product",
            "currency",
            "bucket_code",
            "risk_tier",
        )
        .annotate(
            n=Count("id"),
            balance=Sum(F("principal_balance") + F("interest_balance") + F("fee_balance")),
            past_due=Sum("past_due_amount"),
        )
        .order_by()
    )
    return [
        PortfolioSnapshot(
            day=day,
            team_id=r["team_id"],
            specialist_id=r["assigned_to_id"],
            jurisdiction=r["customer__jurisdiction"],
            product=r["product"],
            currency=r["currency"],
            bucket=r["bucket_code"],
            tier=r["risk_tier"],
            accounts=r["n"],
            balance=r["balance"] or Decimal("0"),
            past_due=r["past_due"] or Decimal("0"),
        )
        for r in rows
    ]


def plans_active_rows(day: date) -> list[DailyActivity]:
    return _activity_rows(
        Plan.objects.filter(status=PlanStatus.ACTIVE),
        on="",
        day=day,
        metric="plans_active",
        prefix="account__",
        specialist="proposed_by_id",
    )


# --- Activity --------------------------------------------------------------------------------
def activity_rows(first: date, last: date) -> list[DailyActivity]:
    """Activity facts for the business days ``first``..``last``, one grouped query per metric."""
    start, end = day_bounds(first)[0], day_bounds(last)[1]

    def within(field: str) -> dict:
        return {f"{field}__gte": start, f"{field}__lt": end}

    rows: list[DailyActivity] = []
    # A row corrected by a later one no longer counts; the correction does.
    contacts = ContactLog.objects.filter(**within("occurred_at")).exclude(
        Exists(ContactLog.objects.filter(corrects=OuterRef("pk")))
    )
    attempts = contacts.filter(direction="outbound", channel__in=ATTEMPT_CHANNELS)
    contact_kw = {"on": "occurred_at", "prefix": "account__", "specialist": "user_id"}
    rows += _activity_rows(attempts, metric="attempts", **contact_kw)
    rows += _activity_rows(
        attempts.filter(outcome__in=REACHED_OUTCOMES), metric="contacts", **contact_kw
    )
    rows += _activity_rows(attempts.filter(outcome=RIGHT_PARTY_OUTCOME), metric="rpc", **contact_kw)
    rows += _activity_rows(contacts.exclude(reason=""), metric="reason", key="reason", **contact_kw)

    promise_kw = {"prefix": "account__", "specialist": "created_by_id", "amount": "amount"}
    rows += _activity_rows(
        PromiseToPay.objects.filter(**within("created_at")),
        on="created_at",
        metric="promises_made",
        **promise_kw,
    )
    due = PromiseToPay.objects.filter(due_date__gte=first, due_date__lte=last)
    for status, metric in PROMISE_RESOLVED.items():
        rows += _activity_rows(
            due.filter(status=status), on="due_date", metric=metric, **promise_kw
        )

    payment_kw = {
        "on": "received_at",
        "amount": "amount",
        "prefix": "account__",
        "specialist": "account__assigned_to_id",
    }
    payments = Payment.objects.filter(**within("received_at"))
    rows += _activity_rows(payments, metric="collected", **payment_kw)
    # What customers did themselves, online (the portal): its share of each.
    rows += _activity_rows(
        payments.filter(source=Payment.Source.PORTAL), metric="collected_self_service", **payment_kw
    )
    # Post-write-off recoveries: received on or after the business day the account was charged
    # off (by Settle's policy or decision, or the bank's own date from its feed or the API).
    rows += _activity_rows(
        payments.alias(d_received=TruncDate("received_at", tzinfo=business_zone())).filter(
            account__charge_off_date__lte=F("d_received")
        ),
        metric="recovered",
        **payment_kw,
    )
    # Charged off in the range: the balance each write-off recorded, on its charge-off date.
    rows += _activity_rows(
        WriteOff.objects.filter(
            status=WriteOffStatus.APPLIED, charge_off_date__gte=first, charge_off_date__lte=last
        ),
        on="charge_off_date",
        metric="written_off",
        amount="total",
        prefix="account__",
        specialist="account__assigned_to_id",
    )
    rows += _activity_rows(
        PromiseToPay.objects.filter(self_service=True, **within("created_at")),
        on="created_at",
        metric="promises_self_service",
        **promise_kw,
    )
    rows += _activity_rows(
        Plan.objects.filter(
            acceptance_channel=AcceptanceChannel.SELF_SERVICE, **within("activated_at")
        ),
        on="activated_at",
        metric="plans_self_service",
        prefix="account__",
        specialist="proposed_by_id",
    )
    for field, metric in (
        ("activated_at", "plans_activated"),
        ("completed_at", "plans_completed"),
        ("broken_at", "plans_broken"),
    ):
        rows += _activity_rows(
            Plan.objects.filter(**within(field)),
            on=field,
            metric=metric,
            prefix="account__",
            specialist="proposed_by_id",
        )
    rows += _activity_rows(
        Complaint.objects.filter(**within("opened_at")),
        on="opened_at",
        metric="complaints",
        prefix="account__",
        specialist="account__assigned_to_id",
    )
    rows += _block_rows(ComplianceDecision.objects.filter(allowed=False, **within("at")))
    rows += cure_rows(first, last)
    return rows


def cure_rows(first: date, last: date) -> list[DailyActivity]:
    """Weekly cure facts (metric ``cure_base``, on each Sunday ``first``..``last``): accounts
    in a delinquent bucket at the end of the Sunday before, key ``cured`` for those in the first
    bucket at the end of this Sunday or paid off or settled in between. By the account's team,
    jurisdiction, product, currency and specialist at refresh time."""
    buckets = delinquency.configured_buckets()
    if not buckets:
        return []
    current = buckets[0].code
    rows: list[DailyActivity] = []
    sunday = first + timedelta(days=6 - first.weekday())
    while sunday <= last:
        before = sunday - timedelta(days=7)
        now_current = stays_on(sunday).filter(account=OuterRef("account"), bucket=current)
        paid = BucketHistory.objects.filter(
            account=OuterRef("account"),
            exited_on__gt=before,
            exited_on__lte=sunday,
            exited_to__in=PAID_STAGES,
        )
        delinquent = (
            stays_on(before)
            .exclude(bucket=current)
            .annotate(
                d_cured=Case(
                    When(Exists(now_current) | Exists(paid), then=Value("cured")),
                    default=Value(""),
                    output_field=CharField(),
                )
            )
        )
        rows += _activity_rows(
            delinquent,
            on="",
            day=sunday,
            metric="cure_base",
            key="d_cured",
            prefix="account__",
            specialist="account__assigned_to_id",
        )
        sunday += timedelta(days=7)
    return rows


def _block_rows(decisions) -> list[DailyActivity]:
    """Blocked decisions (metric ``blocked``) and each violated rule (``block_rule``, key=rule),
    by business day of the contact time checked.

    Violations are JSON, so the rules are counted in Python; blocked decisions are few a day."""
    zone = business_zone()
    blocked: Counter = Counter()
    by_rule: Counter = Counter()
    for d in decisions.values_list(
        "at",
        "account__team_id",
        "account__customer__jurisdiction",
        "account__product",
        "account__currency",
        "checked_by_id",
        "violations",
    ).iterator(chunk_size=5000):
        dims = (d[0].astimezone(zone).date(), *d[1:6])
        blocked[dims] += 1
        for rule in {str(v.get("rule", "")) for v in (d[6] or []) if isinstance(v, dict)}:
            by_rule[(*dims, rule)] += 1

    def fact(dims, metric: str, key: str, n: int) -> DailyActivity:
        day, team, jurisdiction, product, currency, specialist = dims
        return DailyActivity(
            day=day,
            team_id=team,
            specialist_id=specialist,
            jurisdiction=jurisdiction,
            product=product,
            currency=currency,
            metric=metric,
            key=key,
            count=n,
        )

    return [fact(k, "blocked", "", n) for k, n in blocked.items()] + [
        fact(k[:6], "block_rule", k[6], n) for k, n in by_rule.items()
    ]


# --- Roll rates ------------------------------------------------------------------------------
def stays_on(day: date):
    """Bucket stays covering ``day``: entered on or before it and not exited by it (a stay
    exited on ``day`` gave way to the one entered that day)."""
    return BucketHistory.objects.filter(entered_on__lte=day).filter(
        Q(exited_on__isnull=True) | Q(exited_on__gt=day)
    )


def roll_rows(month: date) -> list[RollFact]:
    """Where the accounts of each bucket at the end of ``month`` are at the end of the next: a
    bucket, or the closed stage (paid, settled, written off, closed) their stay exited to."""
    start, end = month_end(month), month_end(next_month(month))
    later = stays_on(end).filter(account=OuterRef("account")).values("bucket")[:1]
    exit_to = (
        BucketHistory.objects.filter(
            account=OuterRef("account"),
            exited_on__gt=start,
            exited_on__lte=end,
            exited_to__in=CLOSED_STAGES,
        )
        .order_by("-exited_on", "-id")
        .values("exited_to")[:1]
    )
    rows = (
        stays_on(start)
        .annotate(to_bucket=Coalesce(Subquery(later), Subquery(exit_to)))
        .filter(to_bucket__isnull=False)
        .values(
            "bucket",
            "to_bucket",
            "account__team_id",
            "account__customer__jurisdiction",
            "account__product",
        )
        .annotate(n=Count("id"))
        .order_by()
    )
    return [
        RollFact(
            month=month,
            team_id=r["account__team_id"],
            jurisdiction=r["account__customer__jurisdiction"],
            product=r["account__product"],
            from_bucket=r["bucket"],
            to_bucket=r["to_bucket"],
            accounts=r["n"],
        )
        for r in rows
    ]


# --- The refresh -----------------------------------------------------------------------------
@dataclass
class RefreshSummary:
    day: date
    snapshot_rows: int = 0
    activity_rows: int = 0
    roll_rows: int = 0
    seconds: float = 0.0

    @property
    def rows(self) -> int:
        return self.snapshot_rows + self.activity_rows + self.roll_rows


def _lock() -> None:
    """One refresh at a time: the intraday beat and the after-nightly run may overlap."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])


def _replace(model, rows: Iterable, **where) -> int:
    rows = list(rows)
    model.objects.filter(**where).delete()
    model.objects.bulk_create(rows, batch_size=5000)
    return len(rows)


def facts_refresh(
    *,
    day: date | None = None,
    activity_days: int = 7,
    roll_months: int = 2,
    snapshot: bool | None = None,
    by=None,
) -> RefreshSummary:
    """Rewrite the facts for ``day`` (default: the business date); see the module docstring.

    ``snapshot`` defaults to "only when ``day`` is the business date"."""
    started_at = timezone.now()
    started = time.perf_counter()
    today = delinquency.business_date()
    day = day or today
    take_snapshot = day == today if snapshot is None else snapshot
    summary = RefreshSummary(day=day)
    with transaction.atomic():
        _lock()
        if take_snapshot:
            summary.snapshot_rows = _replace(PortfolioSnapshot, snapshot_rows(day), day=day)
            summary.activity_rows += _replace(
                DailyActivity, plans_active_rows(day), day=day, metric="plans_active"
            )
        first = day - timedelta(days=activity_days - 1)
        rows = activity_rows(first, day)
        DailyActivity.objects.filter(day__gte=first, day__lte=day).exclude(
            metric="plans_active"
        ).delete()
        DailyActivity.objects.bulk_create(rows, batch_size=5000)
        summary.activity_rows += len(rows)
        for month in roll_months_ending(day, roll_months):
            summary.roll_rows += _replace(RollFact, roll_rows(month), month=month)
    summary.seconds = time.perf_counter() - started
    RefreshRun.objects.create(
        day=day,
        started_at=started_at,
        finished_at=timezone.now(),
        seconds=summary.seconds,
        rows=summary.rows,
        by=by,
    )
    logger.info("dashboard facts for %s: %s rows in %.2fs", day, summary.rows, summary.seconds)
    return summary
