"""Days past due, buckets and bucket moves.

DPD is ``business date − delinquent_since`` (0 when current): the oldest unpaid amount fell due on
``delinquent_since``, so it is 1 day past due the day after. It is derived, never stored; the
QuerySet annotation compares ``delinquent_since`` with date thresholds so it stays index-friendly
and works the same on PostgreSQL and SQLite. Only a change of bucket is written, by
``bucket_moves_record``, which closes the old stay and opens a new one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Case, F, OuterRef, Q, Subquery, Value, When

from accounts.models import OPEN_STAGES, Account, BucketHistory, BucketRange

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Bucket:
    code: str
    label: str
    min_days: int
    max_days: int | None

    def contains(self, dpd: int) -> bool:
        return dpd >= self.min_days and (self.max_days is None or dpd <= self.max_days)


DEFAULT_BUCKETS: tuple[Bucket, ...] = (
    Bucket("M0", "Current", 0, 0),
    Bucket("M1", "1–29", 1, 29),
    Bucket("M2", "30–59", 30, 59),
    Bucket("M3", "60–89", 60, 89),
    Bucket("M4", "90–119", 90, 119),
    Bucket("M5", "120–179", 120, 179),
    Bucket("M6", "180+", 180, None),
)


class BucketConfigurationError(ValueError):
    pass


def business_date() -> date:
    """The collections department's calendar day (pinned by SETTLE_BUSINESS_DATE if set)."""
    if settings.BUSINESS_DATE:
        return date.fromisoformat(settings.BUSINESS_DATE)
    return datetime.now(ZoneInfo(settings.BUSINESS_TIME_ZONE)).date()


def days_past_due(delinquent_since: date | None, as_of: date) -> int:
    if delinquent_since is None:
        return 0
    return max(0, (as_of - delinquent_since).days)


def validate_buckets(buckets: tuple[Bucket, ...]) -> None:
    """Buckets must start at day 0, be contiguous, not overlap, and end open."""
    if not buckets:
        raise BucketConfigurationError("No bucket ranges are configured.")
    expected = 0
    for bucket in buckets:
        if bucket.min_days != expected:
            raise BucketConfigurationError(
                f"Bucket {bucket.code} starts at day {bucket.min_days}; expected {expected}."
            )
        if bucket.max_days is None:
            expected = None
            break
        expected = bucket.max_days + 1
    if expected is not None or bucket is not buckets[-1]:
        raise BucketConfigurationError("Only the last bucket may be open-ended, and it must be.")


def configured_buckets() -> tuple[Bucket, ...]:
    rows = tuple(Bucket(r.code, r.label, r.min_days, r.max_days) for r in BucketRange.objects.all())
    buckets = rows or DEFAULT_BUCKETS
    validate_buckets(buckets)
    return buckets


def bucket_for(dpd: int, buckets: tuple[Bucket, ...] | None = None) -> Bucket:
    for bucket in buckets or configured_buckets():
        if bucket.contains(dpd):
            return bucket
    raise BucketConfigurationError(f"No bucket covers {dpd} days past due.")


class DaysBetween(models.Func):
    """Whole days from ``start`` (a date column) to ``end`` (a date), per database vendor."""

    output_field = models.IntegerField()

    def __init__(self, end, start, **extra):
        super().__init__(end, start, **extra)

    def as_sql(self, compiler, connection, **extra):  # pragma: no cover - dispatch only
        raise NotImplementedError(connection.vendor)

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql_template(compiler, connection, "(%(expressions)s)", " - ")

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql_template(
            compiler,
            connection,
            "CAST(julianday(%(expressions)s) AS INTEGER)",
            ") - julianday(",
        )

    def as_sql_template(self, compiler, connection, template, joiner):
        return super().as_sql(compiler, connection, template=template, arg_joiner=joiner)


def bucket_case(as_of: date, buckets: tuple[Bucket, ...], field: str = "delinquent_since") -> Case:
    """SQL CASE giving the bucket code from ``delinquent_since`` by date comparisons only."""
    whens = []
    for bucket in buckets:
        # dpd >= min  <=>  delinquent_since <= as_of - min ; dpd <= max <=> since >= as_of - max
        if bucket.min_days == 0:
            cond = Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__gte": as_of})
            if bucket.max_days is not None and bucket.max_days > 0:
                cond |= Q(**{f"{field}__gte": as_of - timedelta(days=bucket.max_days)})
        else:
            cond = Q(**{f"{field}__lte": as_of - timedelta(days=bucket.min_days)})
            if bucket.max_days is not None:
                cond &= Q(**{f"{field}__gte": as_of - timedelta(days=bucket.max_days)})
        whens.append(When(cond, then=Value(bucket.code)))
    return Case(*whens, default=Value(buckets[-1].code), output_field=models.CharField())


