"""How fast the work queue and the case page answer on the 1M-account portfolio.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/settle \\
        .venv/bin/python tests/bench/bench_queue.py --database settle_bench

Uses ``--database`` as ``bench_seed.py --keep`` left it (migrated first). Requests, one user at
a time, ``--runs`` times after a warm-up: the queue of the specialist with the most open
accounts, the queue of the supervisor of the largest team, both on page 1 and on page 40, a
search, and the case page of the account with the longest contact history. Prints the median and
p95 of each in milliseconds and the number of SQL queries of one request, with the production
settings unless ``DJANGO_DEBUG=true``. Targets (issue "Bank scale"): queue p95 ≤ 100 ms for both
users, case page p95 ≤ 50 ms.
"""

import argparse
import os
import secrets
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_MANIFEST_STATIC", "false")  # no collectstatic for a benchmark
# The production settings (debug off: no query-logging cursor, no debug templates), as a bank
# runs it; DJANGO_DEBUG=true in the environment measures the debug settings instead.
os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))

from tests.bench._pg import existing_database  # noqa: E402


def timed(client, url: str, runs: int) -> tuple[float, float, int]:
    from django.db import connection

    response = client.get(url, secure=True)  # warm-up
    assert response.status_code == 200, (url, response.status_code)
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        client.get(url, secure=True)
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url, secure=True)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    timings.sort()
    p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
    return statistics.median(timings), p95, len(queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", default="settle_bench")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    existing_database(args.database)

    from django.conf import settings
    from django.db import connection
    from django.db.models import Count
    from django.test import Client

    from accounts.models import Account, Role, User
    from contacts.models import ContactLog

    with connection.cursor() as cursor:
        # Steady state: autovacuum has been by since the bulk load (index-only counts).
        cursor.execute("VACUUM ANALYZE accounts_account")
    # Not setup_test_environment(): its instrumented template rendering would be timed too.
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    open_accounts = Account.objects.open()
    specialist_id = (
        open_accounts.values("assigned_to").annotate(n=Count("id")).order_by("-n")[0]["assigned_to"]
    )
    specialist = User.objects.get(pk=specialist_id)
    team_id = Account.objects.values("team").annotate(n=Count("id")).order_by("-n")[0]["team"]
    supervisor = User.objects.filter(team_id=team_id, groups__name=Role.SUPERVISOR).first()
    busiest = (
        ContactLog.objects.values("account").annotate(n=Count("id")).order_by("-n")[0]["account"]
    )
    print(f"accounts: {Account.objects.count()}")
    print(f"specialist_open_accounts: {open_accounts.filter(assigned_to=specialist).count()}")
    print(f"team_accounts: {open_accounts.filter(team_id=team_id).count()}")
    print(f"case_contacts: {ContactLog.objects.filter(account_id=busiest).count()}")

    cases = [
        ("queue_specialist", specialist, "/accounts/queue/"),
        ("queue_specialist_page40", specialist, "/accounts/queue/?page=40"),
        ("queue_specialist_search", specialist, "/accounts/queue/?q=1234"),
        ("queue_supervisor", supervisor, "/accounts/queue/"),
        ("queue_supervisor_page40", supervisor, "/accounts/queue/?page=40"),
        ("case_page", None, f"/accounts/{busiest}/"),
    ]
    for name, user, url in cases:
        client = Client()
        if user is None:  # the case page, as the account's specialist
            user = Account.objects.get(pk=busiest).assigned_to
        client.force_login(user)
        median, p95, queries = timed(client, url, args.runs)
        print(f"{name}_median_ms: {median:.0f}")
        print(f"{name}_p95_ms: {p95:.0f}")
        print(f"{name}_queries: {queries}")


if __name__ == "__main__":
    main()
