"""How long the nightly run takes on a large portfolio, against a full-table UPDATE.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/settle \
        .venv/bin/python tests/bench/bench_nightly.py --accounts 1000000

Seeds a scratch database with ``workspace.demo.seed_portfolio`` (about 3 minutes for a million
accounts), or with ``--reuse`` uses ``--database`` as it is (e.g. ``settle_bench`` kept by
``bench_seed.py --keep``; pending migrations are applied). Runs the nightly job for the day
after the seeded business date, so accounts really cross bucket edges, then once more for the
same date (idempotent: should write nothing), then times ``UPDATE accounts_account SET
risk_score = risk_score`` over the whole table, the baseline the issue names (rolled back once
timed, so the next night's change detection does not see every account written). Run it twice
on one database for the steady state: the first night of a database no nightly run has
marked looks at every account. Prints
``nightly_seconds``, ``nightly_rerun_seconds``, ``full_update_seconds`` and seconds per step.
"""

import argparse
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench._pg import existing_database, scratch_database  # noqa: E402


def _vacuum() -> None:
    from django.db import connection

    with connection.cursor() as cursor:  # VACUUM cannot run in a transaction; autocommit is on
        cursor.execute("VACUUM ANALYZE")


def measure() -> None:
    from django.db import connection
    from django.db.models import Max

    from accounts.models import Account, BucketHistory
    from workspace.nightly import nightly_run

    accounts = Account.objects.count()
    seeded_on = BucketHistory.objects.aggregate(d=Max("entered_on"))["d"]
    as_of = seeded_on + timedelta(days=1)
    print(f"accounts: {accounts}")
    print(f"as_of: {as_of}")
    _vacuum()

    summary = nightly_run(as_of=as_of, progress=lambda m: print(m, file=sys.stderr, flush=True))
    for step in summary.steps:
        print(f"{step.name}_seconds: {step.seconds:.1f}")
        print(f"{step.name}_changed: {step.changed}")
    print(f"nightly_seconds: {summary.seconds:.1f}")

    rerun = nightly_run(as_of=as_of)
    print(f"nightly_rerun_seconds: {rerun.seconds:.1f}")
    print(f"nightly_rerun_changed: {rerun.changed}")

    _vacuum()
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("BEGIN")
        cursor.execute("UPDATE accounts_account SET risk_score = risk_score")
        print(f"full_update_seconds: {time.perf_counter() - started:.1f}")
        # Rolled back: committed, it would make every account "written since" for the next
        # night's change detection (accounts.changes), which no real night sees.
        cursor.execute("ROLLBACK")
    _vacuum()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--database", default="settle_bench_nightly")
    parser.add_argument("--reuse", action="store_true", help="Use --database as it is.")
    parser.add_argument("--keep", action="store_true", help="Keep the scratch database.")
    args = parser.parse_args()
    if args.reuse:
        existing_database(args.database)
        measure()
        return
    with scratch_database(args.database, keep=args.keep):
        from workspace.demo import seed_portfolio

        started = time.perf_counter()
        seed_portfolio(accounts=args.accounts, seed=args.seed)
        print(f"seed_seconds: {time.perf_counter() - started:.1f}")
        measure()


if __name__ == "__main__":
    main()
