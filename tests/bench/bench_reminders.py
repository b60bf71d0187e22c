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

The figure is the steady throughput of running workers: a real Celery worker is already up
when reminders fall due, with Django set up, the sending code imported and what its earlier
batches built (the compliance profiles and their compiled wording matchers, the URL resolver
the portal links need, the cache client, the database connection). So each worker (``--workers
N`` processes, or the bench itself with one) first sets up Django and sends one small batch
(``WARM_BATCH`` reminders, to a throw-away outbox) inside a transaction it rolls back, then
waits until every worker is ready; the clock starts after that. ``worker_startup_seconds`` is
the slowest worker's start-up (process start, ``django.setup()``, imports and that batch).
"""

from __future__ import annotations

import argparse
import multiprocessing
import queue
import sys
import tempfile
import threading
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench._pg import scratch_database  # noqa: E402

NOW = datetime(2026, 11, 24, 13, 30, tzinfo=UTC)
#: Reminders each worker sends, and rolls back, before the clock starts (``_warm``): enough
#: for both insert paths of ``compliance.evidence`` and every template the seed uses.
WARM_BATCH = 250


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


def _settings_set(outbox: str) -> None:
    from django.conf import settings

    settings.SETTLE_OUTBOX_DIR = outbox
    settings.SETTLE_CHANNEL_BACKENDS = dict.fromkeys(
        ("sms", "email", "letter"), "outreach.backends.FileBackend"
    )


def _warm(worker_id: str) -> None:
    """Send ``WARM_BATCH`` reminders through the whole path (claim, rendering, the compliance
    check, the outbox, the outcome) and roll it back: what the first batch of a process builds
    once (imports, profiles, compiled matchers, the URL resolver, the cache client) is then
    built, and the reminders are still due. The outbox is a scratch directory."""
    from django.db import transaction

    from outreach.backends import FileBackend
    from outreach.reminders import reminders_send_batch

    with tempfile.TemporaryDirectory(prefix="settle-warm-") as scratch, transaction.atomic():
        backends = dict.fromkeys(("sms", "email", "letter"), FileBackend(scratch))
        reminders_send_batch(now=NOW, worker_id=worker_id, batch_size=WARM_BATCH, backends=backends)
        transaction.set_rollback(True)


def _worker(outbox: str, name: str, batch: int | None, ready, results) -> None:
    """One sending process (``--workers``): its own connection, the same claim query. Sets
    up and warms (``_warm``), waits at ``ready`` for the others and the bench's clock, sends
    until nothing is due and puts its summary (or its traceback) on ``results``."""
    try:
        import django

        django.setup()
        from dataclasses import asdict

        from outreach.reminders import reminders_send_due

        _settings_set(outbox)
        _warm(name)
    except BaseException:
        ready.abort()  # the bench stops instead of waiting for this worker
        raise
    ready.wait()
    try:
        summary = reminders_send_due(now=NOW, worker_id=name, batch_size=batch)
    except BaseException:
        results.put((name, None, traceback.format_exc()))
        raise
    results.put((name, asdict(summary), ""))


def _run_workers(outbox: str, workers: int, batch: int | None) -> tuple[list[dict], float, float]:
    """Start ``workers`` processes, wait until all are warm, then time them until each has
    sent everything it could claim: (their summaries, start-up seconds, sending seconds)."""
    from django.db import connections

    connections.close_all()
    context = multiprocessing.get_context("spawn")
    ready = context.Barrier(workers + 1)
    results = context.Queue()
    processes = [
        context.Process(target=_worker, args=(outbox, f"bench-{n}", batch, ready, results))
        for n in range(workers)
    ]
    started = time.perf_counter()
    for process in processes:
        process.start()
    try:
        ready.wait()
    except threading.BrokenBarrierError:
        for process in processes:
            process.terminate()
        sys.exit("a worker failed to start (its traceback is above)")
    startup = time.perf_counter() - started
    started = time.perf_counter()
    summaries: list[dict] = []
    while len(summaries) < workers:
        try:
            name, summary, error = results.get(timeout=1)
        except queue.Empty:
            if any(p.exitcode not in (None, 0) for p in processes):
                sys.exit("a worker died while sending")
            continue
        if summary is None:
            sys.exit(f"{name} failed:\n{error}")
        summaries.append(summary)
    elapsed = time.perf_counter() - started
    for process in processes:
        process.join()
    return summaries, startup, elapsed


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
        _settings_set(outbox)
        logged_before = ContactLog.objects.count()
        if args.workers == 1:
            started = time.perf_counter()
            _warm("bench")
            startup = time.perf_counter() - started
            started = time.perf_counter()
            summary = reminders_send_due(now=NOW, worker_id="bench", batch_size=args.batch)
            elapsed = time.perf_counter() - started
        else:
            results, startup, elapsed = _run_workers(outbox, args.workers, args.batch)
            summary = SendSummary()
            for result in results:
                summary.add(SendSummary(**result))

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
        print(f"worker_startup_seconds: {startup:.2f}")
        print(f"seconds: {elapsed:.2f}")
        print(f"reminders_per_second: {processed / elapsed:.0f}")
        print(f"sent_per_second: {summary.sent / elapsed:.0f}")


if __name__ == "__main__":
    main()
