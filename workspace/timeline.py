"""The case timeline: everything that happened on an account, newest first, in few queries.

One query per source (contacts, printed letters, payments, promises, plan events, bucket
moves, re-ages, restrictions, dispute and complaint events together, callback events,
settlement offers, hardship arrangements, and the audited changes of the customer's declared
budget, contact points and evidence files with the contact points they name) — fourteen in
all, whatever the number of events (fewer when the caller knows the account has none of a
kind: ``absent``), and one more for an account the feed created (its import batch).
Settlement offers and hardship arrangements carry the moment of each step on their own rows,
so each step is read from there.

A letter shows its kind, pages and hash, with where to fetch its PDF.

A contact shows its reason for delinquency, the text of an SMS, email or letter (sent, or for a
customer's reply received) and, when it has an evidence file, where to play it: the
team-checked attachment endpoint, which records every access.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from auditlog.models import LogEntry
from django.db.models import F, Q, QuerySet
from django.db.models.functions import Coalesce, Greatest
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import Account, BucketHistory, ContactPoint, ImportBatch, ReAge
from compliance.models import CommunicationRestriction, RestrictionKind
from compliance.rules import LETTER_KINDS
from contacts.models import CallbackEvent, CaseEvent, CaseStatus, ContactLog, Letter
from core.bounds import id_or_none
from core.business_calendar import start_of_business_day
from plans.models import (
    HardshipArrangement,
    HardshipKind,
    HardshipOutcome,
    Payment,
    PlanEvent,
    PlanStatus,
    PromiseStatus,
    PromiseToPay,
    Settlement,
    SettlementStatus,
)
from portal.models import PortalEvent

#: Channels whose entries carry the text that was sent.
MESSAGE_CHANNELS = {ContactLog.Channel.SMS, ContactLog.Channel.EMAIL, ContactLog.Channel.LETTER}


@dataclass(frozen=True)
class TimelineEvent:
    at: datetime
    # contact, payment, promise, plan, bucket, re_age, restriction, dispute, complaint,
    # callback, settlement, hardship, portal (the customer online), customer (declared
    # budget, contact points, evidence files), letter (a printed letter and its PDF), import
    # (the account feed's batch and line that created the account)
    kind: str
    title: str
    detail: str = ""
    by: str = ""
    ref: int | None = None
    reason: str = ""  # a contact's reason for delinquency, in the reader's language
    message: str = ""  # the text of a message (SMS, email, letter) sent or received
    recording: str = ""  # where to play or fetch a contact's evidence file


def _newest(rows: QuerySet, limit: int | None, *moments: str) -> QuerySet:
    """At most ``limit`` rows, those with the latest event: a row's events happen at
    ``moments`` (the first always set, the others when they happened). Every one of a source's
    ``limit`` newest events is on one of the ``limit`` rows whose latest moment is newest, so
    a page of the timeline reads a page's worth of rows per source, not the history."""
    if limit is None:
        return rows
    first, *later = moments
    latest = F(first) if not later else Greatest(first, *(Coalesce(m, first) for m in later))
    return rows.annotate(_latest=latest).order_by(F("_latest").desc(), "-pk")[:limit]


def _contacts(account: Account, limit: int | None = None) -> list[TimelineEvent]:
    rows = _newest(ContactLog.objects.filter(account=account), limit, "occurred_at").values_list(
        "id",
        "occurred_at",
        "channel",
        "direction",
        "outcome",
        "disposition",
        "reason",
        "notes",
        "message",
        "attachment",
        "user__username",
        "redacted_at",
    )
    channels = dict(ContactLog.Channel.choices)
    outcomes = dict(ContactLog.Outcome.choices)
    dispositions = dict(ContactLog.Disposition.choices)
    reasons = dict(ContactLog.Reason.choices)
    return [
        TimelineEvent(
            at=at,
            kind="contact",
            title=(
                _("%(channel)s from the customer") % {"channel": channels.get(channel, channel)}
                if direction == ContactLog.Direction.INBOUND and channel in MESSAGE_CHANNELS
                else f"{channels.get(channel, channel)} · {outcomes.get(outcome, outcome)}"
            )
            + (f" · {dispositions[disposition]}" if disposition else ""),
            detail=notes or _redacted(redacted_at),
            by=user or _("system"),
            ref=pk,
            reason=str(reasons.get(reason, reason)) if reason else "",
            message=message if channel in MESSAGE_CHANNELS else "",
            recording=_attachment_url(account.pk, pk) if attachment else "",
        )
        for (
            pk,
            at,
            channel,
            direction,
            outcome,
            disposition,
            reason,
            notes,
            message,
            attachment,
            user,
            redacted_at,
        ) in rows
    ]


