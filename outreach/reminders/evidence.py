"""A batch's outcome, written for the rows the run still holds: contact-log entries for the
reminders sent (the gate was passed in ``outreach.reminders.sending``, and each entry records
the decision it passed) and every reminder's new state, in one transaction.

Written with set-based statements (``evidence_insert``, one ``UPDATE … FROM unnest``): the
per-row cost of a batch is the compliance evaluation itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import F

from compliance.evidence import AnyOf, evidence_insert
from contacts.models import ContactLog, Reminder
from outreach.reminders.claiming import ReminderRow


@dataclass(slots=True)
class _Outcome:
    """A reminder's new state, written by ``_outcomes_write``."""

    pk: int
    status: str
    sent_at: datetime | None
    contact_id: int | None
    decision_id: int | None
    attempts: int
    last_error: str
    next_attempt_at: datetime | None
    provider_ref: str | None = None  # None: unchanged


@transaction.atomic
def batch_finalise(
    *,
    now: datetime,
    worker_id: str,
    rows: dict[int, ReminderRow],
    changes: dict[int, dict[str, Any]],
    sent: list[tuple[ReminderRow, str, int | None, str]],
) -> set[int]:
    """Write the outcome of a batch for the rows this worker still holds; return their ids.

    ``sent`` holds (row, text, decision id, the reference the channel returned): the reference
    is kept on the reminder, so a delivery receipt that names it finds the reminder.

    The rows are locked first: a reclaim that took them over (this run outlived the claim
    timeout) has already changed ``claimed_by``, so they are skipped here and the run that
    holds them now writes their log entry. That is what keeps the log to one entry per key.
    """
    ids = [*changes, *(r.pk for r, _, _, _ in sent)]
    mine = set(
        Reminder.objects.select_for_update()
        .filter(AnyOf(F("id"), ids), status=Reminder.Status.CLAIMED, claimed_by=worker_id)
        .values_list("id", flat=True)
    )
    held = [item for item in sent if item[0].pk in mine]
    # The gate was passed before sending (contact_check_bulk, purpose "reminder"); the entry
    # records the decision it passed. Append-only evidence: stored in bulk, not audit-logged.
    entry_ids = evidence_insert(
        ContactLog,
        [
            {
                "account_id": r.account_id,
                "customer_id": r.customer_id,
                "contact_point_id": r.contact_point_id,
                "channel": r.channel,
                "direction": ContactLog.Direction.OUTBOUND,
                "occurred_at": now,
                "outcome": ContactLog.Outcome.DELIVERED,
                "message": text,
                "user_id": None,
                "source": ContactLog.Source.SYSTEM,
                "decision_id": decision_id,
                "notes": f"Reminder {r.key}",
            }
            for r, text, decision_id, _ in held
        ],
    )
    updates: list[_Outcome] = []
    for (r, _, decision_id, ref), entry_id in zip(held, entry_ids, strict=True):
        updates.append(
            _Outcome(
                r.pk,
                Reminder.Status.SENT,
                now,
                entry_id,
                decision_id,
                r.attempts + 1,
                "",
                None,
                ref[:200],
            )
        )
    for pk, change in changes.items():
        if pk not in mine:
            continue
        r = rows[pk]
        updates.append(
            _Outcome(
                pk,
                change["status"],
                r.sent_at,
                r.contact_id,
                change.get("decision_id", r.decision_id),
                change.get("attempts", r.attempts),
                change.get("last_error", r.last_error),
                change.get("next_attempt_at", r.next_attempt_at),
            )
        )
    _outcomes_write(updates)
    return mine


def _outcomes_write(updates: list[_Outcome]) -> None:
    """Each row's new state, claim released, in one statement (PostgreSQL: ``UPDATE … FROM
    unnest(arrays)``; ``bulk_update``'s CASE per column and row costs more than the rest of
    the batch)."""
    if not updates:
        return
    if connection.vendor != "postgresql":
        for u in updates:
            extra = {} if u.provider_ref is None else {"provider_ref": u.provider_ref}
            Reminder.objects.filter(pk=u.pk).update(
                **extra,
                status=u.status,
                sent_at=u.sent_at,
                contact_id=u.contact_id,
                decision_id=u.decision_id,
                attempts=u.attempts,
                last_error=u.last_error,
                next_attempt_at=u.next_attempt_at,
                claimed_by="",
                claimed_at=None,
            )
        return
    table = Reminder._meta.db_table
    ids = [u.pk for u in updates]
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {table} AS r
            SET status = v.status, sent_at = v.sent_at, contact_id = v.contact_id,
                decision_id = v.decision_id, attempts = v.attempts, last_error = v.last_error,
                next_attempt_at = v.next_attempt_at, claimed_by = '', claimed_at = NULL,
                provider_ref = COALESCE(v.provider_ref, r.provider_ref)
            FROM unnest(
                %s::bigint[], %s::varchar[], %s::timestamptz[], %s::bigint[], %s::bigint[],
                %s::int[], %s::text[], %s::timestamptz[], %s::varchar[]
            ) AS v(id, status, sent_at, contact_id, decision_id, attempts, last_error,
                   next_attempt_at, provider_ref)
            WHERE r.id = v.id AND r.id = ANY(%s::bigint[])
            """,  # noqa: S608 - the table name is ours, values are parameters
            # The ids twice: joined to unnest alone, the planner scanned the whole table (sent
            # reminders included) on every batch; "r.id = ANY(ids)" fetches by primary key.
            [
                ids,
                [u.status for u in updates],
                [u.sent_at for u in updates],
                [u.contact_id for u in updates],
                [u.decision_id for u in updates],
                [u.attempts for u in updates],
                [u.last_error for u in updates],
                [u.next_attempt_at for u in updates],
                [u.provider_ref for u in updates],
                ids,
            ],
        )
