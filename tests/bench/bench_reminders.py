"""Reminders sent per second on PostgreSQL, with the file backend.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/settle \
        .venv/bin/python tests/bench/bench_reminders.py --accounts 100000 [--workers 2]

Builds a scratch database (``settle_bench_reminders``, dropped afterwards unless ``--keep``)
with the demo portfolio and one pending reminder per account (SMS where the customer has a
phone, else a letter), then runs ``outreach.reminders.reminders_send_due`` until nothing is
due: claim (UPDATE … FOR UPDATE SKIP LOCKED), one bulk compliance check per batch, the file
backend, the contact-log entries and the status update.

``now`` is 13:30 UTC on a weekday: daytime in the US, night in China, so the CN reminders are
deferred by the contact-window rule and the US ones are sent (or blocked by the restrictions
the demo portfolio carries). Prints ``reminders_per_second`` (every reminder carried to its
next state) and ``sent_per_second``.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench._pg import scratch_database  # noqa: E402

NOW = datetime(2026, 11, 24, 13, 30, tzinfo=UTC)


def seed_reminders(now: datetime) -> int:
    """One pending reminder per account, written in SQL."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO contacts_reminder (
                account_id, kind, channel, contact_point_id, template_id, idempotency_key,
                amount, due_date, due_at, status, attempts, claimed_by, claimed_at,
                next_attempt_at, last_error, decision_id, contact_id, created_at, sent_at,
                provider_ref, delivery_status, delivery_error)
            SELECT a.id, 'strategy',
                   CASE WHEN p.id IS NULL THEN 'letter' ELSE 'sms' END,
                   p.id, t.id, 'bench:' || a.id, NULL, NULL, %(now)s, 'pending', 0, '', NULL,
                   %(now)s, '', NULL, NULL, %(now)s, NULL, '', '', ''
            FROM accounts_account a
            JOIN accounts_customer c ON c.id = a.customer_id
            LEFT JOIN LATERAL (
                SELECT id FROM contacts_contactpoint cp
                WHERE cp.customer_id = c.id AND cp.kind = 'phone' AND cp.is_valid
                      AND NOT cp.opted_out
                ORDER BY cp.is_primary DESC, cp.id LIMIT 1
            ) p ON true
            JOIN contacts_messagetemplate t
              ON t.code = 'collection-notice' AND t.tone = 'general'
             AND t.language = CASE WHEN c.jurisdiction = 'CN' THEN 'zh-hans' ELSE 'en' END
             AND t.channel = CASE WHEN p.id IS NULL THEN 'letter' ELSE 'sms' END
            """,
            {"now": now},
        )
        created = cursor.rowcount
        cursor.execute("ANALYZE contacts_reminder")
    return created


def _worker(args: tuple[str, str, int]) -> dict:
    """One sending process (``--workers``): its own connection, the same claim query."""
    outbox, name, batch = args
    import django

    django.setup()
    from dataclasses import asdict

    from django.conf import settings

    from outreach.reminders import reminders_send_due

    settings.SETTLE_OUTBOX_DIR = outbox
    settings.SETTLE_CHANNEL_BACKENDS = dict.fromkeys(
        ("sms", "email", "letter"), "outreach.backends.FileBackend"
    )
    return asdict(reminders_send_due(now=NOW, worker_id=name, batch_size=batch))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--batch", type=int, default=None, help="default: SETTLE_REMINDERS['batch_size']"
    )
    parser.add_argument("--workers", type=int, default=1, help="sending processes")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--database", default="settle_bench_reminders")
    args = parser.parse_args()
    with scratch_database(args.database, keep=args.keep):
        from django.conf import settings

        from contacts.models import ContactLog, Reminder
        from outreach.reminders import SendSummary, reminders_send_due
        from outreach.strategies import templates_seed
        from workspace.demo import seed_portfolio

        started = time.perf_counter()
        seed_portfolio(accounts=args.accounts, seed=args.seed)
        templates_seed()
        created = seed_reminders(NOW)
        print(
            f"seeded: {args.accounts} accounts, {created} reminders "
            f"in {time.perf_counter() - started:.1f}s"
        )

        outbox = tempfile.mkdtemp(prefix="settle-outbox-")
        settings.SETTLE_OUTBOX_DIR = outbox
        settings.SETTLE_CHANNEL_BACKENDS = dict.fromkeys(
            ("sms", "email", "letter"), "outreach.backends.FileBackend"
        )
        logged_before = ContactLog.objects.count()
        started = time.perf_counter()
        if args.workers == 1:
            summary = reminders_send_due(now=NOW, worker_id="bench", batch_size=args.batch)
        else:
            from django.db import connections

            connections.close_all()
            context = multiprocessing.get_context("spawn")
            with context.Pool(args.workers) as pool:
                results = pool.map(
                    _worker,
                    [(outbox, f"bench-{n}", args.batch) for n in range(args.workers)],
                )
            summary = SendSummary()
            for result in results:
                summary.add(SendSummary(**result))
        elapsed = time.perf_counter() - started

        processed = summary.sent + summary.deferred + summary.blocked + summary.retried
        processed += summary.failed + summary.cancelled
        lines = sum(len(path.read_text().splitlines()) for path in Path(outbox).glob("*.jsonl"))
        print(
            f"claimed: {summary.claimed} sent: {summary.sent} deferred: {summary.deferred} "
            f"blocked: {summary.blocked} retried: {summary.retried} failed: {summary.failed} "
            f"cancelled: {summary.cancelled} batches: {summary.batches}"
        )
        print(f"contact_log_rows_added: {ContactLog.objects.count() - logged_before}")
        print(f"outbox_lines: {lines}")
        print(f"still_due: {Reminder.objects.filter(status__in=['pending', 'claimed']).count()}")
        print(f"workers: {args.workers}")
        print(f"seconds: {elapsed:.2f}")
        print(f"reminders_per_second: {processed / elapsed:.0f}")
        print(f"sent_per_second: {summary.sent / elapsed:.0f}")


if __name__ == "__main__":
    main()
