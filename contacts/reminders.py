"""Reminders: generated from installments, promises and treatment strategies, sent in batches.

Generation is idempotent: every reminder has a unique ``idempotency_key`` and rows are
inserted with ``ignore_conflicts``, so a rerun for the same day creates nothing new.

Sending claims a batch with one conditional ``UPDATE`` (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL), asks compliance about the whole batch at once (``contact_check_bulk``, purpose
``reminder``), transmits the allowed ones through the channel backend and then, in one
transaction that first locks the rows it still holds, writes their contact-log entries (with
the decision id) and marks them ``sent``. A worker that dies after claiming leaves rows in
``claimed``; after ``claim_timeout_seconds`` they go back to ``pending`` and another run sends
them. The backend sees such a message twice at most and drops the repeat by its idempotency
key; the contact log and the ``sent`` status are written exactly once because a run whose
claim was taken over finds no rows to finalise.

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
from django.db.models import Q

from compliance.models import Purpose
from compliance.services import CheckRequest, account_values, contact_check_bulk, template_render
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
    reclaimed: int = 0
    batches: int = 0

    def add(self, other: SendSummary) -> None:
        for name in ("claimed", "sent", "deferred", "blocked", "retried", "failed", "reclaimed"):
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


def _render(reminder: Reminder) -> tuple[str, str]:
    values = account_values(reminder.account)
    if reminder.amount is not None:
        values["amount"] = f"{reminder.amount:.2f}"
    if reminder.due_date is not None:
        values["due_date"] = reminder.due_date.isoformat()
    template = reminder.template
    body = template_render(template, values)
    if template.channel == "email" and template.subject:
        subject, _, text = body.partition("\n")
        return subject, text
    return "", body


def _address(reminder: Reminder) -> str:
    if reminder.contact_point is not None:
        return reminder.contact_point.value
    customer = reminder.account.customer
    return customer.address_line


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=_conf("retry_base_seconds") * 2 ** max(0, attempts - 1))


def reminders_send_batch(
    *,
    now: datetime,
    worker_id: str,
    batch_size: int,
    backends: dict[str, BaseBackend] | None = None,
) -> SendSummary:
    """Claim one batch and carry every reminder in it to sent, deferred, blocked, pending
    (retry) or failed."""
    summary = SendSummary()
    ids = reminders_claim(now=now, worker_id=worker_id, batch_size=batch_size)
    if not ids:
        return summary
    summary.claimed = len(ids)
    summary.batches = 1
    backends = backends if backends is not None else {}
    reminders = list(
        Reminder.objects.filter(id__in=ids)
        .select_related("account__customer", "contact_point", "template")
        .order_by("id")
    )
    changes: dict[int, dict[str, Any]] = {}
    checkable: list[tuple[Reminder, str, str]] = []
    from accounts.models import OPEN_STAGES

    for r in reminders:
        template = r.template
        if template is None or not template.is_active or template.channel != r.channel:
            changes[r.pk] = {"status": Reminder.Status.BLOCKED, "last_error": "template unusable"}
            continue
        if r.account.stage not in OPEN_STAGES:  # settled, written off or closed since
            changes[r.pk] = {"status": Reminder.Status.BLOCKED, "last_error": "account closed"}
            continue
        subject, body = _render(r)
        checkable.append((r, subject, body))

    requests = [
        CheckRequest(
            account=r.account,
            channel=r.channel,
            at=now,
            contact_point=r.contact_point,
            message=body,
            language=r.template.language,
        )
        for r, _, body in checkable
    ]
    try:
        decisions = contact_check_bulk(requests, purpose=Purpose.REMINDER)
    except ValidationError:
        # One bad row (say, a contact point of the wrong kind) must not hold the batch
        # hostage: check one by one and block the ones compliance refuses to judge.
        decisions = []
        for (r, _, _), request in zip(checkable, requests, strict=True):
            try:
                decisions.extend(contact_check_bulk([request], purpose=Purpose.REMINDER))
            except ValidationError as exc:
                changes[r.pk] = {"status": Reminder.Status.BLOCKED, "last_error": str(exc)}
                decisions.append(None)
    sent: list[tuple[Reminder, str, int | None]] = []
    for (r, subject, body), decision in zip(checkable, decisions, strict=True):
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
        message = OutboundMessage(
            idempotency_key=r.idempotency_key,
            channel=r.channel,
            to=_address(r),
            body=body,
            subject=subject,
            account_id=r.account_id,
            customer_name=r.account.customer.name,
        )
        try:
            backend = backends.get(r.channel)
            if backend is None:
                backend = backends[r.channel] = backend_for(r.channel)
            backend.send(message)
        except ChannelError as exc:
            attempts = r.attempts + 1
            if attempts >= _conf("max_attempts"):
                changes[r.pk] = {"status": Reminder.Status.FAILED, "attempts": attempts}
            else:
                changes[r.pk] = {
                    "status": Reminder.Status.PENDING,
                    "attempts": attempts,
                    "next_attempt_at": now + _backoff(attempts),
                }
            changes[r.pk].update(decision_id=decision.id, last_error=str(exc)[:1000])
            continue
        sent.append((r, body if not subject else f"{subject}\n{body}", decision.id))

    _finalise(
        now=now,
        worker_id=worker_id,
        loaded={r.pk: r for r in reminders},
        changes=changes,
        sent=sent,
        summary=summary,
    )
    return summary


@transaction.atomic
def _finalise(
    *,
    now: datetime,
    worker_id: str,
    loaded: dict[int, Reminder],
    changes: dict[int, dict[str, Any]],
    sent: list[tuple[Reminder, str, int | None]],
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
        .filter(id__in=ids, status=Reminder.Status.CLAIMED, claimed_by=worker_id)
        .values_list("id", flat=True)
    )
    held = [(r, text, decision_id) for r, text, decision_id in sent if r.pk in mine]
    # The gate was passed above (contact_check_bulk, purpose "reminder"); the entry records
    # the decision it passed.
    entries = ContactLog.objects.bulk_create(
        [
            ContactLog(
                account_id=r.account_id,
                customer_id=r.account.customer_id,
                contact_point_id=r.contact_point_id,
                channel=r.channel,
                direction=ContactLog.Direction.OUTBOUND,
                occurred_at=now,
                outcome=ContactLog.Outcome.DELIVERED,
                message=text,
                user=None,
                source=ContactLog.Source.SYSTEM,
                decision_id=decision_id,
                notes=f"Reminder {r.idempotency_key}",
            )
            for r, text, decision_id in held
        ],
        batch_size=1000,
    )
    updates: list[Reminder] = []
    for (r, _, decision_id), entry in zip(held, entries, strict=True):
        r.status = Reminder.Status.SENT
        r.sent_at = now
        r.contact_id = entry.pk
        r.decision_id = decision_id
        r.attempts += 1
        r.last_error = ""
        updates.append(r)
        summary.sent += 1
    for pk, change in changes.items():
        if pk not in mine:
            continue
        r = loaded[pk]
        for name, value in change.items():
            setattr(r, name, value)
        updates.append(r)
        status = change["status"]
        if status == Reminder.Status.PENDING:
            summary.retried += 1
        else:
            setattr(summary, status, getattr(summary, status) + 1)
    for r in updates:
        r.claimed_by = ""
        r.claimed_at = None
    _write_outcomes(updates)


UPDATE_FIELDS = (
    "status",
    "sent_at",
    "contact",
    "decision",
    "attempts",
    "last_error",
    "next_attempt_at",
    "claimed_by",
    "claimed_at",
)


def _write_outcomes(updates: list[Reminder]) -> None:
    """Each row's new state in one statement (PostgreSQL: ``UPDATE … FROM unnest(arrays)``;
    ``bulk_update``'s CASE per column and row costs more than the rest of the batch)."""
    if not updates:
        return
    if connection.vendor != "postgresql":
        Reminder.objects.bulk_update(updates, UPDATE_FIELDS, batch_size=500)
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
                [r.pk for r in updates],
                [r.status for r in updates],
                [r.sent_at for r in updates],
                [r.contact_id for r in updates],
                [r.decision_id for r in updates],
                [r.attempts for r in updates],
                [r.last_error for r in updates],
                [r.next_attempt_at for r in updates],
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


def reminders_due_count(*, now: datetime) -> int:
    return Reminder.objects.filter(Q(status__in=OPEN) & Q(next_attempt_at__lte=now)).count()
