"""Reminders: generated from installments, promises and treatment strategies, sent in batches.

Generation is idempotent: every reminder has a unique ``idempotency_key`` and rows are
inserted with ``ignore_conflicts``, so a rerun for the same day creates nothing new.

Sending claims a batch with one conditional ``UPDATE`` (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL), cancels the reminders whose installment was paid (or plan ended) or whose promise
was resolved since they were generated, asks compliance about the rest at once
(``contact_check_bulk``, purpose ``reminder``: one stored decision each), transmits the allowed
ones through the channel backend (``send_many``: one outbox write per batch for the file
backend) and then, in one transaction that first locks the rows it still holds, writes their
contact-log entries (with the decision id) and marks them ``sent``.

A batch is read as tuples and written with set-based statements (``evidence_insert``, one
``UPDATE … FROM unnest``): the per-row cost is the compliance evaluation itself.

A worker that dies after claiming leaves rows in ``claimed``; after ``claim_timeout_seconds``
they go back to ``pending`` and another run sends them. The backend sees such a message twice
at most and drops the repeat by its idempotency key; the contact log and the ``sent`` status
are written exactly once because a run whose claim was taken over finds no rows to finalise.

Non-message strategies (``call``, ``visit``) are not reminders: the generator skips them; the
work queues turn them into specialists' tasks.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F

from compliance.evidence import AnyOf, evidence_insert
from compliance.models import Purpose
from compliance.services import CheckRequest, contact_check_bulk, template_render
from contacts.backends import BaseBackend, ChannelError, OutboundMessage, backend_for
from contacts.models import ContactLog, ContactPoint, MessageTemplate, Reminder, TreatmentStrategy

MESSAGE_CHANNELS = tuple(Reminder.Channel.values)
POINT_KIND = {"sms": "phone", "email": "email", "letter": "address"}
#: Channels tried for installment and promise reminders, in order; each needs a usable point.
SCHEDULE_CHANNELS = ("sms", "email")
TEMPLATE_CODE = {
    Reminder.Kind.INSTALLMENT_DUE: "payment-due",
    Reminder.Kind.INSTALLMENT_MISSED: "payment-missed",
    Reminder.Kind.PROMISE_DUE: "promise-due",
}
OPEN = (Reminder.Status.PENDING, Reminder.Status.DEFERRED)


def _conf(name: str) -> Any:
    return settings.SETTLE_REMINDERS[name]


def worker_name() -> str:
    """Unique per run: a claim taken over from a live-but-slow run is never mistaken as ours."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


# --- Generation ------------------------------------------------------------------------------


@dataclass
class GenerateSummary:
    considered: int = 0
    created: int = 0


class _Catalogue:
    """Active templates and usable contact points, loaded once per generation run."""

    def __init__(self, customer_ids: set[int]) -> None:
        self.templates: dict[tuple[str, str, str, str], MessageTemplate] = {}
        for t in MessageTemplate.objects.filter(is_active=True):
            self.templates.setdefault((t.code, t.channel, t.language, t.tone), t)
        self.points: dict[tuple[int, str], ContactPoint] = {}
        points = (
            ContactPoint.objects.filter(
                customer_id__in=customer_ids, is_valid=True, opted_out=False
            )
            .order_by("customer_id", "kind", "-is_primary", "id")
            .only("id", "customer_id", "kind")
        )
        for p in points:
            self.points.setdefault((p.customer_id, p.kind), p)

    def template(self, code: str, channel: str, account) -> MessageTemplate | None:
        language = account.customer.language
        tone = account.risk_tier
        found = self.templates.get((code, channel, language, tone))
        if found is None:  # same language, any tone, the general one first
            for fallback in ("general", "good", "high"):
                found = self.templates.get((code, channel, language, fallback))
                if found is not None:
                    break
        return found

    def point(self, customer_id: int, channel: str) -> ContactPoint | None:
        return self.points.get((customer_id, POINT_KIND[channel]))


