"""Sending reminders: a claimed batch carried to sent, deferred, blocked, cancelled, retried
or failed.

For each batch: cancel the reminders whose installment was paid (or plan ended) or whose
promise was resolved since they were generated, ask compliance about the rest at once
(``contact_check_bulk``, purpose ``reminder``: one stored decision each), transmit the allowed
ones through the channel backend (``send_many``: one outbox write per batch for the file
backend), then write the outcome (``outreach.reminders.evidence``).

The backend may see a message twice at most (a run that died after sending) and drops the
repeat by its idempotency key; the contact log and the ``sent`` status are written exactly once
because a run whose claim was taken over finds no rows to finalise.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import COLLECTION_STAGES, OPEN_STAGES, Account, Stage
from compliance.models import Purpose
from compliance.rules import letter_kind_for
from compliance.services import CheckRequest, contact_check_bulk
from contacts.models import MessageTemplate, Reminder
from outreach.backends import BaseBackend, ChannelError, OutboundMessage, backend_for
from outreach.letters.values import letter_fill, letter_values
from outreach.reminders.claiming import (
    ReminderRow,
    reminders_claim_rows,
    reminders_reclaim,
    worker_name,
)
from outreach.reminders.conf import setting
from outreach.reminders.evidence import batch_finalise
from outreach.reminders.rendering import message_render
from plans.models import Installment, InstallmentStatus, PlanStatus, PromiseStatus, PromiseToPay


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


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=setting("retry_base_seconds") * 2 ** max(0, attempts - 1))


def _settled_since(rows: list[ReminderRow]) -> dict[int, str]:
    """Reminders about an installment paid (or a plan no longer active) or a promise resolved
    since they were generated: reminder id → reason. Two queries at most; the installment or
    promise is named in the idempotency key (``inst:<id>:…``, ``promise:<id>:…``)."""
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


def _letters_fill(checkable: list[tuple[ReminderRow, MessageTemplate, str, str]], *, today) -> None:
    """Fill the letters' own placeholders (sender, itemization, validation period) in place,
    so the gate judges the text that is printed. One query for the batch's letter accounts."""
    ids = {r.account_id for r, _, _, body in checkable if r.channel == "letter" and "{" in body}
    if not ids:
        return
    accounts = Account.objects.select_related("customer").in_bulk(ids)
    for i, (r, template, subject, body) in enumerate(checkable):
        if r.channel == "letter" and r.account_id in accounts:
            values = letter_values(accounts[r.account_id], today=today)
            checkable[i] = (r, template, subject, letter_fill(body, values))


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
    summary = SendSummary()
    rows = reminders_claim_rows(now=now, worker_id=worker_id, batch_size=batch_size)
    if not rows:
        return summary
    summary.claimed = len(rows)
    summary.batches = 1
    backends = backends if backends is not None else {}
    templates = MessageTemplate.objects.in_bulk({r.template_id for r in rows if r.template_id})
    settled = _settled_since(rows)
    changes: dict[int, dict[str, Any]] = {}
    checkable: list[tuple[ReminderRow, MessageTemplate, str, str]] = []
    for r in rows:
        template = templates.get(r.template_id) if r.template_id else None
        if template is None or not template.is_active or template.channel != r.channel:
            changes[r.pk] = {"status": Reminder.Status.BLOCKED, "last_error": "template unusable"}
            continue
        if r.stage not in OPEN_STAGES:  # paid, settled, written off or closed since
            changes[r.pk] = {"status": Reminder.Status.BLOCKED, "last_error": "account closed"}
            continue
        if r.stage in (Stage.PLACED, Stage.LEGAL):  # the agency or the legal case works it now
            cancelled = {"status": Reminder.Status.CANCELLED, "last_error": f"account {r.stage}"}
            changes[r.pk] = cancelled
            continue
        if r.kind == Reminder.Kind.STRATEGY and r.stage not in COLLECTION_STAGES:
            # On a plan since it was generated (the plan's own reminders take over), or gone to
            # legal or to an agency (they work it now).
            cancelled = {"status": Reminder.Status.CANCELLED, "last_error": f"account {r.stage}"}
            changes[r.pk] = cancelled
            continue
        if r.pk in settled:  # paid or resolved since it was generated
            changes[r.pk] = {"status": Reminder.Status.CANCELLED, "last_error": settled[r.pk]}
            continue
        subject, body = message_render(template, r, today=now.date())
        checkable.append((r, template, subject, body))
    _letters_fill(checkable, today=now.date())

    requests = [
        CheckRequest(
            account=r.account_id,
            channel=r.channel,
            at=now,
            contact_point=r.contact_point_id,
            message=body,
            language=template.language,
            letter_kind=letter_kind_for(template.code) if r.channel == "letter" else "",
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
    outgoing: dict[str, list[tuple[ReminderRow, str, str, int | None]]] = {}
    templates_of = {r.pk: template for r, template, _, _ in checkable}
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

    sent: list[tuple[ReminderRow, str, int | None, str]] = []
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
                letter_kind=(
                    letter_kind_for(templates_of[r.pk].code) if r.channel == "letter" else ""
                ),
                language=templates_of[r.pk].language,
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
                if attempts >= setting("max_attempts"):
                    changes[r.pk] = {"status": Reminder.Status.FAILED, "attempts": attempts}
                else:
                    changes[r.pk] = {
                        "status": Reminder.Status.PENDING,
                        "attempts": attempts,
                        "next_attempt_at": now + _backoff(attempts),
                    }
                changes[r.pk].update(decision_id=decision_id, last_error=str(result)[:1000])
                continue
            text = body if not subject else f"{subject}\n{body}"
            sent.append((r, text, decision_id, str(result)))

    written = batch_finalise(
        now=now, worker_id=worker_id, rows={r.pk: r for r in rows}, changes=changes, sent=sent
    )
    summary.sent = sum(1 for r, _, _, _ in sent if r.pk in written)
    for pk, change in changes.items():
        if pk not in written:  # taken over by another run, which reports it
            continue
        status = change["status"]
        if status == Reminder.Status.PENDING:
            summary.retried += 1
        else:
            setattr(summary, status, getattr(summary, status) + 1)
    return summary


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
    worker_id = worker_id or worker_name()
    batch_size = batch_size or setting("batch_size")
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
