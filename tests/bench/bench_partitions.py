"""The monthly partitions of the contact log on PostgreSQL: what the migration costs and what a
month leaving costs, against deleting the same rows from a plain table.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/settle \
        .venv/bin/python tests/bench/bench_partitions.py --rows 1000000

Builds a scratch database (``settle_bench_partitions``, dropped afterwards unless ``--keep``)
with 200 accounts and ``--rows`` contact-log rows over the last 36 months (generated inside
PostgreSQL), then prints:

- ``delete_month_plain_seconds``: ``DELETE`` of one month's rows from the plain table (what
  removing old evidence cost without partitions; rolled back);
- ``partition_seconds``: ``core.partitions.table_partition`` over the whole table (the
  migration ``contacts 0021``'s work, under its exclusive lock);
- ``drop_month_partition_seconds``: ``partition_drop`` of one month (retention's way).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench._pg import scratch_database  # noqa: E402

LOG = "contacts_contactlog"


def seed(rows: int, accounts: int = 200) -> None:
    from django.db import connection, transaction

    from tests.factories import AccountFactory, TeamFactory

    team = TeamFactory(code="bench", name="Bench", jurisdiction="US")
    made = [AccountFactory(team=team) for _ in range(accounts)]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {LOG}
                (channel, direction, occurred_at, outcome, disposition, reason, notes, message,
                 source, created_at, account_id, customer_id, attachment)
            SELECT 'call', 'outbound',
                   now() - make_interval(mins => (r::bigint * 1555 %% 1576800)::int),
                   'no_answer', '', '', '', '', 'history', now(),
                   (%s::bigint[])[1 + r %% %s], (%s::bigint[])[1 + r %% %s], ''
              FROM generate_series(1, %s) r
            """,  # noqa: S608
            [[a.pk for a in made], accounts, [a.customer_id for a in made], accounts, rows],
        )
        cursor.execute(f"ANALYZE {LOG}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    with scratch_database("settle_bench_partitions", keep=args.keep):
        from django.db import connection, transaction
        from django.utils import timezone

        from core.partitions import (
            month_start,
            partition_drop,
            partitions_list,
            table_partition,
            table_unpartition,
        )

        table_unpartition(LOG, "occurred_at")  # the table as it was before the migration
        seed(args.rows)
        month = month_start(timezone.now().date(), -24)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {LOG}")  # noqa: S608
            print(f"rows: {cursor.fetchone()[0]}")
            started = time.perf_counter()
            with transaction.atomic():
                cursor.execute(
                    f"DELETE FROM {LOG} WHERE occurred_at >= %s AND occurred_at < %s",  # noqa: S608
                    [month, month_start(month.date(), 1)],
                )
                deleted = cursor.rowcount
                transaction.set_rollback(True)
            print(
                f"delete_month_plain_seconds: {time.perf_counter() - started:.2f} ({deleted} rows)"
            )

        started = time.perf_counter()
        table_partition(LOG, "occurred_at")
        print(f"partition_seconds: {time.perf_counter() - started:.2f}")

        (partition,) = [p for p in partitions_list(LOG) if p.start == month]
        started = time.perf_counter()
        with transaction.atomic():
            partition_drop(partition)
        print(f"drop_month_partition_seconds: {time.perf_counter() - started:.3f}")


if __name__ == "__main__":
    main()