def _reminder(
    catalogue: _Catalogue,
    *,
    account,
    kind: str,
    channel: str,
    code: str,
    key: str,
    now: datetime,
    amount: Decimal | None = None,
    due_date: date | None = None,
) -> Reminder | None:
    point = catalogue.point(account.customer_id, channel)
    if point is None and channel != "letter":  # a letter goes to the customer's address
        return None
    template = catalogue.template(code, channel, account)
    if template is None:
        return None
    return Reminder(
        account=account,
        kind=kind,
        channel=channel,
        contact_point=point,
        template=template,
        idempotency_key=key,
        amount=amount,
        due_date=due_date,
        due_at=now,
        next_attempt_at=now,
    )


def reminders_generate(*, as_of: date, now: datetime) -> GenerateSummary:
    """Create the reminders due on ``as_of``; running it again creates nothing new."""
    from accounts import delinquency
    from accounts.models import OPEN_STAGES, Account
    from plans.models import Installment, InstallmentStatus, PlanStatus, PromiseStatus, PromiseToPay

    upcoming = as_of + timedelta(days=_conf("upcoming_days"))
    look_back = as_of - timedelta(days=_conf("missed_look_back_days"))
    installments = list(
        Installment.objects.filter(
            plan__status=PlanStatus.ACTIVE,
            due_date__gte=look_back,
            due_date__lte=upcoming,
        )
        .exclude(status=InstallmentStatus.PAID)
        .select_related("plan__account__customer")
    )
    promises = list(
        PromiseToPay.objects.filter(
            status=PromiseStatus.PENDING,
            due_date__gte=as_of,
            due_date__lte=as_of + timedelta(days=1),
        ).select_related("account__customer")
    )
    strategies = [
        s for s in TreatmentStrategy.objects.filter(is_active=True) if s.channel in MESSAGE_CHANNELS
    ]
    buckets = delinquency.configured_buckets()
    strategy_accounts: list[tuple[TreatmentStrategy, Any]] = []
    for strategy in strategies:
        accounts = delinquency.annotate(
            Account.objects.filter(
                stage__in=[strategy.stage] if strategy.stage else OPEN_STAGES,
                risk_tier=strategy.risk_tier,
                customer__jurisdiction=strategy.jurisdiction,
            ).select_related("customer"),
            as_of=as_of,
            buckets=buckets,
        ).filter(bucket_code=strategy.bucket_code)
        strategy_accounts.extend((strategy, a) for a in accounts)

    customer_ids = {i.plan.account.customer_id for i in installments}
    customer_ids |= {p.account.customer_id for p in promises}
    customer_ids |= {a.customer_id for _, a in strategy_accounts}
    catalogue = _Catalogue(customer_ids)
    rows: list[Reminder | None] = []

    for inst in installments:
        account = inst.plan.account
        missed = inst.due_date < as_of  # not paid (paid ones are excluded above)
        if not missed and inst.due_date == as_of:
            continue  # due today: its upcoming reminder went out days ago
        kind = Reminder.Kind.INSTALLMENT_MISSED if missed else Reminder.Kind.INSTALLMENT_DUE
        offset = "missed" if missed else f"d-{_conf('upcoming_days')}"
        owing = (inst.amount or Decimal("0")) - (inst.paid_amount or Decimal("0"))
        for channel in SCHEDULE_CHANNELS:
            rows.append(
                _reminder(
                    catalogue,
                    account=account,
                    kind=kind,
                    channel=channel,
                    code=TEMPLATE_CODE[kind],
                    key=f"inst:{inst.pk}:{inst.due_date.isoformat()}:{channel}:{offset}",
                    now=now,
                    amount=owing,
                    due_date=inst.due_date,
                )
            )
    for promise in promises:
        for channel in SCHEDULE_CHANNELS:
            rows.append(
                _reminder(
                    catalogue,
                    account=promise.account,
                    kind=Reminder.Kind.PROMISE_DUE,
                    channel=channel,
                    code=TEMPLATE_CODE[Reminder.Kind.PROMISE_DUE],
                    key=f"promise:{promise.pk}:{channel}",
                    now=now,
                    amount=promise.amount,
                    due_date=promise.due_date,
                )
            )
    for strategy, account in strategy_accounts:
        # One reminder per cadence period: periods are fixed windows of ``cadence_days`` days
        # counted from day 0, so every rerun inside a period computes the same key.
        cadence = max(1, strategy.cadence_days)
        period = date.fromordinal(as_of.toordinal() - as_of.toordinal() % cadence)
        rows.append(
            _reminder(
                catalogue,
                account=account,
                kind=Reminder.Kind.STRATEGY,
                channel=strategy.channel,
                code=strategy.template_code,
                key=f"strategy:{strategy.pk}:{account.pk}:{period.isoformat()}",
                now=now,
            )
        )
    wanted = [r for r in rows if r is not None]
    existing: set[str] = set()
    keys = [r.idempotency_key for r in wanted]
    for start in range(0, len(keys), 5000):
        existing.update(
            Reminder.objects.filter(idempotency_key__in=keys[start : start + 5000]).values_list(
                "idempotency_key", flat=True
            )
        )
    new = list({r.idempotency_key: r for r in wanted if r.idempotency_key not in existing}.values())
    # ignore_conflicts: a generation running at the same time may insert the same keys.
    Reminder.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)
    return GenerateSummary(considered=len(wanted), created=len(new))