def _redacted(redacted_at) -> str:
    if redacted_at is None:
        return ""
    return _("Text removed under the retention policy on %(date)s.") % {
        "date": f"{redacted_at:%Y-%m-%d}"
    }


def _attachment_url(account_id: int, contact_id: int) -> str:
    return reverse(
        "account-contact-attachment", kwargs={"account_id": account_id, "pk": contact_id}
    )


def _payments(account: Account, limit: int | None = None) -> list[TimelineEvent]:
    rows = _newest(Payment.objects.filter(account=account), limit, "received_at").values_list(
        "id", "received_at", "amount", "reference", "source"
    )
    return [
        TimelineEvent(
            at=at,
            kind="payment",
            title=_("Payment %(amount)s %(currency)s")
            % {"amount": amount, "currency": account.currency},
            detail=f"{reference} ({source})",
            ref=pk,
        )
        for pk, at, amount, reference, source in rows
    ]


def _promises(account: Account, limit: int | None = None) -> list[TimelineEvent]:
    statuses = dict(PromiseStatus.choices)
    events = []
    rows = _newest(
        PromiseToPay.objects.filter(account=account), limit, "created_at", "resolved_at"
    ).values_list(
        "id", "created_at", "amount", "due_date", "status", "resolved_at", "created_by__username"
    )
    for pk, created, amount, due, status, resolved, user in rows:
        events.append(
            TimelineEvent(
                at=created,
                kind="promise",
                title=_("Promise to pay %(amount)s by %(date)s") % {"amount": amount, "date": due},
                by=user or "",
                ref=pk,
            )
        )
        if resolved is not None:
            events.append(
                TimelineEvent(
                    at=resolved,
                    kind="promise",
                    title=_("Promise %(status)s")
                    % {"status": statuses.get(status, status).lower()},
                    ref=pk,
                )
            )
    return events


def _plan_events(account: Account, limit: int | None = None) -> list[TimelineEvent]:
    statuses = dict(PlanStatus.choices)
    rows = _newest(PlanEvent.objects.filter(plan__account=account), limit, "at").values_list(
        "plan_id", "at", "from_status", "to_status", "by__username", "note"
    )
    return [
        TimelineEvent(
            at=at,
            kind="plan",
            title=_("Plan %(id)s: %(to)s") % {"id": plan_id, "to": statuses.get(to, to)},
            detail=note or "",
            by=user or "",
            ref=plan_id,
        )
        for plan_id, at, _from, to, user, note in rows
    ]


def _bucket_moves(account: Account, limit: int | None = None) -> list[TimelineEvent]:
    rows = _newest(BucketHistory.objects.filter(account=account), limit, "entered_on").values_list(
        "id", "entered_on", "bucket", "entry_balance", "entry_days_past_due"
    )
    return [
        TimelineEvent(
            at=start_of_business_day(day),
            kind="bucket",
            title=_("Entered bucket %(bucket)s") % {"bucket": bucket},
            detail=_("%(dpd)s days past due, balance %(balance)s")
            % {"dpd": dpd, "balance": balance},
            ref=pk,
        )
        for pk, day, bucket, balance, dpd in rows
    ]


def _re_ages(account: Account, limit: int | None = None) -> list[TimelineEvent]:
    """Settle's own changes of delinquency: a plan's re-age, the end of a plan, a payoff."""
    reasons = dict(ReAge.Reason.choices)
    rows = _newest(ReAge.objects.filter(account=account), limit, "at").values_list(
        "id", "at", "reason", "previous_delinquent_since", "delinquent_since", "by__username"
    )
    never = _("current")
    return [
        TimelineEvent(
            at=at,
            kind="re_age",
            title=str(reasons.get(reason, reason)),
            detail=_("Delinquent since %(before)s → %(after)s")
            % {"before": before or never, "after": after or never},
            by=user or _("system"),
            ref=pk,
        )
        for pk, at, reason, before, after, user in rows
    ]


