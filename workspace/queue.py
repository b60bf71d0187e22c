"""The specialist's work queue: which case to work next, and why it is there.

``Account.queue_priority`` is refreshed by the nightly run (``workspace.nightly``). What has
happened since — a callback booked this morning, a promise falling due today, a promise broken
last night — is read live here with ``Exists``/``Subquery`` annotations, so one page of the
queue costs a fixed number of queries whatever its length. Order: live urgency (the same
points the nightly run gives those signals), then the nightly priority, then days past due.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext_lazy as _

from accounts.models import COLLECTION_STAGES, Account, Role, User
from compliance.models import Purpose
from compliance.services import CheckRequest, contact_check_bulk
from contacts.models import CallbackTask, ContactLog, TreatmentStrategy
from workspace import urgency


class Reason:
    """The queue's reasons: ``workspace.urgency``'s flags, in its order, with their labels."""

    CALLBACK_DUE = "callback_due"
    PROMISE_DUE = "promise_due"
    INSTALLMENT_MISSED = "installment_missed"
    PROMISE_BROKEN = "promise_broken"
    SETTLEMENT_EXPIRING = "settlement_expiring"
    HARDSHIP_REVIEW = "hardship_review"

    LABELS = {
        CALLBACK_DUE: _("Callback due"),
        PROMISE_DUE: _("Promise due today"),
        INSTALLMENT_MISSED: _("Plan installment missed"),
        PROMISE_BROKEN: _("Broken promise"),
        SETTLEMENT_EXPIRING: _("Settlement offer expiring"),
        HARDSHIP_REVIEW: _("Hardship review due"),
    }
    choices = list(LABELS.items())
    codes = tuple(LABELS)


@dataclass(frozen=True)
class QueueFilters:
    reason: str = ""
    bucket: str = ""
    risk_tier: str = ""
    specialist: int | None = None
    q: str = ""


def queue_scope(user: User) -> QuerySet[Account]:
    """Open cases a user works: a specialist's own; a supervisor's or admin's visible ones."""
    accounts = Account.objects.visible_to(user).open()
    if user.has_role(Role.SUPERVISOR, Role.ADMIN):
        return accounts
    return accounts.filter(assigned_to=user)


def queue_annotate(accounts: QuerySet[Account], *, as_of: date) -> QuerySet[Account]:
    """Add the live reasons, last contact, next callback and the ordering key."""
    callbacks = CallbackTask.objects.filter(
        account=OuterRef("pk"), status=CallbackTask.Status.OPEN
    ).order_by("due_at")
    last_contact = ContactLog.objects.filter(account=OuterRef("pk")).order_by("-occurred_at")
    accounts = accounts.with_delinquency(as_of).annotate(
        **urgency.urgency_flags(as_of),
        next_callback_at=Subquery(callbacks.values("due_at")[:1]),
        last_contact_at=Subquery(last_contact.values("occurred_at")[:1]),
    )
    flags = {name: Q(**{name: True}) for name in urgency.URGENCY_POINTS}
    return accounts.annotate(urgency=urgency.urgency_points(flags))


def queue_filter(accounts: QuerySet[Account], filters: QueueFilters) -> QuerySet[Account]:
    if filters.reason in Reason.codes:
        accounts = accounts.filter(**{filters.reason: True})
    if filters.bucket:
        accounts = accounts.filter(bucket_code=filters.bucket)
    if filters.risk_tier:
        accounts = accounts.filter(risk_tier=filters.risk_tier)
    if filters.specialist:
        accounts = accounts.filter(assigned_to_id=filters.specialist)
    if filters.q:
        accounts = accounts.search(filters.q)
    return accounts


def work_queue(user: User, *, as_of: date, filters: QueueFilters) -> QuerySet[Account]:
    """The user's queue for business date ``as_of``, filtered and in work-first order."""
    accounts = queue_filter(queue_annotate(queue_scope(user), as_of=as_of), filters)
    return accounts.select_related("customer", "assigned_to").order_by(
        F("urgency").desc(),
        F("queue_priority").desc(),
        F("dpd").desc(),
        "id",
    )


def queue_counts(accounts: QuerySet[Account]) -> dict[str, int]:
    """How many cases are in the (filtered) queue for each reason, in one query: grouped by
    the flags (at most one group per combination that occurs), summed here."""
    counts = {"total": 0, **dict.fromkeys(Reason.codes, 0)}
    groups = accounts.order_by().values(*Reason.codes).annotate(n=Count("id"))
    for group in groups:
        counts["total"] += group["n"]
        for reason in Reason.codes:
            if group[reason]:
                counts[reason] += group["n"]
    return counts


def row_reasons(account: Account) -> list[tuple[str, str]]:
    return [(code, label) for code, label in Reason.LABELS.items() if getattr(account, code, False)]


def recommended_actions(accounts: list[Account]) -> dict[int, str]:
    """The treatment strategy's channel per account (tier × bucket × stage), one query. As in
    reminder generation, strategies reach only accounts in a collection stage: an account on a
    plan is worked by its plan."""
    strategies: dict[tuple[str, str, str, str], str] = {}
    labels = dict(TreatmentStrategy.Channel.choices)
    for row in TreatmentStrategy.objects.filter(is_active=True).values_list(
        "jurisdiction", "risk_tier", "bucket_code", "stage", "channel"
    ):
        strategies.setdefault(row[:4], labels.get(row[4], row[4]))
    out: dict[int, str] = {}
    for a in accounts:
        if a.stage not in COLLECTION_STAGES:
            continue
        key = (a.customer.jurisdiction, a.risk_tier, a.bucket_code)
        action = strategies.get((*key, a.stage)) or strategies.get((*key, ""))
        if action:
            out[a.pk] = action
    return out


def next_call_times(accounts: list[Account], *, now: datetime) -> dict[int, datetime | None]:
    """When each account may next be called: ``now`` if allowed, else the gate's next allowed
    time (None when waiting does not help). One bulk compliance check, nothing stored."""
    from django.core.exceptions import ValidationError

    if not accounts:
        return {}
    requests = [CheckRequest(account=a, channel="call", at=now) for a in accounts]
    try:
        decisions = contact_check_bulk(requests, purpose=Purpose.UI_PREVIEW, store=False)
    except ValidationError:
        return {}
    return {d.account_id: (now if d.allowed else d.next_allowed_at_local()) for d in decisions}


__all__ = [
    "QueueFilters",
    "Reason",
    "next_call_times",
    "queue_counts",
    "recommended_actions",
    "row_reasons",
    "work_queue",
]
