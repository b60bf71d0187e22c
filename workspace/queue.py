"""The specialist's work queue: which case to work next, and why it is there.

``Account.queue_priority`` is refreshed by the nightly run (``workspace.nightly``). What has
happened since — a callback booked this morning, a promise falling due today, a promise broken
last night — is read live. Order: live urgency (the same points the nightly run gives those
signals), in the urgent head then the propensity to pay (``workspace.propensity``; none last),
then the nightly priority, then days past due (the oldest ``delinquent_since`` first), then the id.

A page costs what it shows, not the scope (``WorkQueue``): the urgent head is found from the
reasons' own small tables (``urgency.urgent_account_ids``) and ordered; the rest of the queue is
read in index order (``account_*_queue_idx``: scope, priority, delinquent since, id) skipping
the urgent ids; the flags, the last contact and the next callback are computed only for the
rows of the page. Five queries whatever the number of cases.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext_lazy as _

from accounts.models import COLLECTION_STAGES, QUEUE_STAGES, Account, Role, Stage, User
from compliance.models import Purpose
from compliance.services import CheckRequest, contact_check_bulk
from contacts import arms
from contacts.models import (
    CallbackTask,
    ContactLog,
    StrategyVersionStatus,
    TreatmentStrategy,
    propensity_covers,
)
from workspace import urgency


class Reason:
    """The queue's reasons: ``workspace.urgency``'s flags, in its order, with their labels."""

    CALLBACK_DUE = "callback_due"
    LEGAL_DATE = "legal_date"
    CUSTOMER_REPLIED = "customer_replied"
    PROMISE_DUE = "promise_due"
    INSTALLMENT_MISSED = "installment_missed"
    PROMISE_BROKEN = "promise_broken"
    SETTLEMENT_EXPIRING = "settlement_expiring"
    HARDSHIP_REVIEW = "hardship_review"

    LABELS = {
        CALLBACK_DUE: _("Callback due"),
        LEGAL_DATE: _("Legal date"),
        CUSTOMER_REPLIED: _("Customer replied"),
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
    """The cases a user works: a specialist's own in collections or on a plan; a supervisor's
    or admin's visible ones, and those in legal too (their legal dates come to the front).
    An account placed with an agency is in no one's queue: the agency works it."""
    accounts = Account.objects.visible_to(user)
    if user.has_role(Role.SUPERVISOR, Role.ADMIN):
        return accounts.filter(stage__in=(*QUEUE_STAGES, Stage.LEGAL))
    return accounts.filter(stage__in=QUEUE_STAGES, assigned_to=user)


def with_urgency(accounts: QuerySet[Account], *, as_of: date) -> QuerySet[Account]:
    """Add the live reasons (one flag each) and their points, ``urgency``."""
    flags = {name: Q(**{name: True}) for name in urgency.URGENCY_POINTS}
    return accounts.annotate(**urgency.urgency_flags(as_of)).annotate(
        urgency=urgency.urgency_points(flags)
    )


def queue_annotate(accounts: QuerySet[Account], *, as_of: date) -> QuerySet[Account]:
    """Add the live reasons, last contact, next callback and the ordering key."""
    callbacks = CallbackTask.objects.filter(
        account=OuterRef("pk"), status=CallbackTask.Status.OPEN
    ).order_by("due_at")
    last_contact = ContactLog.objects.filter(account=OuterRef("pk")).order_by("-occurred_at")
    return with_urgency(
        accounts.with_delinquency(as_of).annotate(
            next_callback_at=Subquery(callbacks.values("due_at")[:1]),
            last_contact_at=Subquery(last_contact.values("occurred_at")[:1]),
        ),
        as_of=as_of,
    )


def queue_filter(accounts: QuerySet[Account], filters: QueueFilters) -> QuerySet[Account]:
    """The filters that narrow the scope (the reason filter narrows the urgent head only)."""
    if filters.bucket:
        accounts = accounts.filter(bucket_code=filters.bucket)
    if filters.risk_tier:
        accounts = accounts.filter(risk_tier=filters.risk_tier)
    if filters.specialist:
        accounts = accounts.filter(assigned_to_id=filters.specialist)
    if filters.q:
        accounts = accounts.search(filters.q)
    return accounts


#: The order after the live urgency: served by the partial indexes on the open accounts.
REST_ORDER = (F("queue_priority").desc(), F("delinquent_since").asc(nulls_last=True), "id")


