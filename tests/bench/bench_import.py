"""Time ``import_accounts`` on PostgreSQL against a bare COPY of the same file.

Run as ``DATABASE_URL=postgres://… python tests/bench/bench_import.py --rows 1000000`` against a
scratch database (it creates teams, specialists, customers and accounts there). Prints
``copy_seconds`` (the file COPYed into a temp table of text columns, rolled back) and
``import_seconds`` (the whole import: COPY, validation, upsert, history, audit, assignment, risk),
then the importer's own phase timings.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repo root
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

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
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        sys.exit("DATABASE_URL must point to a (scratch) PostgreSQL database")

    import django

    django.setup()
    from django.db import connection

    from feeds.account_import import import_accounts

    assert connection.vendor == "postgresql"
    ensure_teams()
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "feed.csv"
        began = time.perf_counter()
        generate(path, args.rows, args.seed)
        print(f"rows: {args.rows}")
        print(f"file_mb: {path.stat().st_size / 1e6:.1f}")
        print(f"generate_seconds: {time.perf_counter() - began:.2f}")
        print(f"copy_seconds: {bare_copy_seconds(path):.2f}")
        began = time.perf_counter()
        result = import_accounts(path, progress=False)
        print(f"import_seconds: {time.perf_counter() - began:.2f}")
    if result.errors:
        print("\n".join(result.errors[:20]))
        sys.exit(1)
    print(
        f"customers_created: {result.customers_created}, "
        f"accounts_created: {result.accounts_created}, "
        f"contact_points_created: {result.contact_points_created}"
    )
    for phase, seconds in result.timings.items():
        print(f"  {phase}: {seconds:.2f}")


if __name__ == "__main__":
    main()
