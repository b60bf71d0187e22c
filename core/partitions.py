"""Monthly range partitions of append-only tables on PostgreSQL; nothing on SQLite.

The evidence tables (the contact log, compliance decisions) only grow: tens of millions of rows
whose recent months are read every minute (frequency caps, case timelines) and whose old months
are read almost never and leave, a month at a time, once their retention period has passed. So
on PostgreSQL each is a table ``PARTITION BY RANGE`` of its time column, with

- one partition per calendar month (UTC), named ``<table>_pYYYY_MM``, covering
  ``[first of the month, first of the next)``;
- a ``<table>_default`` partition, the safety net for a row whose month has no partition yet
  (a clock far off, a loaded history); ``partitions_ensure`` moves such rows into their month's
  partition, so the default stays empty in normal running;
- the primary key ``(id, <time column>)`` (PostgreSQL requires the partition key in every
  unique constraint), ids still drawn from the table's one identity sequence, so ``id`` stays
  unique in practice and Django keeps treating it as the key.

``table_partition`` converts a plain table (its migration calls it); ``partitions_ensure``
(nightly beat task, and every migration that partitions a table) creates the coming months'
partitions; ``partition_drop`` detaches and drops one (``compliance.retention_partitions``
decides which). A query that filters on the time column reads only the partitions its range
covers (partition pruning): the frequency checks, the case timeline and the dashboards all do.

This module knows no model: callers name tables and columns, and ``partitioned_tables`` reads
the rest from PostgreSQL's catalog.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime

from django.db import connection as default_connection
from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

logger = logging.getLogger(__name__)

#: Months of partitions kept ready ahead of the current one.
MONTHS_AHEAD = 3


@dataclass(frozen=True)
class Partition:
    table: str  # the partitioned (parent) table
    name: str
    start: datetime | None  # None for the default partition
    end: datetime | None

    @property
    def is_default(self) -> bool:
        return self.start is None


def month_start(day: date, months: int = 0) -> datetime:
    """Midnight UTC on the first of ``day``'s month, ``months`` later (or earlier)."""
    index = day.year * 12 + day.month - 1 + months
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


def partition_name(table: str, start: datetime) -> str:
    return f"{table}_p{start:%Y_%m}"


def default_name(table: str) -> str:
    return f"{table}_default"


def _months(first: date, today: date, months_ahead: int) -> set[datetime]:
    """The starts of the months from ``first``'s to ``months_ahead`` after ``today``'s."""
    months, start = set(), month_start(first)
    while start <= month_start(today, months_ahead):
        months.add(start)
        start = month_start(start.date(), 1)
    return months


def _on_postgresql(connection: BaseDatabaseWrapper) -> bool:
    return connection.vendor == "postgresql"


def partitioned_tables(
    connection: BaseDatabaseWrapper = default_connection,
) -> dict[str, str]:
    """Table → time column of every range-partitioned table (none on SQLite)."""
    if not _on_postgresql(connection):
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname, a.attname
            FROM pg_partitioned_table p
            JOIN pg_class c ON c.oid = p.partrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0]
            WHERE p.partstrat = 'r' AND n.nspname = current_schema()
            ORDER BY c.relname
            """
        )
        return dict(cursor.fetchall())


def partitions_list(
    table: str, connection: BaseDatabaseWrapper = default_connection
) -> list[Partition]:
    """The partitions of ``table``, oldest first, the default last; [] if it is not partitioned
    (and on SQLite)."""
    if not _on_postgresql(connection):
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname, pg_get_expr(c.relpartbound, c.oid)
            FROM pg_inherits i
            JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = %s::regclass
            """,
            [table],
        )
        rows = cursor.fetchall()
    found = []
    for name, bound in rows:
        if bound == "DEFAULT":
            found.append(Partition(table, name, None, None))
            continue
        # FOR VALUES FROM ('2026-11-01 00:00:00+00') TO ('2026-12-01 00:00:00+00')
        start, end = (datetime.fromisoformat(part.split("'")[1]) for part in bound.split(" TO "))
        found.append(Partition(table, name, start, end))
    farthest = datetime.max.replace(tzinfo=UTC)
    return sorted(found, key=lambda p: (p.start or farthest, p.name))


