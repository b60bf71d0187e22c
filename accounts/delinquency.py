"""Days past due, buckets and bucket moves.

DPD is ``business date − delinquent_since`` (0 when current): the oldest unpaid amount fell due on
``delinquent_since``, so it is 1 day past due the day after. It is derived, never stored; the
QuerySet annotation compares ``delinquent_since`` with date thresholds so it stays index-friendly
and works the same on PostgreSQL and SQLite. Only a change of bucket is written, by
``bucket_moves_record``, which closes the old stay and opens a new one.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import connection, transaction
from django.db.models import F, FilteredRelation, OuterRef, Q, Subquery

from accounts import aging, changes
from accounts.aging import (  # noqa: F401  (the rules, re-exported for callers)
    DEFAULT_BUCKETS,
    Bucket,
    BucketConfigurationError,
    DaysBetween,
    bucket_case,
    days_past_due,
    dpd_expression,
    validate_buckets,
)
from accounts.models import OPEN_STAGES, Account, BucketHistory, BucketRange
from core.business_calendar import business_date  # noqa: F401

logger = logging.getLogger(__name__)


def configured_buckets() -> tuple[Bucket, ...]:
    return BucketRange.objects.configured()


def bucket_for(dpd: int, buckets: tuple[Bucket, ...] | None = None) -> Bucket:
    return aging.bucket_for(dpd, buckets or configured_buckets())


def annotate(queryset, *, as_of: date | None = None, buckets: tuple[Bucket, ...] | None = None):
    """Annotate accounts with ``dpd`` (int) and ``bucket_code`` for ``as_of``."""
    return queryset.with_delinquency(as_of=as_of, buckets=buckets)


@dataclass
class MovesSummary:
    as_of: date
    examined: int = 0
    moved: int = 0
    opened: int = 0
    exited: int = 0


def bucket_edges(buckets: Sequence[Bucket]) -> list[int]:
    """The days-past-due offsets at which an account changes bucket (``dpd > offset``), for
    ``accounts.changes.crossed``: M0's end, and each later bucket's first day less one."""
    return [0] + [b.min_days - 1 for b in buckets if b.min_days > 0]


def _total_balance_expr():
    return F("principal_balance") + F("interest_balance") + F("fee_balance")


def bucket_moves_record(
    *, as_of: date, chunk_size: int = 20_000, incremental: bool = False
) -> MovesSummary:
    """Write one history row per account whose derived bucket differs from its open stay.

    Idempotent for a date: a second run finds no differences. Accounts with no open stay get
    their first one; an account that left the open stages has its stay closed (exit to the
    stage) and gets no new one. Works through accounts in id order in chunks, one transaction
    per chunk. ``incremental`` (the nightly run) looks only at accounts written since the last
    run or carried across a bucket's edge by the date (``accounts.changes``).
    """
    buckets = configured_buckets()
    summary = MovesSummary(as_of=as_of)
    # One LEFT JOIN to the open stay (at most one per account: one_open_bucket_stay_per_account)
    # instead of a correlated subquery per account and column.
    base = (
        Account.objects.filter(stage__in=OPEN_STAGES)
        .annotate(
            open_stay=FilteredRelation(
                "bucket_history", condition=Q(bucket_history__exited_on__isnull=True)
            )
        )
        .annotate(
            bucket_code=bucket_case(as_of, buckets),
            current_bucket=F("open_stay__bucket"),
            current_stay_id=F("open_stay__id"),
            balance=_total_balance_expr(),
        )
        .filter(Q(current_bucket__isnull=True) | ~Q(current_bucket=F("bucket_code")))
        .order_by("id")
    )
    window = changes.window_open(
        "bucket_moves", as_of=as_of, rules=changes.rules_fingerprint(buckets), full=not incremental
    )
    only = changes.account_ids_to_look_at(
        window,
        [
            "SELECT a.id FROM accounts_account a "  # noqa: S608 - fixed SQL, dates are parameters
            f"WHERE {changes.written_since('a')} "
            f"OR {changes.crossed('a.delinquent_since', bucket_edges(buckets))}"
        ],
        {},
    )
    chunks = [
        base.filter(id__gte=lo, id__lte=hi) if ids is None else base.filter(id__in=ids)
        for lo, hi, ids in changes.account_chunks(only, chunk_size)
    ]
    for chunk in chunks:
        if connection.vendor == "postgresql":
            with transaction.atomic():
                _apply_moves_pg(chunk.annotate(dpd=dpd_expression(as_of)), as_of, summary)
            continue
        with transaction.atomic():
            rows = list(
                chunk.values(
                    "id",
                    "bucket_code",
                    "current_bucket",
                    "current_stay_id",
                    "balance",
                    "delinquent_since",
                )
            )
            if rows:
                _apply_moves(rows, as_of, summary)
    summary.exited = _exits_record(as_of, only=only)
    changes.window_close(window)
    logger.info(
        "bucket moves for %s: %s moved, %s first stays, %s exits",
        as_of,
        summary.moved,
        summary.opened,
        summary.exited,
    )
    return summary


@transaction.atomic
def _exits_record(as_of: date, *, only: Sequence[int] | None = None) -> int:
    """Close the stay of every account that has left the open stages (paid, settled, written
    off, closed): its exit is to that stage, so roll rates stop counting it in its bucket.
    One set-based UPDATE (the first night after a load may close tens of thousands); ``only``
    limits it to those accounts (a stage change writes the account row)."""
    account = Account.objects.filter(pk=OuterRef("account_id"))
    stays = BucketHistory.objects.filter(exited_on__isnull=True)
    if only is not None:
        stays = stays.filter(account_id__in=only)
    return stays.exclude(account__stage__in=OPEN_STAGES).update(
        exited_on=as_of,
        exit_balance=Subquery(account.values(balance=_total_balance_expr())[:1]),
        exited_to=Subquery(account.values("stage")[:1]),
    )


def _apply_moves(rows: Sequence[Mapping[str, Any]], as_of: date, summary: MovesSummary) -> None:
    closing = [r for r in rows if r["current_stay_id"] is not None]
    if closing:
        by_stay = {r["current_stay_id"]: r for r in closing}
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


def _apply_moves_pg(chunk, as_of: date, summary: MovesSummary) -> None:
    """The moves of one chunk in three statements, none of them row by row: the differing
    accounts into a temporary table, their open stays closed, their new stays opened."""
    table = BucketHistory._meta.db_table
    select, params = chunk.values(
        "id", "bucket_code", "current_stay_id", "balance", "dpd"
    ).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE bucket_moves_chunk ON COMMIT DROP AS {select}", params)
        cursor.execute(
            f"UPDATE {table} h SET exited_on = %s, exit_balance = m.balance, "  # noqa: S608
            "exited_to = m.bucket_code FROM bucket_moves_chunk m WHERE h.id = m.current_stay_id",
            [as_of],
        )
        moved = cursor.rowcount
        cursor.execute(
            f"INSERT INTO {table} (account_id, bucket, entered_on, entry_balance, "  # noqa: S608
            "entry_days_past_due, exited_to) "
            "SELECT m.id, m.bucket_code, %s, m.balance, m.dpd, '' FROM bucket_moves_chunk m",
            [as_of],
        )
        total = cursor.rowcount
        cursor.execute("DROP TABLE bucket_moves_chunk")
    summary.examined += total
    summary.moved += moved
    summary.opened += total - moved


__all__ = [
    "DEFAULT_BUCKETS",
    "Bucket",
    "BucketConfigurationError",
    "annotate",
    "bucket_edges",
    "bucket_for",
    "bucket_moves_record",
    "business_date",
    "configured_buckets",
    "days_past_due",
]
