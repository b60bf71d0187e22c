"""The case timeline: everything that happened on an account, newest first, in few queries.

One query per source (contacts, payments, promises, plan events, bucket moves, re-ages,
restrictions, and dispute and complaint events together) — eight in all, whatever the number of
events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.models import Account, BucketHistory, ReAge
from compliance.models import CommunicationRestriction, RestrictionKind
from contacts.models import CaseEvent, ContactLog
from core.business_calendar import start_of_business_day
from plans.models import Payment, PlanEvent, PlanStatus, PromiseStatus, PromiseToPay


@dataclass(frozen=True)
class TimelineEvent:
    at: datetime
    kind: str  # contact, payment, promise, plan, bucket, re_age, restriction, dispute, complaint
    title: str
    detail: str = ""
    by: str = ""
    ref: int | None = None


def _contacts(account: Account) -> list[TimelineEvent]:
    rows = ContactLog.objects.filter(account=account).values_list(
        "id",
        "occurred_at",
        "channel",
        "direction",
        "outcome",
        "disposition",
        "notes",
        "user__username",
        "redacted_at",
    )
    channels = dict(ContactLog.Channel.choices)
    outcomes = dict(ContactLog.Outcome.choices)
    dispositions = dict(ContactLog.Disposition.choices)
    return [
        TimelineEvent(
            at=at,
            kind="contact",
            title=f"{channels.get(channel, channel)} · {outcomes.get(outcome, outcome)}"
            + (f" · {dispositions[disposition]}" if disposition else ""),
            detail=notes or _redacted(redacted_at),
            by=user or _("system"),
            ref=pk,
        )
        for pk, at, channel, direction, outcome, disposition, notes, user, redacted_at in rows
    ]


def _redacted(redacted_at) -> str:
    if redacted_at is None:
        return ""
    return _("Text removed under the retention policy on %(date)s.") % {
        "date": f"{redacted_at:%Y-%m-%d}"
    }


def _payments(account: Account) -> list[TimelineEvent]:
    rows = Payment.objects.filter(account=account).values_list(
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


def _promises(account: Account) -> list[TimelineEvent]:
    statuses = dict(PromiseStatus.choices)
    events = []
    rows = PromiseToPay.objects.filter(account=account).values_list(
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


def _plan_events(account: Account) -> list[TimelineEvent]:
    statuses = dict(PlanStatus.choices)
    rows = PlanEvent.objects.filter(plan__account=account).values_list(
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


def _bucket_moves(account: Account) -> list[TimelineEvent]:
    rows = BucketHistory.objects.filter(account=account).values_list(
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


def _re_ages(account: Account) -> list[TimelineEvent]:
    """Settle's own changes of delinquency: a plan's re-age, the end of a plan, a payoff."""
    reasons = dict(ReAge.Reason.choices)
    rows = ReAge.objects.filter(account=account).values_list(
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


def _restrictions(account: Account) -> list[TimelineEvent]:
    kinds = dict(RestrictionKind.choices)
    rows = CommunicationRestriction.objects.filter(
        Q(account=account) | Q(account__isnull=True, customer_id=account.customer_id)
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


def _case_events(account: Account) -> list[TimelineEvent]:
    rows = CaseEvent.objects.filter(
        Q(dispute__account=account) | Q(complaint__account=account)
    ).values_list("dispute_id", "complaint_id", "at", "to_status", "by__username", "note")
    events = []
    for dispute_id, complaint_id, at, to_status, user, note in rows:
        kind = "dispute" if dispute_id else "complaint"
        name = _("Dispute") if dispute_id else _("Complaint")
        events.append(
            TimelineEvent(
                at=at,
                kind=kind,
                title=f"{name} {dispute_id or complaint_id}: {to_status}",
                detail=note,
                by=user or "",
                ref=dispute_id or complaint_id,
            )
        )
    return events


SOURCES = (
    _contacts,
    _payments,
    _promises,
    _plan_events,
    _bucket_moves,
    _re_ages,
    _restrictions,
    _case_events,
)


def account_timeline(account: Account, *, kinds: set[str] | None = None) -> list[TimelineEvent]:
    """Every event of the account, newest first (ties: most recent record first)."""
    events: list[TimelineEvent] = []
    for source in SOURCES:
        events.extend(source(account))
    if kinds:
        events = [e for e in events if e.kind in kinds]
    events.sort(key=lambda e: (e.at, e.ref or 0), reverse=True)
    return events
