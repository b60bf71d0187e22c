"""Claiming reminders for one run, and reading back what it claimed.

A batch is claimed with one conditional ``UPDATE`` (``FOR UPDATE SKIP LOCKED`` on PostgreSQL),
so two runs never hold the same row; on PostgreSQL the same statement returns the claimed rows
with what sending them needs (``reminders_claim_rows``). A worker that dies after claiming
leaves rows in ``claimed``; after ``claim_timeout_seconds`` ``reminders_reclaim`` gives them
back to ``pending`` and another run sends them.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import F

from accounts.models import Account, ContactPoint, Customer
from compliance.evidence import AnyOf
from contacts.models import Reminder
from outreach.reminders.conf import setting

OPEN = (Reminder.Status.PENDING, Reminder.Status.DEFERRED)


def worker_name() -> str:
    """Unique per run: a claim taken over from a live-but-slow run is never mistaken as ours."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def reminders_reclaim(*, now: datetime) -> int:
    """Give claims older than the claim timeout (their worker died) back to ``pending``."""
    cutoff = now - timedelta(seconds=setting("claim_timeout_seconds"))
    return Reminder.objects.filter(status=Reminder.Status.CLAIMED, claimed_at__lt=cutoff).update(
        status=Reminder.Status.PENDING, claimed_by="", claimed_at=None
    )


def _claim_sql(returning: str) -> str:
    """The claim on PostgreSQL: up to ``batch_size`` due rows, skipping those another run has
    locked, so no row is claimed twice. Parameters: ``_claim_params``.

    ``id = ANY(ARRAY(…))``, not ``id IN (…)``: the picked ids are then one array the primary
    key is searched with; with ``IN`` the planner joined them to a scan of the whole table
    (sent reminders included) on every batch."""
    table = Reminder._meta.db_table
    return f"""
        UPDATE {table} SET status = %s, claimed_by = %s, claimed_at = %s
        WHERE id = ANY(ARRAY(
            SELECT id FROM {table}
            WHERE status IN (%s, %s) AND next_attempt_at <= %s
            ORDER BY next_attempt_at, id
            LIMIT %s
            FOR UPDATE SKIP LOCKED
        ))
        RETURNING {returning}
    """  # noqa: S608 - the table and columns are ours, values are parameters


def _claim_params(*, now: datetime, worker_id: str, batch_size: int) -> list:
    return [Reminder.Status.CLAIMED, worker_id, now, *OPEN, now, batch_size]


def reminders_claim(*, now: datetime, worker_id: str, batch_size: int) -> list[int]:
    """Claim up to ``batch_size`` due reminders for ``worker_id``; return their ids."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                _claim_sql("id"),
                _claim_params(now=now, worker_id=worker_id, batch_size=batch_size),
            )
            return [row[0] for row in cursor.fetchall()]
    # Portable fallback: pick, then claim only rows still open (a conditional UPDATE), then
    # read back what this worker holds. SQLite serialises writers, so nothing is claimed twice.
    with transaction.atomic():
        ids = list(
            Reminder.objects.filter(status__in=OPEN, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "id")
            .values_list("id", flat=True)[:batch_size]
        )
        if not ids:
            return []
        Reminder.objects.filter(id__in=ids, status__in=OPEN).update(
            status=Reminder.Status.CLAIMED, claimed_by=worker_id, claimed_at=now
        )
        return list(
            Reminder.objects.filter(
                id__in=ids, status=Reminder.Status.CLAIMED, claimed_by=worker_id
            ).values_list("id", flat=True)
        )


@dataclass(slots=True)
class ReminderRow:
    """One claimed reminder with what sending it needs, read as a tuple (no model instances:
    a batch has thousands)."""

    pk: int
    account_id: int
    kind: str
    channel: str
    contact_point_id: int | None
    template_id: int | None
    key: str
    amount: Decimal | None
    due_date: date | None
    attempts: int
    stage: str
    customer_id: int
    name: str
    address_line: str
    past_due_amount: Decimal
    currency: str
    delinquent_since: date | None
    number: str
    point_value: str | None
    # Kept as they are unless the outcome changes them.
    decision_id: int | None
    contact_id: int | None
    sent_at: datetime | None
    next_attempt_at: datetime | None
    last_error: str


ROW_FIELDS = (
    "id",
    "account_id",
    "kind",
    "channel",
    "contact_point_id",
    "template_id",
    "idempotency_key",
    "amount",
    "due_date",
    "attempts",
    "account__stage",
    "account__customer_id",
    "account__customer__name",
    "account__customer__address_line",
    "account__past_due_amount",
    "account__currency",
    "account__delinquent_since",
    "account__number",
    "contact_point__value",
    "decision_id",
    "contact_id",
    "sent_at",
    "next_attempt_at",
    "last_error",
)


def rows_read(ids: list[int]) -> list[ReminderRow]:
    """The claimed reminders ``ids`` with what sending them needs, in id order."""
    return [
        ReminderRow(*values)
        for values in Reminder.objects.filter(AnyOf(F("id"), ids))
        .order_by("id")
        .values_list(*ROW_FIELDS)
    ]


def reminders_claim_rows(*, now: datetime, worker_id: str, batch_size: int) -> list[ReminderRow]:
    """Claim as ``reminders_claim`` does and return the claimed reminders as ``rows_read``
    does (in id order). On PostgreSQL one statement: the claim's ``UPDATE … RETURNING`` joined
    to the account, customer and contact point, instead of the claim and a second query."""
    if connection.vendor != "postgresql":
        return rows_read(reminders_claim(now=now, worker_id=worker_id, batch_size=batch_size))
    with connection.cursor() as cursor:
        cursor.execute(
            _claimed_rows_sql(),
            _claim_params(now=now, worker_id=worker_id, batch_size=batch_size),
        )
        return [ReminderRow(*values) for values in cursor.fetchall()]


def _claimed_rows_sql() -> str:
    """``_claim_sql`` returning what ``rows_read`` reads (``ROW_FIELDS``, in order), by id."""
    claim = _claim_sql(
        "id, account_id, kind, channel, contact_point_id, template_id, idempotency_key, amount,"
        " due_date, attempts, decision_id, contact_id, sent_at, next_attempt_at, last_error"
    )
    return f"""
        WITH claimed AS ({claim})
        SELECT r.id, r.account_id, r.kind, r.channel, r.contact_point_id, r.template_id,
               r.idempotency_key, r.amount, r.due_date, r.attempts,
               a.stage, a.customer_id, c.name, c.address_line, a.past_due_amount, a.currency,
               a.delinquent_since, a.number,
               p.value,
               r.decision_id, r.contact_id, r.sent_at, r.next_attempt_at, r.last_error
        FROM claimed r
        JOIN {Account._meta.db_table} a ON a.id = r.account_id
        JOIN {Customer._meta.db_table} c ON c.id = a.customer_id
        LEFT JOIN {ContactPoint._meta.db_table} p ON p.id = r.contact_point_id
        ORDER BY r.id
    """  # noqa: S608 - the tables and columns are ours, values are parameters