def annotate(queryset, *, as_of: date | None = None, buckets: tuple[Bucket, ...] | None = None):
    """Annotate accounts with ``dpd`` (int) and ``bucket_code`` for ``as_of``."""
    as_of = as_of or business_date()
    buckets = buckets or configured_buckets()
    dpd = Case(
        When(delinquent_since__isnull=True, then=Value(0)),
        When(delinquent_since__gte=as_of, then=Value(0)),
        default=DaysBetween(Value(as_of, output_field=models.DateField()), F("delinquent_since")),
        output_field=models.IntegerField(),
    )
    return queryset.annotate(dpd=dpd, bucket_code=bucket_case(as_of, buckets))


@dataclass
class MovesSummary:
    as_of: date
    examined: int = 0
    moved: int = 0
    opened: int = 0


def _total_balance_expr():
    return F("principal_balance") + F("interest_balance") + F("fee_balance")


def bucket_moves_record(*, as_of: date, chunk_size: int = 20_000) -> MovesSummary:
    """Write one history row per account whose derived bucket differs from its open stay.

    Idempotent for a date: a second run finds no differences. Accounts with no open stay get
    their first one. Works through accounts in id order in chunks, one transaction per chunk.
    """
    buckets = configured_buckets()
    summary = MovesSummary(as_of=as_of)
    open_stay = BucketHistory.objects.filter(account=OuterRef("pk"), exited_on__isnull=True)
    base = (
        Account.objects.filter(stage__in=OPEN_STAGES)
        .annotate(
            bucket_code=bucket_case(as_of, buckets),
            current_bucket=Subquery(open_stay.values("bucket")[:1]),
            current_stay_id=Subquery(open_stay.values("id")[:1]),
            balance=_total_balance_expr(),
        )
        .filter(Q(current_bucket__isnull=True) | ~Q(current_bucket=F("bucket_code")))
        .order_by("id")
    )
    last_id = 0
    while True:
        with transaction.atomic():
            rows = list(
                base.filter(id__gt=last_id).values(
                    "id",
                    "bucket_code",
                    "current_bucket",
                    "current_stay_id",
                    "balance",
                    "delinquent_since",
                )[:chunk_size]
            )
            if not rows:
                break
            last_id = rows[-1]["id"]
            _apply_moves(rows, as_of, summary)
    logger.info(
        "bucket moves for %s: %s moved, %s first stays", as_of, summary.moved, summary.opened
    )
    return summary


def _apply_moves(rows: list[dict], as_of: date, summary: MovesSummary) -> None:
    closing = [r for r in rows if r["current_stay_id"] is not None]
    if closing:
        # One UPDATE per chunk: the exit balance is the balance on the day of the move.
        by_stay = {r["current_stay_id"]: r for r in closing}
        if connection.vendor == "postgresql":
            _close_stays_pg(by_stay, as_of)
        else:
            stays = list(BucketHistory.objects.filter(id__in=by_stay))
            for stay in stays:
                row = by_stay[stay.id]
                stay.exited_on = as_of
                stay.exit_balance = row["balance"]
                stay.exited_to = row["bucket_code"]
            BucketHistory.objects.bulk_update(stays, ["exited_on", "exit_balance", "exited_to"])
    BucketHistory.objects.bulk_create(
        [
            BucketHistory(
                account_id=r["id"],
                bucket=r["bucket_code"],
                entered_on=as_of,
                entry_balance=r["balance"],
                entry_days_past_due=days_past_due(r["delinquent_since"], as_of),
            )
            for r in rows
        ]
    )
    summary.examined += len(rows)
    summary.moved += len(closing)
    summary.opened += len(rows) - len(closing)


def _close_stays_pg(by_stay: dict[int, dict], as_of: date) -> None:
    """Close many stays in one statement (``UPDATE … FROM (VALUES …)``)."""
    from psycopg2.extras import execute_values

    sql = """
        UPDATE accounts_buckethistory AS h
           SET exited_on = v.exited_on, exit_balance = v.balance, exited_to = v.bucket
          FROM (VALUES %s) AS v(id, exited_on, balance, bucket)
         WHERE h.id = v.id
    """
    with connection.cursor() as cursor:
        execute_values(
            cursor.cursor,
            sql,
            [(sid, as_of, r["balance"], r["bucket_code"]) for sid, r in by_stay.items()],
            template="(%s, %s::date, %s::numeric, %s)",
            page_size=5000,
        )


__all__ = [
    "DEFAULT_BUCKETS",
    "Bucket",
    "BucketConfigurationError",
    "annotate",
    "bucket_for",
    "bucket_moves_record",
    "business_date",
    "configured_buckets",
    "days_past_due",
]
