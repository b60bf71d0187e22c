"""Grow the contact log of a bench database to a given size (the load test wants 10M rows)."""

from __future__ import annotations

import time
from datetime import timedelta


def grow_contact_log(total: int) -> tuple[int, float]:
    """Add loaded-history contacts, spread over every account and the last two years (all
    older than 30 days, so today's compliance counts are what the seed made them), until the
    log has ``total`` rows. One INSERT … SELECT; returns (rows added, seconds)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM contacts_contactlog")
        have = cursor.fetchone()[0]
        need = total - have
        if need <= 0:
            return 0, 0.0
        cursor.execute("SELECT count(*) FROM accounts_account")
        accounts = cursor.fetchone()[0]
        rounds = -(-need // accounts)
        # Each month its partition (PostgreSQL), as production has them, not the default one.
        from django.utils import timezone

        from core.partitions import partitions_ensure

        partitions_ensure(since=timezone.now().date() - timedelta(days=735))
        started = time.perf_counter()
        cursor.execute(
            """
            INSERT INTO contacts_contactlog
                (channel, direction, occurred_at, outcome, disposition, reason, notes, message,
                 source, created_at, account_id, customer_id, attachment)
            SELECT (ARRAY['call', 'call', 'sms', 'email'])[1 + (a.id + r) %% 4], 'outbound',
                   now() - make_interval(days => 30 + ((a.id * 31 + r * 97) %% 700)::int,
                                         mins => ((a.id + r * 13) %% 600)::int),
                   (ARRAY['no_answer', 'voicemail', 'conversation', 'delivered'])
                       [1 + (a.id * 7 + r) %% 4],
                   '', '', '', '', 'history', now(), a.id, a.customer_id, ''
              FROM generate_series(1, %s) r CROSS JOIN accounts_account a
             LIMIT %s
            """,
            [rounds, need],
        )
        cursor.execute("ANALYZE contacts_contactlog")
    return need, time.perf_counter() - started