def _month_partition_create(cursor, table: str, column: str, start: datetime) -> str | None:
    """The partition of ``start``'s month, unless one exists; rows of that month waiting in the
    default partition move into it. Its name, or None if it existed."""
    name = partition_name(table, start)
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
    if cursor.fetchone()[0]:
        return None
    end = month_start(start.date(), 1)
    default = default_name(table)
    cursor.execute(
        f'SELECT EXISTS (SELECT 1 FROM "{default}" WHERE "{column}" >= %s AND "{column}" < %s)',  # noqa: S608
        [start, end],
    )
    if not cursor.fetchone()[0]:
        # Scans the (empty) default partition to prove none of its rows belongs here.
        cursor.execute(
            f'CREATE TABLE "{name}" PARTITION OF "{table}" FOR VALUES FROM (%s) TO (%s)',
            [start, end],
        )
        return name
    # Rows of this month sit in the default partition: a new partition over them would
    # contradict it, so they move into a table that is then attached as the month's partition.
    cursor.execute(
        f'CREATE TABLE "{name}" (LIKE "{table}" INCLUDING DEFAULTS INCLUDING CONSTRAINTS)'
    )
    cursor.execute(
        f'WITH moved AS (DELETE FROM "{default}" WHERE "{column}" >= %s AND "{column}" < %s '  # noqa: S608
        f'RETURNING *) INSERT INTO "{name}" SELECT * FROM moved',
        [start, end],
    )
    moved = cursor.rowcount
    cursor.execute(
        f'ALTER TABLE "{table}" ATTACH PARTITION "{name}" FOR VALUES FROM (%s) TO (%s)',
        [start, end],
    )
    logger.info("partition %s created; %s rows moved from %s", name, moved, default)
    return name


def partitions_ensure(
    *,
    months_ahead: int = MONTHS_AHEAD,
    today: date | None = None,
    since: date | None = None,
    connection: BaseDatabaseWrapper = default_connection,
) -> list[str]:
    """Create, for every partitioned table, the partitions from this month (or ``since``'s,
    before loading history) to ``months_ahead`` months later, and one for each month of the
    rows waiting in the default partition (moving them there). Idempotent: the names created,
    [] when all existed (and on SQLite)."""
    today = today or timezone.now().date()
    created: list[str] = []
    for table, column in partitioned_tables(connection).items():
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute(
                f"SELECT DISTINCT date_trunc('month', \"{column}\" AT TIME ZONE 'UTC') "  # noqa: S608
                f'FROM "{default_name(table)}"'
            )
            waiting = [row[0].date() for row in cursor.fetchall()]
            months = _months(min(since or today, today), today, months_ahead)
            months |= {month_start(day) for day in waiting}
            for start in sorted(months):
                name = _month_partition_create(cursor, table, column, start)
                if name:
                    created.append(name)
    return created


def partition_drop(partition: Partition, connection: BaseDatabaseWrapper = default_connection):
    """Detach ``partition`` from its table and drop it: its rows are gone. The caller decides
    that they may go (and records it, in the same transaction)."""
    if partition.is_default:
        raise ValueError("the default partition is never dropped")
    with connection.cursor() as cursor:
        # Deferred foreign-key checks of rows changed earlier in this transaction (retention's
        # redaction, in a caller's transaction) would forbid the drop: run them now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f'ALTER TABLE "{partition.table}" DETACH PARTITION "{partition.name}"')
        cursor.execute(f'DROP TABLE "{partition.name}"')


def table_partition(
    table: str,
    column: str,
    *,
    months_ahead: int = MONTHS_AHEAD,
    today: date | None = None,
    connection: BaseDatabaseWrapper = default_connection,
) -> None:
    """Turn plain ``table`` into one partitioned by month of ``column``: the months of its rows
    and ``months_ahead`` more, and the default partition. Rows, indexes (same names), check
    constraints, outgoing foreign keys and the id sequence's position are kept. Nothing on
    SQLite or if it already is partitioned.

    No foreign key may point at ``table`` (its primary key gains ``column``): the migration
    that calls this runs after the one that made them ``db_constraint=False``. It copies every
    row once, under an exclusive lock: on a large table, run it in a maintenance window.
    """
    if not _on_postgresql(connection) or table in partitioned_tables(connection):
        return
    _table_rebuild(table, column, True, months_ahead, today or timezone.now().date(), connection)