def _restrictions(account: Account, limit: int | None = None) -> list[TimelineEvent]:
    kinds = dict(RestrictionKind.choices)
    rows = _newest(
        CommunicationRestriction.objects.filter(
            Q(account=account) | Q(account__isnull=True, customer_id=account.customer_id)
        ),
        limit,
        "created_at",
        "ended_at",
    ).values_list("id", "created_at", "kind", "ended_at", "notes", "created_by__username")
    events = []
    for pk, created, kind, ended, notes, user in rows:
        label = kinds.get(kind, kind)
        events.append(
            TimelineEvent(
                at=created,
                kind="restriction",
                title=_("Restriction: %(kind)s") % {"kind": label},
                detail=notes,
                by=user or "",
                ref=pk,
            )
        )
        if ended is not None:
            events.append(
                TimelineEvent(
                    at=ended,
                    kind="restriction",
                    title=_("Restriction lifted: %(kind)s") % {"kind": label},
                    ref=pk,
                )
            )
    return events


def _case_events(account: Account, limit: int | None = None) -> list[TimelineEvent]:
    rows = _newest(
        CaseEvent.objects.filter(Q(dispute__account=account) | Q(complaint__account=account)),
        limit,
        "at",
    ).values_list("dispute_id", "complaint_id", "at", "to_status", "by__username", "note")
    statuses = dict(CaseStatus.choices)
    events = []
    for dispute_id, complaint_id, at, to_status, user, note in rows:
        kind = "dispute" if dispute_id else "complaint"
        name = _("Dispute") if dispute_id else _("Complaint")
        events.append(
            TimelineEvent(
                at=at,
                kind=kind,
                title=f"{name} {dispute_id or complaint_id}: {statuses.get(to_status, to_status)}",
                detail=note,
                by=user or "",
                ref=dispute_id or complaint_id,
            )
        )
    return events


def _callbacks(account: Account, limit: int | None = None) -> list[TimelineEvent]:
    """Each step of the account's callbacks, with times in the customer's zone."""
    zone = ZoneInfo(account.customer.time_zone)
    rows = _newest(
        CallbackEvent.objects.filter(callback__account=account), limit, "at"
    ).values_list(
        "callback_id",
        "at",
        "action",
        "due_at",
        "previous_due_at",
        "contact_id",
        "note",
        "by__username",
    )

    def local(moment: datetime | None) -> str:
        return "" if moment is None else moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")

    events = []
    for callback_id, at, action, due_at, previous, contact_id, note, user in rows:
        if action == CallbackEvent.Action.CREATED:
            title = _("Callback booked for %(due)s (%(zone)s)") % {
                "due": local(due_at),
                "zone": zone.key,
            }
        elif action == CallbackEvent.Action.RESCHEDULED:
            title = _("Callback moved from %(before)s to %(due)s (%(zone)s)") % {
                "before": local(previous),
                "due": local(due_at),
                "zone": zone.key,
            }
        elif action == CallbackEvent.Action.DONE and contact_id:
            title = _("Callback done: answered in a logged conversation")
        elif action == CallbackEvent.Action.DONE:
            title = _("Callback done")
        else:
            title = _("Callback cancelled")
        events.append(
            TimelineEvent(
                at=at,
                kind="callback",
                title=title,
                detail=note,
                by=user or _("system"),
                ref=callback_id,
            )
        )
    return events