class WorkQueue:
    """The user's queue for business date ``as_of``, filtered and in work-first order, as a
    sequence ``Paginator`` slices: the urgent head (every case with a live reason, ordered by
    its points), then the rest in index order. ``counts()`` has the total and each reason's."""

    def __init__(self, user: User, *, as_of: date, filters: QueueFilters) -> None:
        self.as_of = as_of
        self.reason = filters.reason if filters.reason in Reason.codes else ""
        self.filters = filters
        self.scope = queue_filter(queue_scope(user).with_delinquency(as_of), filters)
        self._all_urgent: list[int] = []  # every urgent case in scope, whatever the reason
        self._head: list[int] | None = None  # the urgent cases shown (the reason filter's)
        self._counts: dict[str, int] | None = None

    def _urgent(self) -> None:
        """Every urgent case in scope with its flags (few: what is due today), in one query
        after the one that finds their ids."""
        ids = list(urgency.urgent_account_ids(self.as_of, self.scope))
        rows = (
            with_urgency(Account.objects.filter(pk__in=ids), as_of=self.as_of)
            .order_by(F("urgency").desc(), F("propensity").desc(nulls_last=True), *REST_ORDER)
            .values_list("pk", *Reason.codes)
        )
        counts = dict.fromkeys(Reason.codes, 0)
        self._all_urgent = []
        head = []
        for pk, *held in rows:
            self._all_urgent.append(pk)
            for code, on in zip(Reason.codes, held, strict=True):
                counts[code] += bool(on)
            if not self.reason or held[Reason.codes.index(self.reason)]:
                head.append(pk)
        self._head = head
        total = len(head) if self.reason else scope_count(self.scope)
        self._counts = {"total": total, **counts}

    def counts(self) -> dict[str, int]:
        if self._counts is None:
            self._urgent()
        assert self._counts is not None
        return self._counts

    def count(self) -> int:
        return self.counts()["total"]

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, window: slice) -> list[Account]:
        if not isinstance(window, slice):
            raise TypeError("WorkQueue is read a page (a slice) at a time")
        if self._head is None:
            self._urgent()
        assert self._head is not None
        start, stop = window.start or 0, window.stop
        ids = self._head[start:stop]
        if not self.reason and (stop is None or stop > len(self._head)):
            offset = max(start - len(self._head), 0)
            rest = (
                self.scope.exclude(pk__in=self._all_urgent)
                .order_by(*REST_ORDER)
                .values_list("pk", flat=True)
            )
            ids += list(rest[offset : None if stop is None else offset + stop - start - len(ids)])
        return self.rows(ids)

    def rows(self, ids: list[int]) -> list[Account]:
        """The page's accounts with their flags, last contact and next callback, in ``ids``'
        order: the only rows those are computed for."""
        if not ids:
            return []
        found = {
            a.pk: a
            for a in queue_annotate(
                Account.objects.filter(pk__in=ids), as_of=self.as_of
            ).select_related("customer", "assigned_to")
        }
        return [found[pk] for pk in ids if pk in found]


def scope_count(scope: QuerySet[Account]) -> int:
    """How many cases ``scope`` holds. A large scope (``SETTLE_QUEUE_COUNT_CACHE``) is counted at
    most once in its ``seconds`` and the count shared through the cache, keyed by the scope's
    query (each user's scope, filters and business date its own): its exact count is a scan of
    every entry in scope, which for a 300,000-case team is about half the page."""
    policy = settings.SETTLE_QUEUE_COUNT_CACHE
    if policy["seconds"] <= 0:
        return scope.count()
    sql, params = scope.query.sql_with_params()
    key = "queue-count:" + hashlib.sha256(repr((sql, params)).encode()).hexdigest()
    total = cache.get(key)
    if total is None:
        total = scope.count()
        if total >= policy["min_cases"]:
            cache.set(key, total, policy["seconds"])
    return total


def work_queue(user: User, *, as_of: date, filters: QueueFilters) -> WorkQueue:
    """The user's queue for business date ``as_of``, filtered and in work-first order."""
    return WorkQueue(user, as_of=as_of, filters=filters)


def queue_counts(accounts: WorkQueue) -> dict[str, int]:
    """How many cases are in the (filtered) queue, and for each reason."""
    return accounts.counts()


def row_reasons(account: Account) -> list[tuple[str, str]]:
    return [(code, label) for code, label in Reason.LABELS.items() if getattr(account, code, False)]


def recommended_actions(accounts: list[Account]) -> dict[int, str]:
    """The treatment strategy's channel per account (tier × bucket × stage, of the version of
    the account's arm), one query. As in reminder generation, strategies reach only accounts in
    a collection stage: an account on a plan is worked by its plan."""
    live_statuses = (StrategyVersionStatus.CHAMPION, StrategyVersionStatus.CHALLENGER)
    steps = list(
        TreatmentStrategy.objects.filter(
            Q(version__status__in=live_statuses) | Q(version__isnull=True), is_active=True
        ).values_list(
            "version_id",
            "version__status",
            "version__salt",
            "version__challenger_share",
            "jurisdiction",
            "risk_tier",
            "bucket_code",
            "stage",
            "propensity_from",
            "propensity_below",
            "channel",
        )
    )
    # The live versions, read with their steps (a version without an active step treats no one).
    versions = {row[1]: row for row in steps if row[1]}
    champion, challenger = versions.get("champion"), versions.get("challenger")
    live = arms.LiveVersions(
        champion[0] if champion else None,
        challenger[0] if challenger else None,
        salt=challenger[2] if challenger else 0,
        share=challenger[3] if challenger else Decimal("0"),
    )
    strategies: dict[tuple, list[tuple[int | None, int | None, str]]] = {}
    labels = dict(TreatmentStrategy.Channel.choices)
    for version, _status, _salt, _share, *key, start, below, channel in steps:
        version = version if version is not None else live.champion_id
        strategies.setdefault((version, *key), []).append(
            (start, below, labels.get(channel, channel))
        )

    def channel_for(key: tuple, propensity: int | None) -> str | None:
        for start, below, label in strategies.get(key, ()):
            if propensity_covers(start, below, propensity):
                return label
        return None

    out: dict[int, str] = {}
    for a in accounts:
        if a.stage not in COLLECTION_STAGES:
            continue
        key = (live.version_for(a.pk), a.customer.jurisdiction, a.risk_tier, a.bucket_code)
        action = channel_for((*key, a.stage), a.propensity) or channel_for((*key, ""), a.propensity)
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
    "WorkQueue",
    "Reason",
    "next_call_times",
    "queue_counts",
    "recommended_actions",
    "row_reasons",
    "work_queue",
]
