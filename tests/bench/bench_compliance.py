"""Compliance checks per second on PostgreSQL, single and in bulk, over a large contact log.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/settle \
        .venv/bin/python tests/bench/bench_compliance.py --accounts 100000 --contacts 3000000

Builds a scratch database (``settle_bench_compliance``, dropped afterwards unless ``--keep``):
the demo portfolio, then ``--contacts`` synthetic contact-log rows spread over the last 180
days (generated inside PostgreSQL). Every check reads the contact log through its
``(customer, occurred_at)`` and ``(account, occurred_at)`` indexes, so its cost depends on the
rows of the debtors checked, not on the table's size: the EXPLAIN plans printed show it.

Prints ``single_checks_per_second`` (``contact_check``, one stored decision each) and
``bulk_checks_per_second`` (``contact_check_bulk`` in batches of ``--batch``, one insert each).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench._pg import scratch_database  # noqa: E402

LATER_SMS = "Acme Recovery is a debt collector. Your payment is due soon. Reply STOP to opt out."
CN_SMS = "您好，您的信用卡账单已逾期，请尽快还款。"


def seed_contacts(count: int) -> None:
    """``count`` contact-log rows over the last 180 days, for random accounts, in SQL.

    Written in time order, as an append-only log grows: one account's rows are scattered over
    the table, the worst case for reading a debtor's history. Per-row foreign-key triggers are
    skipped when allowed (as pg_restore does)."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if cursor.fetchone()[0]:
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("SELECT min(id), max(id) FROM accounts_account")
        low, high = cursor.fetchone()
        cursor.execute(
            """
            INSERT INTO contacts_contactlog (
                account_id, customer_id, contact_point_id, channel, direction, occurred_at,
                outcome, disposition, reason, notes, message, user_id, source, corrects_id,
                created_at)
            SELECT a.id, a.customer_id, NULL,
                   (ARRAY['call','call','call','sms','email','inbound_call'])[1 + (g %% 6)],
                   CASE WHEN g %% 6 = 5 THEN 'inbound' ELSE 'outbound' END,
                   now() - random() * interval '180 days',
                   (ARRAY['no_answer','voicemail','conversation','not_connected','delivered',
                          'conversation'])[1 + ((g / 7) %% 6)],
                   '', '', '', '', NULL, 'history', NULL, now()
            FROM generate_series(1, %s) AS g
            JOIN accounts_account a ON a.id = %s + (hashint4(g) & 2147483647) %% %s
            ORDER BY 6
            """,
            [count, low, high - low + 1],
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE contacts_contactlog")


def _short(plan: str, width: int = 150) -> str:
    """The plan with the long id arrays cut, so it stays readable."""
    return "\n".join(
        line if len(line) <= width else line[:width] + " …" for line in plan.splitlines()
    )


def explain(customer_ids, account_ids, now) -> None:
    from datetime import timedelta

    from compliance import selectors

    window = selectors.contact_log_window(
        customer_ids, now - timedelta(days=8), now + timedelta(days=8)
    )
    print(f"EXPLAIN contact log window ({len(customer_ids)} debtors):")
    print(_short(window.explain(analyze=True, buffers=True)))
    print(f"EXPLAIN first communications ({len(account_ids)} accounts):")
    plan = selectors.first_communications(account_ids).explain(analyze=True, buffers=True)
    print(_short(plan))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--contacts", type=int, default=3_000_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--database", default="settle_bench_compliance")
    args = parser.parse_args()

    with scratch_database(args.database, keep=args.keep):
        from django.db import connection
        from django.utils import timezone

        from accounts.models import Account
        from compliance.models import ComplianceDecision
        from compliance.profiles import profile_for
        from compliance.services import CheckRequest, contact_check, contact_check_bulk
        from workspace.demo import seed_portfolio

        began = time.perf_counter()
        seed_portfolio(accounts=args.accounts, seed=args.seed)
        print(f"seed_seconds: {time.perf_counter() - began:.1f}")
        began = time.perf_counter()
        seed_contacts(args.contacts)
        print(f"contact_seed_seconds: {time.perf_counter() - began:.1f}")
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*), pg_size_pretty(pg_total_relation_size(%s)) "
                "FROM contacts_contactlog",
                ["contacts_contactlog"],
            )
            rows, size = cursor.fetchone()
        print(f"contact_log_rows: {rows} ({size} with indexes)")

        rng = random.Random(args.seed)
        accounts = list(Account.objects.values_list("id", "customer_id", "customer__jurisdiction"))
        now = timezone.now()
        profile_for("US"), profile_for("CN")

        sample = rng.sample(accounts, min(args.batch, len(accounts)))
        explain([c for _, c, _ in sample], [a for a, _, _ in sample], now)

        def request(n: int) -> CheckRequest:
            account_id, _, jurisdiction = accounts[rng.randrange(len(accounts))]
            if n % 4 == 3:
                text = LATER_SMS if jurisdiction == "US" else CN_SMS
                return CheckRequest(account=account_id, channel="sms", at=now, message=text)
            return CheckRequest(account=account_id, channel="call", at=now)

        done, began = 0, time.perf_counter()
        while time.perf_counter() - began < args.seconds:
            r = request(done)
            contact_check(
                account=r.account,
                channel=r.channel,
                at=r.at,
                message=r.message,
                purpose="reminder",
            )
            done += 1
        single = done / (time.perf_counter() - began)

        done, began = 0, time.perf_counter()
        while time.perf_counter() - began < args.seconds:
            contact_check_bulk([request(n) for n in range(args.batch)], purpose="reminder")
            done += args.batch
        bulk = done / (time.perf_counter() - began)

        blocked = ComplianceDecision.objects.filter(allowed=False).count()
        total = ComplianceDecision.objects.count()
    print(f"decisions_stored: {total} ({blocked} blocked)")
    print(f"single_checks_per_second: {single:.0f}")
    print(f"bulk_checks_per_second: {bulk:.0f}")


if __name__ == "__main__":
    main()