def _settlements(account: Account, limit: int | None = None) -> list[TimelineEvent]:
    """Each step of the account's settlement offers: proposed, offered (approved), accepted
    (the first payment towards it), settled, or ended (rejected, withdrawn, lapsed)."""
    statuses = dict(SettlementStatus.choices)
    rows = _newest(
        Settlement.objects.filter(account=account),
        limit,
        "created_at",
        "offered_at",
        "accepted_at",
        "settled_at",
        "ended_at",
    ).values_list(
        "id",
        "status",
        "amount",
        "currency",
        "discount",
        "expires_on",
        "created_at",
        "proposed_by__username",
        "approval_reason",
        "offered_at",
        "approved_by__username",
        "decision_note",
        "accepted_at",
        "settled_at",
        "written_off",
        "ended_at",
        "end_reason",
    )
    events = []
    for (
        pk,
        status,
        amount,
        currency,
        discount,
        expires_on,
        created,
        proposer,
        approval_reason,
        offered,
        approver,
        decision_note,
        accepted,
        settled,
        written_off,
        ended,
        end_reason,
    ) in rows:
        terms = {"id": pk, "amount": amount, "currency": currency, "discount": discount}
        steps = []
        steps.append(
            TimelineEvent(
                at=created,
                kind="settlement",
                title=_(
                    "Settlement %(id)s proposed: %(amount)s %(currency)s (discount %(discount)s)"
                )
                % terms,
                detail=approval_reason,
                by=proposer or "",
                ref=pk,
            )
        )
        if offered is not None:
            steps.append(
                TimelineEvent(
                    at=offered,
                    kind="settlement",
                    title=_("Settlement %(id)s offered, open until %(date)s")
                    % {"id": pk, "date": expires_on},
                    detail=decision_note,
                    by=approver or proposer or "",
                    ref=pk,
                )
            )
        if accepted is not None:
            steps.append(
                TimelineEvent(
                    at=accepted,
                    kind="settlement",
                    title=_("Settlement %(id)s accepted (first payment received)") % terms,
                    ref=pk,
                )
            )
        if settled is not None:
            steps.append(
                TimelineEvent(
                    at=settled,
                    kind="settlement",
                    title=_("Settlement %(id)s paid: %(written_off)s %(currency)s written off")
                    % {**terms, "written_off": written_off},
                    by=_("system"),
                    ref=pk,
                )
            )
        if ended is not None:
            steps.append(
                TimelineEvent(
                    at=ended,
                    kind="settlement",
                    title=_("Settlement %(id)s: %(status)s")
                    % {"id": pk, "status": statuses.get(status, status)},
                    detail=end_reason,
                    ref=pk,
                )
            )
        # Steps of one moment (proposed and offered at once; accepted and settled by one
        # payment) keep their order: the timeline sorts newest first and stably.
        events.extend(reversed(steps))
    return events


def _hardship(account: Account, limit: int | None = None) -> list[TimelineEvent]:
    """Each hardship arrangement: arranged (its terms and review date) and ended (how)."""
    kinds = dict(HardshipKind.choices)
    outcomes = dict(HardshipOutcome.choices)
    rows = _newest(
        HardshipArrangement.objects.filter(account=account), limit, "created_at", "ended_at"
    ).values_list(
        "id",
        "kind",
        "monthly_amount",
        "months",
        "review_on",
        "reason",
        "created_at",
        "created_by__username",
        "outcome",
        "ended_at",
        "ended_by__username",
        "end_note",
        "plan_id",
    )
    events = []
    for (
        pk,
        kind,
        amount,
        months,
        review_on,
        reason,
        created,
        user,
        outcome,
        ended,
        ender,
        note,
        plan_id,
    ) in rows:
        label = kinds.get(kind, kind)
        terms = _("%(kind)s for %(months)s months, review on %(date)s") % {
            "kind": label,
            "months": months,
            "date": review_on,
        }
        if amount is not None:
            terms += " · " + _("%(amount)s %(currency)s a month") % {
                "amount": amount,
                "currency": account.currency,
            }
        events.append(
            TimelineEvent(
                at=created,
                kind="hardship",
                title=_("Hardship arrangement: %(terms)s") % {"terms": terms},
                detail=reason,
                by=user or "",
                ref=pk,
            )
        )
        if ended is not None:
            title = _("Hardship arrangement ended: %(outcome)s") % {
                "outcome": outcomes.get(outcome, outcome)
            }
            if plan_id:
                title += " · " + _("plan %(id)s drafted") % {"id": plan_id}
            events.append(
                TimelineEvent(
                    at=ended, kind="hardship", title=title, detail=note, by=ender or "", ref=pk
                )
            )
    return events


