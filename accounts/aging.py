"""Days past due and buckets, as pure rules with their SQL forms beside them.

DPD is ``business date − delinquent_since`` (0 when current): the oldest unpaid amount fell due on
``delinquent_since``, so it is 1 day past due the day after. It is derived, never stored. The SQL
forms (``dpd_expression``, ``bucket_case``) compare ``delinquent_since`` with date thresholds so
they stay index-friendly and work the same on PostgreSQL and SQLite. This module reads no table:
``accounts.models`` builds on it, and ``accounts.delinquency`` records the moves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import models
from django.db.models import Case, F, Q, Value, When


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
            open_ended = True
            break
        expected = bucket.max_days + 1
    else:
        open_ended = False
    if not open_ended or bucket is not buckets[-1]:
        raise BucketConfigurationError("Only the last bucket may be open-ended, and it must be.")


def bucket_for(dpd: int, buckets: tuple[Bucket, ...]) -> Bucket:
    for bucket in buckets:
        if bucket.contains(dpd):
            return bucket
    raise BucketConfigurationError(f"No bucket covers {dpd} days past due.")


class DaysBetween(models.Func):
    """Whole days from ``start`` (a date column) to ``end`` (a date), per database vendor."""

    output_field = models.IntegerField()

    def __init__(self, end, start, **extra):
        super().__init__(end, start, **extra)

    def as_sql(self, compiler, connection, *args, **extra):  # pragma: no cover - dispatch only
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


def dpd_expression(as_of: date) -> Case:
    """SQL for days past due at ``as_of``: the same rule as ``days_past_due``, in the database."""
    return Case(
        When(delinquent_since__isnull=True, then=Value(0)),
        When(delinquent_since__gte=as_of, then=Value(0)),
        default=DaysBetween(Value(as_of, output_field=models.DateField()), F("delinquent_since")),
        output_field=models.IntegerField(),
    )
