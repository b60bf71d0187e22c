"""How long the demo portfolio takes to build on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/settle \
        .venv/bin/python tests/bench/bench_seed.py --accounts 1000000

Prints ``seed_seconds`` and row counts. ``--keep`` leaves the database ``settle_bench`` for the
other benchmarks (nightly run, dashboards).
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench._pg import scratch_database  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument(
        "--contacts",
        type=int,
        default=0,
        help="Then grow the contact log to this many rows (the load test uses 10,000,000).",
    )
    parser.add_argument("--database", default="settle_bench")
    args = parser.parse_args()
    with scratch_database(args.database, keep=args.keep):
        from workspace.demo import seed_portfolio

        started = time.perf_counter()
        counts = seed_portfolio(accounts=args.accounts, seed=args.seed)
        elapsed = time.perf_counter() - started
        if args.contacts:
            from tests.bench._contacts import grow_contact_log

            added, seconds = grow_contact_log(args.contacts)
            print(f"contacts_added: {added} in {seconds:.1f} s")
    print(f"accounts: {counts['accounts']}")
    for name, value in counts.items():
        print(f"{name}_rows: {value}")
    print(f"seed_seconds: {elapsed:.1f}")
    print(f"accounts_per_second: {counts['accounts'] / elapsed:.0f}")


if __name__ == "__main__":
    main()
