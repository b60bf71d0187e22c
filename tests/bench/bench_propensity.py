"""How long the propensity-to-pay training and the nightly scoring take on a large portfolio.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/settle \
        .venv/bin/python tests/bench/bench_propensity.py --accounts 1000000

Seeds a scratch database with ``workspace.demo.seed_portfolio`` (its six months of contacts and
payments), or with ``--reuse`` uses ``--database`` as it is. Trains the model for the seeded
business date, scores the open accounts, then scores again (should write nothing). Prints
``train_seconds``, ``train_samples``, ``auc``, ``score_seconds``, ``score_changed`` and
``rescore_seconds``.
"""

import argparse
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench._pg import existing_database, scratch_database  # noqa: E402


def measure() -> None:
    from django.db import connection
    from django.db.models import Max
    from django.utils import timezone

    from accounts.models import Account, BucketHistory
    from contacts.models import ContactLog
    from workspace import propensity

    as_of = BucketHistory.objects.aggregate(d=Max("entered_on"))["d"] + timedelta(days=1)
    print(f"accounts: {Account.objects.count()}")
    print(f"contacts: {ContactLog.objects.count()}")
    print(f"as_of: {as_of}")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    now = timezone.now()
    started = time.perf_counter()
    model = propensity.propensity_train(as_of=as_of, now=now).model
    print(f"train_seconds: {time.perf_counter() - started:.1f}")
    print(f"train_samples: {model.train_samples}")
    print(f"holdout_samples: {model.holdout_samples}")
    print(f"auc: {model.auc}")
    say = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
    started = time.perf_counter()
    changed = propensity.propensity_refresh(as_of=as_of, now=now, say=say)
    print(f"score_seconds: {time.perf_counter() - started:.1f}")
    print(f"score_changed: {changed}")
    started = time.perf_counter()
    changed = propensity.propensity_refresh(as_of=as_of, now=now)
    print(f"rescore_seconds: {time.perf_counter() - started:.1f}")
    print(f"rescore_changed: {changed}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--database", default="settle_bench_propensity")
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