# --- Sending ---------------------------------------------------------------------------------


@dataclass
class SendSummary:
    claimed: int = 0
    sent: int = 0
    deferred: int = 0
    blocked: int = 0
    retried: int = 0
    failed: int = 0
    cancelled: int = 0
    reclaimed: int = 0
    batches: int = 0

    def add(self, other: SendSummary) -> None:
        names = ("claimed", "sent", "deferred", "blocked", "retried", "failed", "cancelled")
        for name in (*names, "reclaimed"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.batches += other.batches


def reminders_reclaim(*, now: datetime) -> int:
    """Give claims older than the claim timeout (their worker died) back to ``pending``."""
    cutoff = now - timedelta(seconds=_conf("claim_timeout_seconds"))
    return Reminder.objects.filter(status=Reminder.Status.CLAIMED, claimed_at__lt=cutoff).update(
        status=Reminder.Status.PENDING, claimed_by="", claimed_at=None
    )


def reminders_claim(*, now: datetime, worker_id: str, batch_size: int) -> list[int]:
    """Claim up to ``batch_size`` due reminders for ``worker_id``; return their ids."""
    table = Reminder._meta.db_table
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                UPDATE {table} SET status = %s, claimed_by = %s, claimed_at = %s
                WHERE id IN (
                    SELECT id FROM {table}
                    WHERE status IN (%s, %s) AND next_attempt_at <= %s
                    ORDER BY next_attempt_at, id
                    LIMIT %s
                    FOR UPDATE SKIP LOCKED
                )
                RETURNING id
                """,  # noqa: S608 - the table name is ours, values are parameters
                [Reminder.Status.CLAIMED, worker_id, now, *OPEN, now, batch_size],
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
class _Row:
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


def _values(row: _Row) -> dict[str, str]:
    """The template's placeholder values: ``account_values`` of the account, with the amount
    and due date of the installment or promise the reminder is about."""
    due = row.delinquent_since
    values = {
        "name": row.name,
        "amount": f"{row.past_due_amount:.2f}",
        "currency": row.currency,
        "due_date": "" if due is None else due.isoformat(),
        "account_last4": row.number[-4:],
    }
    if row.amount is not None:
        values["amount"] = f"{row.amount:.2f}"
    if row.due_date is not None:
        values["due_date"] = row.due_date.isoformat()
    return values


def _render(template: MessageTemplate, row: _Row) -> tuple[str, str]:
    body = template_render(template, _values(row))
    if template.channel == "email" and template.subject:
        subject, _, text = body.partition("\n")
        return subject, text
    return "", body


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=_conf("retry_base_seconds") * 2 ** max(0, attempts - 1))


def _settled_since(rows: list[_Row]) -> dict[int, str]:
    """Reminders about an installment paid (or a plan no longer active) or a promise resolved
    since they were generated: reminder id → reason. Two queries at most; the installment or
    promise is named in the idempotency key (``inst:<id>:…``, ``promise:<id>:…``)."""
    from plans.models import Installment, InstallmentStatus, PlanStatus, PromiseStatus, PromiseToPay

    installments: dict[int, list[int]] = {}
    promises: dict[int, list[int]] = {}
    for r in rows:
        prefix, _, rest = r.key.partition(":")
        ref = rest.split(":", 1)[0]
        if not ref.isdigit():
            continue
        if prefix == "inst" and r.kind in (
            Reminder.Kind.INSTALLMENT_DUE,
            Reminder.Kind.INSTALLMENT_MISSED,
        ):
            installments.setdefault(int(ref), []).append(r.pk)
        elif prefix == "promise" and r.kind == Reminder.Kind.PROMISE_DUE:
            promises.setdefault(int(ref), []).append(r.pk)
    reasons: dict[int, str] = {}
    if installments:
        for pk, status, plan_status in Installment.objects.filter(
            pk__in=list(installments)
        ).values_list("pk", "status", "plan__status"):
            if status == InstallmentStatus.PAID:
                reason = "installment paid"
            elif plan_status != PlanStatus.ACTIVE:
                reason = f"plan {plan_status}"
            else:
                continue
            reasons.update(dict.fromkeys(installments[pk], reason))
    if promises:
        for pk, status in PromiseToPay.objects.filter(pk__in=list(promises)).values_list(
            "pk", "status"
        ):
            if status != PromiseStatus.PENDING:
                reasons.update(dict.fromkeys(promises[pk], f"promise {status}"))
    return reasons


def _send_all(backend: Any, messages: list[OutboundMessage]) -> list[str | ChannelError]:
    """Hand ``messages`` to ``backend``; per message its reference or the ``ChannelError``."""
    send_many = getattr(backend, "send_many", None)
    if send_many is not None:
        return send_many(messages)
    results: list[str | ChannelError] = []
    for message in messages:
        try:
            results.append(backend.send(message))
        except ChannelError as exc:
            results.append(exc)
    return results


def reminders_send_batch(
    *,
    now: datetime,
    worker_id: str,
    batch_size: int,
    backends: dict[str, BaseBackend] | None = None,
) -> SendSummary:
    """Claim one batch and carry every reminder in it to sent, deferred, blocked, cancelled,
    pending (retry) or failed."""
    from accounts.models import OPEN_STAGES

    summary = SendSummary()
    ids = reminders_claim(now=now, worker_id=worker_id, batch_size=batch_size)
    if not ids:
        return summary
    summary.claimed = len(ids)
    summary.batches = 1
    backends = backends if backends is not None else {}
    rows = [
        _Row(*values)
        for values in Reminder.objects.filter(AnyOf(F("id"), ids))
        .order_by("id")
        .values_list(*ROW_FIELDS)
    ]
    templates = MessageTemplate.objects.in_bulk({r.template_id for r in rows if r.template_id})
    settled = _settled_since(rows)
    changes: dict[int, dict[str, Any]] = {}
    checkable: list[tuple[_Row, MessageTemplate, str, str]] = []
    for r in rows:
        template = templates.get(r.template_id) if r.template_id else None
        if template is None or not template.is_active or template.channel != r.channel:
            changes[r.pk] = {"status": Reminder.Status.BLOCKED, "last_error": "template unusable"}
            continue
        if r.stage not in OPEN_STAGES:  # settled, written off or closed since
            changes[r.pk] = {"status": Reminder.Status.BLOCKED, "last_error": "account closed"}
            continue
        if r.pk in settled:  # paid or resolved since it was generated
            changes[r.pk] = {"status": Reminder.Status.CANCELLED, "last_error": settled[r.pk]}
            continue
        subject, body = _render(template, r)
        checkable.append((r, template, subject, body))

    requests = [
        CheckRequest(
            account=r.account_id,
            channel=r.channel,
            at=now,
            contact_point=r.contact_point_id,
            message=body,
            language=template.language,
        )
        for r, template, _, body in checkable
    ]
    try:
        decisions = contact_check_bulk(requests, purpose=Purpose.REMINDER)
    except ValidationError:
        # One bad row (say, a contact point of the wrong kind) must not hold the batch
        # hostage: check one by one and block the ones compliance refuses to judge.
        decisions = []
        for (r, _, _, _), request in zip(checkable, requests, strict=True):
            try:
                decisions.extend(contact_check_bulk([request], purpose=Purpose.REMINDER))
            except ValidationError as exc:
                changes[r.pk] = {"status": Reminder.Status.BLOCKED, "last_error": str(exc)}
                decisions.append(None)
    outgoing: dict[str, list[tuple[_Row, str, str, int | None]]] = {}
    for (r, _, subject, body), decision in zip(checkable, decisions, strict=True):
        if decision is None:
            continue
        if not decision.allowed:
            if decision.next_allowed_at is not None:
                changes[r.pk] = {
                    "status": Reminder.Status.DEFERRED,
                    "next_attempt_at": decision.next_allowed_at,
                    "decision_id": decision.id,
                    "last_error": ", ".join(decision.rule_codes),
                }
            else:
                changes[r.pk] = {
                    "status": Reminder.Status.BLOCKED,
                    "decision_id": decision.id,
                    "last_error": ", ".join(decision.rule_codes),
                }
            continue
        outgoing.setdefault(r.channel, []).append((r, subject, body, decision.id))

    sent: list[tuple[_Row, str, int | None]] = []
    for channel, items in outgoing.items():
        messages = [
            OutboundMessage(
                idempotency_key=r.key,
                channel=r.channel,
                # A letter without a contact point goes to the customer's address.
                to=r.point_value if r.contact_point_id is not None else r.address_line,
                body=body,
                subject=subject,
                account_id=r.account_id,
                customer_name=r.name,
            )
            for r, subject, body, _ in items
        ]
        try:
            backend = backends.get(channel)
            if backend is None:
                backend = backends[channel] = backend_for(channel)
            results = _send_all(backend, messages)
        except ChannelError as exc:
            results = [exc] * len(messages)
        for (r, subject, body, decision_id), result in zip(items, results, strict=True):
            if isinstance(result, ChannelError):
                attempts = r.attempts + 1
                if attempts >= _conf("max_attempts"):
                    changes[r.pk] = {"status": Reminder.Status.FAILED, "attempts": attempts}
                else:
                    changes[r.pk] = {
                        "status": Reminder.Status.PENDING,
                        "attempts": attempts,
                        "next_attempt_at": now + _backoff(attempts),
                    }
                changes[r.pk].update(decision_id=decision_id, last_error=str(result)[:1000])
                continue
            sent.append((r, body if not subject else f"{subject}\n{body}", decision_id))

    _finalise(
        now=now,
        worker_id=worker_id,
        rows={r.pk: r for r in rows},
        changes=changes,
        sent=sent,
        summary=summary,
    )
    return summary


@dataclass(slots=True)
class _Outcome:
    """A reminder's new state, written by ``_write_outcomes``."""

    pk: int
    status: str
    sent_at: datetime | None
    contact_id: int | None
    decision_id: int | None
    attempts: int
    last_error: str
    next_attempt_at: datetime | None


@transaction.atomic
def _finalise(
    *,
    now: datetime,
    worker_id: str,
    rows: dict[int, _Row],
    changes: dict[int, dict[str, Any]],
    sent: list[tuple[_Row, str, int | None]],
    summary: SendSummary,
) -> None:
    """Write the outcome of a batch for the rows this worker still holds.

    The rows are locked first: a reclaim that took them over (this run outlived the claim
    timeout) has already changed ``claimed_by``, so they are skipped here and the run that
    holds them now writes their log entry. That is what keeps the log to one entry per key.
    """
    ids = [*changes, *(r.pk for r, _, _ in sent)]
    mine = set(
        Reminder.objects.select_for_update()
        .filter(AnyOf(F("id"), ids), status=Reminder.Status.CLAIMED, claimed_by=worker_id)
        .values_list("id", flat=True)
    )
    held = [(r, text, decision_id) for r, text, decision_id in sent if r.pk in mine]
    # The gate was passed above (contact_check_bulk, purpose "reminder"); the entry records
    # the decision it passed. Append-only evidence: stored in bulk, not audit-logged.
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
            for r, text, decision_id in held
        ],
    )
    updates: list[_Outcome] = []
    for (r, _, decision_id), entry_id in zip(held, entry_ids, strict=True):
        updates.append(
            _Outcome(
                r.pk, Reminder.Status.SENT, now, entry_id, decision_id, r.attempts + 1, "", None
            )
        )
        summary.sent += 1
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
        status = change["status"]
        if status == Reminder.Status.PENDING:
            summary.retried += 1
        else:
            setattr(summary, status, getattr(summary, status) + 1)
    _write_outcomes(updates)