def _portal_events(account: Account, limit: int | None = None) -> list[TimelineEvent]:
    """What the customer did online (the records it made have their own rows too)."""
    kinds = dict(PortalEvent.Kind.choices)
    # Signing in concerns all the customer's accounts: it is stored without one.
    mine = Q(account=account) | Q(account__isnull=True, customer_id=account.customer_id)
    rows = _newest(PortalEvent.objects.filter(mine), limit, "at").values_list(
        "id", "at", "kind", "detail"
    )
    return [
        TimelineEvent(
            at=at,
            kind="portal",
            title=str(kinds.get(kind, kind)),
            detail=detail,
            by=_("Customer, online"),
            ref=pk,
        )
        for pk, at, kind, detail in rows
    ]


def _changes(changes: dict | None, field: str) -> tuple[str, str] | None:
    pair = (changes or {}).get(field)
    if isinstance(pair, list | tuple) and len(pair) == 2:
        return str(pair[0]), str(pair[1])
    return None


def _audited_changes(account: Account, limit: int | None = None) -> list[TimelineEvent]:
    """From the audit trail: the declared income and expenses changed, contact points added,
    opted out or back in or found invalid, and evidence files added to a contact."""
    points = {
        p.pk: p
        for p in ContactPoint.objects.filter(customer_id=account.customer_id).only(
            "id", "kind", "value", "customer_id"
        )
    }
    # Content types by name (joined in the same query, no lookups of their own).
    customer_type = Q(content_type__app_label="accounts", content_type__model="customer")
    point_type = Q(content_type__app_label="accounts", content_type__model="contactpoint")
    contact_type = Q(content_type__app_label="contacts", content_type__model="contactlog")
    rows = _newest(
        LogEntry.objects.filter(
            (customer_type & Q(object_id=account.customer_id, action=LogEntry.Action.UPDATE))
            | (point_type & Q(object_id__in=list(points)))
            | (
                contact_type
                & Q(object_id__in=ContactLog.objects.filter(account=account).values("id"))
            )
        ),
        limit,
        "timestamp",
    ).values_list(
        "id",
        "timestamp",
        "content_type__model",
        "object_id",
        "action",
        "changes",
        "actor__username",
    )
    none = _("none")
    events = []
    for pk, at, model, object_id, action, changes, user in rows:
        if model == "customer":
            parts = []
            for field, label in (
                ("monthly_income", _("income")),
                ("monthly_expenses", _("expenses")),
            ):
                pair = _changes(changes, field)
                if pair is not None:
                    before, after = (v if v not in ("None", "") else none for v in pair)
                    parts.append(f"{label} {before} → {after}")
            if parts:
                events.append(
                    TimelineEvent(
                        at=at,
                        kind="customer",
                        title=_("Declared income and expenses changed"),
                        detail="; ".join(parts),
                        by=user or "",
                        ref=pk,
                    )
                )
        elif model == "contactpoint":
            point = points.get(object_id)
            name = f"{point.get_kind_display()} {point.masked_value}" if point else ""
            opted = _changes(changes, "opted_out")
            valid = _changes(changes, "is_valid")
            if action == LogEntry.Action.CREATE:
                title = _("Contact point added: %(point)s") % {"point": name}
            elif opted is not None and opted[1] == "True":
                title = _("Contact point opted out: %(point)s") % {"point": name}
            elif opted is not None:
                title = _("Contact point opted back in: %(point)s") % {"point": name}
            elif valid is not None and valid[1] == "False":
                title = _("Contact point marked invalid: %(point)s") % {"point": name}
            else:
                continue
            events.append(TimelineEvent(at=at, kind="customer", title=title, by=user or "", ref=pk))
        elif _changes(changes, "attachment") is not None:
            events.append(
                TimelineEvent(
                    at=at,
                    kind="customer",
                    title=_("Recording added to contact %(id)s") % {"id": object_id},
                    by=user or "",
                    ref=pk,
                    recording=_attachment_url(account.pk, object_id),
                )
            )
    return events