def table_unpartition(
    table: str, column: str, *, connection: BaseDatabaseWrapper = default_connection
) -> None:
    """The reverse of ``table_partition`` (a migration taken back): a plain table again,
    primary key ``id``."""
    if not _on_postgresql(connection) or table not in partitioned_tables(connection):
        return
    _table_rebuild(table, column, False, 0, timezone.now().date(), connection)


def _table_rebuild(
    table: str,
    column: str,
    partitioned: bool,
    months_ahead: int,
    today: date,
    connection: BaseDatabaseWrapper,
) -> None:
    """Copy ``table`` into a new one, partitioned or not, and put it in its place."""
    new = f"{table}__new"
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute(f'LOCK TABLE "{table}" IN ACCESS EXCLUSIVE MODE')
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # a dropped table holds no pending check
        cursor.execute(
            "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'p'",
            [table],
        )
        primary_key = cursor.fetchone()[0]
        cursor.execute(
            """
            SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
            WHERE conrelid = %s::regclass AND contype = 'f' AND conparentid = 0
            ORDER BY conname
            """,
            [table],
        )
        foreign_keys = cursor.fetchall()
        cursor.execute(
            """
            SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i
            WHERE i.indrelid = %s::regclass
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
            ORDER BY i.indexrelid
            """,
            [table],
        )
        # A partitioned table's index reads "CREATE INDEX … ON ONLY t …".
        indexes = [row[0].replace(" ON ONLY ", " ON ", 1) for row in cursor.fetchall()]
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
        sequence = cursor.fetchone()[0]
        cursor.execute(f"SELECT last_value, is_called FROM {sequence}")  # noqa: S608
        last_value, is_called = cursor.fetchone()
        # The months that hold rows (not every month since the oldest: one mistyped date in
        # 1900 must not make fifteen hundred partitions).
        cursor.execute(
            f"SELECT DISTINCT date_trunc('month', \"{column}\" AT TIME ZONE 'UTC') "  # noqa: S608
            f'FROM "{table}"'
        )
        months = {month_start(row[0].date()) for row in cursor.fetchall()}

        cursor.execute(
            f'CREATE TABLE "{new}" (LIKE "{table}" INCLUDING DEFAULTS INCLUDING IDENTITY '
            f"INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING COMMENTS)"
            + (f' PARTITION BY RANGE ("{column}")' if partitioned else "")
        )
        if partitioned:
            cursor.execute(
                f'CREATE TABLE "{default_name(table)}__new" PARTITION OF "{new}" DEFAULT'
            )
            for start in sorted(months | _months(today, today, months_ahead)):
                cursor.execute(
                    f'CREATE TABLE "{partition_name(table, start)}__new" PARTITION OF "{new}" '
                    f"FOR VALUES FROM (%s) TO (%s)",
                    [start, month_start(start.date(), 1)],
                )
        if months:
            cursor.execute(
                f'INSERT INTO "{new}" OVERRIDING SYSTEM VALUE SELECT * FROM "{table}"'  # noqa: S608
            )
        cursor.execute(f'DROP TABLE "{table}"')  # with its partitions, if it had any
        cursor.execute(f'ALTER TABLE "{new}" RENAME TO "{table}"')
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = %s::regclass",
            [table],
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f'ALTER TABLE "{name}" RENAME TO "{name.removesuffix("__new")}"')
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
        new_sequence = cursor.fetchone()[0]
        cursor.execute(f"ALTER SEQUENCE {new_sequence} RENAME TO {sequence.split('.')[-1]}")
        cursor.execute("SELECT setval(%s, %s, %s)", [sequence, last_value, is_called])
        key = f'id, "{column}"' if partitioned else "id"
        cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{primary_key}" PRIMARY KEY ({key})')
        for definition in indexes:  # same names (partitioned indexes on a partitioned table)
            cursor.execute(definition)
        for name, definition in foreign_keys:
            cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
