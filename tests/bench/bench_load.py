"""A load test with locust (headless) against gunicorn on 127.0.0.1, on the bench portfolio.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/settle make bench-load
    # or: .venv/bin/python tests/bench/bench_load.py --database settle_bench --users 30

Uses ``--database`` as ``bench_seed.py --keep`` left it (migrated first); grows its contact log
to ``--contacts`` rows (default 10M); refreshes the dashboard's facts if they never were; gives
the seeded specialists and supervisors a password; starts gunicorn (``--workers``) with the
production settings (plain http: no TLS redirect) and runs ``tests/bench/locustfile.py``:
specialists open their queue, case pages and the compliance API, supervisors the dashboard and
their team's queue, each user one request a second. Prints, per request kind and in all, the
requests, failures, median and p95 (ms) and requests per second. Target (issue "Bank scale"):
30 requests a second with p95 ≤ 150 ms and no errors.

With ``--case-pages`` (e.g. ``--users 12``) the users open case pages without pausing instead:
the requests a second are the case pages the server serves on this machine's cores (target: 60
a second on 2 cores), locust's own CPU included.
"""

import argparse
import csv
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_MANIFEST_STATIC", "false")
os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))

from tests.bench._contacts import grow_contact_log  # noqa: E402
from tests.bench._pg import existing_database  # noqa: E402

PASSWORD = "bench-" + secrets.token_urlsafe(12)


def people() -> dict:
    from django.contrib.auth.hashers import make_password

    from accounts.models import Account, Role, User

    users = User.objects.filter(groups__name__in=[Role.SPECIALIST, Role.SUPERVISOR]).distinct()
    users.update(password=make_password(PASSWORD))
    specialists = []
    for user in users.filter(groups__name=Role.SPECIALIST).order_by("id"):
        ids = list(
            Account.objects.open().filter(assigned_to=user).values_list("id", flat=True)[:200]
        )
        if ids:
            specialists.append({"username": user.username, "accounts": ids})
    supervisors = [
        {"username": u.username}
        for u in users.filter(groups__name=Role.SUPERVISOR, team__isnull=False).order_by("id")
    ]
    return {"password": PASSWORD, "specialists": specialists, "supervisors": supervisors}


def wait_up(url: str) -> None:
    for _ in range(100):
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - http://127.0.0.1
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"gunicorn did not answer at {url}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", default="settle_bench")
    parser.add_argument("--contacts", type=int, default=10_000_000)
    parser.add_argument("--users", type=int, default=30)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--run-time", default="60s")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--case-pages",
        action="store_true",
        help="instead of the mix: users opening case pages without a pause (pages a second)",
    )
    args = parser.parse_args()
    existing_database(args.database)

    from django.db import connection

    from dashboards.facts import facts_refresh
    from dashboards.models import RefreshRun

    added, seconds = grow_contact_log(args.contacts)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM contacts_contactlog")
        print(f"contact_log_rows: {cursor.fetchone()[0]} ({added} added in {seconds:.0f} s)")
    if not RefreshRun.objects.exists():
        facts_refresh(activity_days=90, roll_months=4)
    with tempfile.TemporaryDirectory() as tmp:
        users_file = Path(tmp) / "users.json"
        users_file.write_text(json.dumps(people()))
        connection.close()
        env = {
            **os.environ,
            "DJANGO_SSL_REDIRECT": "false",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "SETTLE_LOAD_USERS": str(users_file),
        }
        address = f"127.0.0.1:{args.port}"
        server = subprocess.Popen(
            [
                str(ROOT / ".venv/bin/gunicorn"),
                "config.wsgi:application",
                "--bind",
                address,
                "--workers",
                str(args.workers),
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
        )
        try:
            wait_up(f"http://{address}/healthz/")
            prefix = Path(tmp) / "load"
            subprocess.run(
                [
                    str(ROOT / ".venv/bin/locust"),
                    "-f",
                    str(ROOT / "tests/bench/locustfile.py"),
                    "--headless",
                    "--users",
                    str(args.users),
                    "--spawn-rate",
                    str(args.spawn_rate),
                    "--run-time",
                    args.run_time,
                    "--host",
                    f"http://{address}",
                    "--csv",
                    str(prefix),
                    "--only-summary",
                    "--reset-stats",  # the logins (password hashing) are not the mix measured
                    "--loglevel",
                    "WARNING",
                    *(["CaseReader"] if args.case_pages else ["Specialist", "Supervisor"]),
                ],
                cwd=ROOT,
                env=env,
                check=False,
            )
            with open(f"{prefix}_stats.csv", newline="", encoding="utf-8") as stats:
                for row in csv.DictReader(stats):
                    name = (row["Name"] or "all").replace(" ", "_").lower()
                    print(
                        f"{name}: requests {row['Request Count']}, failures "
                        f"{row['Failure Count']}, median {row['Median Response Time']} ms, "
                        f"p95 {row['95%']} ms, {float(row['Requests/s']):.1f}/s"
                    )
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
