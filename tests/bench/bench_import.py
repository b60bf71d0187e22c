"""Time ``import_accounts`` on PostgreSQL against the honest floor: COPY of the same rows.

Run as ``DATABASE_URL=postgres://… python tests/bench/bench_import.py --rows 1000000``; it makes
a scratch database (``--database``, next to DATABASE_URL's; dropped after unless ``--keep``) with
two teams of five specialists, generates the feed, and prints:

- ``copy_seconds``: the file COPYed into a temp table of text columns (rolled back);
- ``import_seconds``: the whole import (COPY, validation, writes, history, assignment, risk,
  commit), then the importer's own phase timings;
- ``floor_seconds``: exactly the rows the import wrote (read back from the final tables:
  customers, accounts, contact points, bucket stays, the write-offs of the new accounts past
  the policy's days, and the audit entries naming the batch) COPYed, in one committed
  transaction, into empty copies of those tables in a scratch schema with all their indexes,
  checks and foreign keys (``LIKE … INCLUDING ALL``, then the original foreign keys, deferred
  as Django declares them, pointing at the copied parents);
  ``floor_no_fk_seconds`` the same without the foreign keys;
- ``ratio``: import_seconds / floor_seconds (target ≤ 1.5); with ``--repeat N``, N rounds
  each in a new scratch database and the median ratio (the machine is shared: the import and
  its floor run a minute apart, and the load between them moves either).
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repo root
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from tests.bench._pg import scratch_database  # noqa: E402

COLUMNS = [
    "external_ref",
    "name",
    "national_id",
    "jurisdiction",
    "time_zone",
    "language",
    "phone",
    "email",
    "account_number",
    "currency",
    "principal_balance",
    "interest_balance",
    "fee_balance",
    "past_due_amount",
    "minimum_due",
    "delinquent_since",
    "product",
    "credit_limit",
    "last_payment_date",
    "last_payment_amount",
]
PRODUCTS = ["credit_card", "personal_loan", "auto_loan", "consumer_installment"]


def generate(path: Path, rows: int, seed: int) -> None:
    """About 1.25 accounts per customer, 80 % US and 20 % CN, balances over every bucket."""
    rng = random.Random(seed)
    today = date(2025, 6, 30)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        customer = 0
        for n in range(rows):
            if n % 5 != 4:  # every fifth row is a second account of the previous customer
                customer += 1
            us = customer % 5 != 0
            dpd = rng.choice([0, rng.randint(1, 400)])
            principal = rng.randint(100_00, 3_000_000) / 100
            writer.writerow(
                [
                    f"CUST{customer:09d}",
                    f"Customer {customer}" if us else f"客户{customer}",
                    f"{customer:09d}" if us else f"3101011990{customer:08d}",
                    "US" if us else "CN",
                    "America/New_York" if us else "Asia/Shanghai",
                    "en" if us else "zh-hans",
                    f"(212) 55{customer % 10}-{customer % 10000:04d}"
                    if us
                    else f"13{customer % 10}{customer % 100_000_000:08d}",
                    f"c{customer}@example.com",
                    f"ACC{n:012d}",
                    "USD" if us else "CNY",
                    f"{principal:.2f}",
                    f"{principal * 0.05:.2f}",
                    "25.00",
                    f"{principal * 0.1:.2f}" if dpd else "0",
                    f"{principal * 0.03:.2f}",
                    (today - timedelta(days=dpd)).isoformat() if dpd else "",
                    rng.choice(PRODUCTS),
                    "5000",
                    (today - timedelta(days=rng.randint(1, 200))).isoformat(),
                    "120.00",
                ]
            )


def bare_copy_seconds(path: Path) -> float:
    from django.db import connection, transaction

    from core.bulk_copy import copy_from_stream

    with transaction.atomic(), connection.cursor() as cursor:
        columns = ", ".join(f"c_{name} text" for name in COLUMNS)
        cursor.execute(
            f"CREATE TEMP TABLE bench_raw (line bigint GENERATED ALWAYS AS IDENTITY, "
            f"{columns}) ON COMMIT DROP"
        )
        began = time.perf_counter()
        with path.open("rb") as handle:
            copy_from_stream(
                cursor,
                f"COPY bench_raw ({', '.join('c_' + n for n in COLUMNS)}) FROM STDIN "
                "WITH (FORMAT csv, HEADER true, ENCODING 'UTF8')",
                handle,
                size=1 << 20,
            )
        elapsed = time.perf_counter() - began
        transaction.set_rollback(True)
    return elapsed


#: The tables the import writes, parents first (a copy's foreign keys point to the copy of
#: its parent).
WRITTEN_TABLES = (
    "accounts_customer",
    "accounts_account",
    "contacts_contactpoint",
    "accounts_buckethistory",
    "plans_writeoff",
    "auditlog_logentry",
)


def written_rows(batch_id: int) -> dict[str, bytes]:
    """The rows the import wrote, per table, as COPY text in id order (the bench database held
    no customers or accounts before it; audit entries are those naming the batch)."""
    from django.db import connection

    rows: dict[str, bytes] = {}
    with connection.cursor() as cursor:
        for table in WRITTEN_TABLES:
            where = (
                f"WHERE additional_data->>'import_batch' = '{int(batch_id)}'"
                if table == "auditlog_logentry"
                else ""
            )
            buffer = io.BytesIO()
            cursor.copy_expert(
                f"COPY (SELECT * FROM {table} {where} ORDER BY id) TO STDOUT", buffer
            )
            rows[table] = buffer.getvalue()
    return rows


def floor_seconds(rows: dict[str, bytes], *, foreign_keys: bool = True) -> float:
    """COPY ``rows`` into empty copies of their tables in a scratch schema, with every index,
    check and (with ``foreign_keys``) foreign-key constraint of the originals (deferred, as
    Django declares them), and commit: the least any loader must do to store those rows."""
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute("DROP SCHEMA IF EXISTS import_floor CASCADE")
        cursor.execute("CREATE SCHEMA import_floor")
        for table in WRITTEN_TABLES:
            cursor.execute(f"CREATE TABLE import_floor.{table} (LIKE public.{table} INCLUDING ALL)")
        if foreign_keys:
            cursor.execute(
                "SELECT c.conrelid::regclass::text, c.conname, r.relname, "
                "pg_get_constraintdef(c.oid) FROM pg_constraint c "
                "JOIN pg_class r ON r.oid = c.confrelid "
                "WHERE c.contype = 'f' AND c.conrelid::regclass::text = ANY(%s)",
                [list(WRITTEN_TABLES)],
            )
            for table, name, parent, definition in cursor.fetchall():
                if parent in WRITTEN_TABLES:
                    definition = definition.replace(
                        f"REFERENCES {parent}(", f"REFERENCES import_floor.{parent}("
                    )
                cursor.execute(
                    f"ALTER TABLE import_floor.{table} ADD CONSTRAINT {name} {definition}"
                )
        cursor.execute("CHECKPOINT")
    began = time.perf_counter()
    laps = []
    with transaction.atomic(), connection.cursor() as cursor:
        for table in WRITTEN_TABLES:
            cursor.copy_expert(f"COPY import_floor.{table} FROM STDIN", io.BytesIO(rows[table]))
            laps.append(f"{table} {time.perf_counter() - began:.2f}")
    elapsed = time.perf_counter() - began  # the commit (deferred key checks) included
    print(f"  floor{'' if foreign_keys else ' (no foreign keys)'}, cumulative: {', '.join(laps)}")
    with connection.cursor() as cursor:
        cursor.execute("DROP SCHEMA import_floor CASCADE")
    return elapsed


def ensure_teams() -> None:
    from django.contrib.auth.models import Group

    from accounts.models import Team, User

    group = Group.objects.get(name="specialist")
    for code, jurisdiction in (("bench-us", "US"), ("bench-cn", "CN")):
        team, _ = Team.objects.get_or_create(
            code=code, defaults={"name": code, "jurisdiction": jurisdiction}
        )
        for i in range(5):
            user, created = User.objects.get_or_create(
                username=f"{code}-{i}", defaults={"team": team}
            )
            if created:
                user.groups.add(group)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database", default="settle_bench_import")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="rounds, each in a new scratch database (the median ratio steadies a shared machine)",
    )
    args = parser.parse_args()
    ratios = []
    for round_number in range(args.repeat):
        if args.repeat > 1:
            print(f"round: {round_number + 1}")
        with scratch_database(args.database, keep=args.keep and round_number == args.repeat - 1):
            ratios.append(run(args.rows, args.seed))
    if args.repeat > 1:
        print(f"ratio_median: {statistics.median(ratios):.2f} (rounds: {sorted(ratios)})")


def run(rows: int, seed: int) -> float:
    from django.db import connection

    from feeds.account_import import import_accounts

    assert connection.vendor == "postgresql"
    ensure_teams()
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "feed.csv"
        began = time.perf_counter()
        generate(path, rows, seed)
        print(f"rows: {rows}")
        print(f"file_mb: {path.stat().st_size / 1e6:.1f}")
        print(f"generate_seconds: {time.perf_counter() - began:.2f}")
        print(f"copy_seconds: {bare_copy_seconds(path):.2f}")
        with connection.cursor() as cursor:
            cursor.execute("CHECKPOINT")
        began = time.perf_counter()
        result = import_accounts(path, progress=False)
        import_seconds = time.perf_counter() - began
    if result.errors:
        print("\n".join(result.errors[:20]))
        sys.exit(1)
    print(f"import_seconds: {import_seconds:.2f}")
    for phase, seconds in result.timings.items():
        print(f"  {phase}: {seconds:.2f}")
    print(
        f"customers_created: {result.customers_created}, "
        f"accounts_created: {result.accounts_created}, "
        f"contact_points_created: {result.contact_points_created}, "
        f"accounts_charged_off: {result.accounts_charged_off}"
    )
    assert result.batch_id is not None
    written = written_rows(result.batch_id)
    counts = {table: data.count(b"\n") for table, data in written.items()}
    print(f"rows_written: {sum(counts.values())} " + str(counts))
    floor = floor_seconds(written)
    print(f"floor_seconds: {floor:.2f}")
    print(f"floor_no_fk_seconds: {floor_seconds(written, foreign_keys=False):.2f}")
    ratio = round(import_seconds / floor, 2)
    print(f"ratio: {ratio:.2f} (target <= 1.5)")
    return ratio


if __name__ == "__main__":
    main()
