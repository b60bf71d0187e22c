"""How fast the supervisor dashboard answers on a large portfolio, and how long the refresh takes.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/settle \\
        .venv/bin/python tests/bench/bench_dashboard.py --accounts 1000000

Seeds a scratch database (``workspace.demo.seed_portfolio``: accounts, bucket history, contact
history; about 3 minutes for a million accounts), or with ``--reuse`` uses ``--database`` as it
is. Refreshes the dashboard facts for the business date (``--activity-days`` of activity, the
default range of the page), then requests ``/dashboards/`` with the default filters as a
supervisor who sees every team, ``--runs`` times after one warm-up. Prints ``refresh_seconds``,
``dashboard_median_ms``, ``dashboard_p95_ms`` and the fact table sizes. Target: median ≤ 300 ms.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_MANIFEST_STATIC", "false")  # no collectstatic for a benchmark

from tests.bench._pg import existing_database, scratch_database  # noqa: E402


def measure(*, runs: int, activity_days: int) -> None:
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    from accounts.models import Account, User
    from dashboards.facts import facts_refresh
    from dashboards.models import DailyActivity, PortfolioSnapshot, RollFact

    print(f"accounts: {Account.objects.count()}")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    summary = facts_refresh(activity_days=activity_days, roll_months=4)
    print(f"refresh_seconds: {summary.seconds:.1f}")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE dashboards_dailyactivity")
        cursor.execute("VACUUM ANALYZE dashboards_portfoliosnapshot")
        cursor.execute("VACUUM ANALYZE dashboards_rollfact")
    print(f"snapshot_rows: {PortfolioSnapshot.objects.count()}")
    print(f"activity_rows: {DailyActivity.objects.count()}")
    print(f"roll_rows: {RollFact.objects.count()}")

    setup_test_environment()
    head, _ = User.objects.get_or_create(username="bench-head-of-collections")
    head.groups.add(Group.objects.get(name="supervisor"))
    assert head.sees_all_teams
    client = Client()
    client.force_login(head)
    response = client.get("/dashboards/", secure=True)  # warm-up
    assert response.status_code == 200, response.status_code
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get("/dashboards/", secure=True)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    timings.sort()
    p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
    print(f"dashboard_runs: {runs}")
    print(f"dashboard_median_ms: {statistics.median(timings):.0f}")
    print(f"dashboard_p95_ms: {p95:.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--database", default="settle_bench_dashboard")
    parser.add_argument("--reuse", action="store_true", help="Use --database as it is.")
    parser.add_argument("--keep", action="store_true", help="Keep the scratch database.")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--activity-days", type=int, default=90)
    args = parser.parse_args()
    if args.reuse:
        existing_database(args.database)
        measure(runs=args.runs, activity_days=args.activity_days)
        return
    with scratch_database(args.database, keep=args.keep):
        from workspace.demo import seed_portfolio

        started = time.perf_counter()
        seed_portfolio(accounts=args.accounts, seed=args.seed)
        print(f"seed_seconds: {time.perf_counter() - started:.1f}")
        measure(runs=args.runs, activity_days=args.activity_days)


if __name__ == "__main__":
    main()