def _write_outcomes(updates: list[_Outcome]) -> None:
    """Each row's new state, claim released, in one statement (PostgreSQL: ``UPDATE … FROM
    unnest(arrays)``; ``bulk_update``'s CASE per column and row costs more than the rest of
    the batch)."""
    if not updates:
        return
    if connection.vendor != "postgresql":
        for u in updates:
            Reminder.objects.filter(pk=u.pk).update(
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
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {table} AS r
            SET status = v.status, sent_at = v.sent_at, contact_id = v.contact_id,
                decision_id = v.decision_id, attempts = v.attempts, last_error = v.last_error,
                next_attempt_at = v.next_attempt_at, claimed_by = '', claimed_at = NULL
            FROM unnest(
                %s::bigint[], %s::varchar[], %s::timestamptz[], %s::bigint[], %s::bigint[],
                %s::int[], %s::text[], %s::timestamptz[]
            ) AS v(id, status, sent_at, contact_id, decision_id, attempts, last_error,
                   next_attempt_at)
            WHERE r.id = v.id
            """,  # noqa: S608 - the table name is ours, values are parameters
            [
                [u.pk for u in updates],
                [u.status for u in updates],
                [u.sent_at for u in updates],
                [u.contact_id for u in updates],
                [u.decision_id for u in updates],
                [u.attempts for u in updates],
                [u.last_error for u in updates],
                [u.next_attempt_at for u in updates],
            ],
        )


def reminders_send_due(
    *,
    now: datetime | None,
    worker_id: str | None = None,
    batch_size: int | None = None,
    time_budget: float | None = None,
    backends: dict[str, BaseBackend] | None = None,
) -> SendSummary:
    """Send every reminder due at ``now`` in batches, until none is left or ``time_budget``
    seconds have passed (the rest waits for the next run). With ``now=None`` each batch is
    checked at the current time, so a long run never judges the contact window by a stale
    clock."""
    from django.utils import timezone

    worker_id = worker_id or worker_name()
    batch_size = batch_size or _conf("batch_size")
    backends = backends if backends is not None else {}
    total = SendSummary(reclaimed=reminders_reclaim(now=now or timezone.now()))
    started = time.monotonic()
    while True:
        summary = reminders_send_batch(
            now=now or timezone.now(), worker_id=worker_id, batch_size=batch_size, backends=backends
        )
        total.add(summary)
        if summary.claimed == 0:
            break
        if time_budget is not None and time.monotonic() - started > time_budget:
            break
    return total