def _import_origin(account: Account, limit: int | None = None) -> list[TimelineEvent]:
    """An account the account feed created has no audit entry of its own: its trail is the
    import batch and file line it carries, shown here (who ran the batch, the file and its
    SHA-256). One query, only for such an account."""
    if account.import_batch_id is None:
        return []
    batch = (
        ImportBatch.objects.filter(pk=account.import_batch_id)
        .values_list("file_name", "sha256", "started_by")
        .first()
    )
    file_name, sha256, started_by = batch or ("", "", "")
    return [
        TimelineEvent(
            at=account.created_at,
            kind="import",
            title=_("Created by import batch #%(batch)s, line %(line)s")
            % {"batch": account.import_batch_id, "line": account.import_row},
            detail=f"{file_name} · SHA-256 {sha256}" if batch else "",
            by=started_by or _("system"),
            ref=account.import_batch_id,
        )
    ]


def _letters(account: Account, limit: int | None = None) -> list[TimelineEvent]:
    """Each letter as printed: its kind, pages and hash, and where to fetch its PDF (the
    team-checked endpoint, which records every access)."""
    rows = _newest(Letter.objects.filter(account=account), limit, "created_at").values_list(
        "id", "created_at", "kind", "pages", "sha256"
    )
    return [
        TimelineEvent(
            at=at,
            kind="letter",
            title=_("%(kind)s · %(pages)s pages")
            % {"kind": _(LETTER_KINDS.get(kind, kind)), "pages": pages},
            detail=f"SHA-256 {sha256}",
            by=_("system"),
            ref=pk,
            recording=reverse("account-letter-pdf", kwargs={"account_id": account.pk, "pk": pk}),
        )
        for pk, at, kind, pages, sha256 in rows
    ]


SOURCES = (
    _contacts,
    _letters,
    _payments,
    _promises,
    _plan_events,
    _bucket_moves,
    _re_ages,
    _restrictions,
    _case_events,
    _callbacks,
    _settlements,
    _hardship,
    _portal_events,
    _audited_changes,
)


#: The sources whose events come only from the account's records of one kind: a caller that has
#: read those records and found none (the case page lists each kind) names the kind in
#: ``absent``, and the source is not queried.
SOURCE_RECORDS = {
    "promises": _promises,
    "plans": _plan_events,
    "bucket_history": _bucket_moves,
    "callbacks": _callbacks,
    "settlements": _settlements,
    "hardship": _hardship,
}


def account_timeline(
    account: Account,
    *,
    kinds: set[str] | None = None,
    limit: int | None = None,
    absent: Collection[str] = (),
) -> list[TimelineEvent]:
    """Every event of the account, newest first (ties: most recent record first); with
    ``limit``, the ``limit`` newest (what a page needs: one query per source of at most
    ``limit`` rows, however long the history). ``absent``: kinds of ``SOURCE_RECORDS`` the
    account has none of."""
    skipped = {SOURCE_RECORDS[name] for name in absent}
    events: list[TimelineEvent] = []
    for source in SOURCES:
        if source not in skipped:
            events.extend(source(account, limit))
    events.extend(_import_origin(account))  # at most one event: not a paged source
    if kinds:
        events = [e for e in events if e.kind in kinds]
    events.sort(key=lambda e: (e.at, e.ref or 0), reverse=True)
    return events if limit is None else events[:limit]


TIMELINE_PAGE_SIZE = 50
#: Deeper than this the API (paged over the whole history) is the tool.
TIMELINE_MAX_PAGE = 200


@dataclass(frozen=True)
class TimelinePage:
    """One page of the case timeline, newest first, read without counting the history: it
    knows whether an older page exists, not how many there are."""

    events: list
    number: int
    has_next: bool

    def __iter__(self):
        return iter(self.events)

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    def previous_page_number(self) -> int:
        return self.number - 1

    def next_page_number(self) -> int:
        return self.number + 1


def timeline_page(
    account: Account, page: str | None, *, absent: Collection[str] = ()
) -> TimelinePage:
    number = min(max(id_or_none(page or "") or 1, 1), TIMELINE_MAX_PAGE)
    end = number * TIMELINE_PAGE_SIZE
    # One more than the page: is there an older page?
    events = account_timeline(account, limit=end + 1, absent=absent)
    return TimelinePage(
        events=events[end - TIMELINE_PAGE_SIZE : end],
        number=number,
        has_next=len(events) > end and number < TIMELINE_MAX_PAGE,
    )
