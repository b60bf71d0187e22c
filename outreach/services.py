"""Making contact: the contact log through the compliance gate, and what each disposition does.

``contact_log_create`` is the one way a person or a system logs a contact it made: an outbound
contact passes ``compliance.services.contact_authorize`` first, then the entry and its
disposition's effect are written in one transaction. The effect is looked up in
``DISPOSITION_HANDLERS``: one small handler per disposition, each calling the one service it
needs (a promise in plans/, a restriction in compliance/, a dispute, complaint or callback here).

Message templates are saved here too (``message_template_save``): compliance checks the text
first, so a failing template is never saved.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Account, Role, User
from accounts.services import acting_as
from compliance.models import Purpose, RestrictionKind, RestrictionSource
from compliance.services import (
    CheckRequest,
    RestrictionAlreadyEnded,
    contact_authorize,
    contact_check_bulk,
    restriction_create,
    restriction_end,
    template_check,
)
from compliance.templatetags.compliance_tags import violation_text
from contacts.models import (
    CLOSED_CASE_STATUSES,
    CaseEvent,
    CaseStatus,
    Complaint,
    ContactFollowUp,
    ContactLog,
    ContactPoint,
    Dispute,
    MessageTemplate,
)
from contacts.services import contact_point_update
from core.conflicts import DomainConflict
from core.tasks import task_send
from outreach.callbacks import callback_create, callbacks_complete_by_conversation
from plans.services import promise_create

# --- Message templates ---------------------------------------------------------------------


def message_template_validate(template: MessageTemplate) -> None:
    """Raise ``ValidationError`` on ``body``, one message per rule the text breaks (wording,
    disclosures by stage, opt-out): ``compliance.services.template_check``."""
    violations = template_check(template)
    if violations:
        raise ValidationError({"body": [violation_text(v) for v in violations]})


@transaction.atomic
def message_template_save(
    *, template: MessageTemplate, now: datetime | None = None
) -> MessageTemplate:
    """Save a new or edited template, stamped as checked; a failing text is not saved.

    Every write of a template goes through here (the admin, the seeding command), and
    ``template_check`` runs again before any use, so a rule added later still stops an old text.
    """
    message_template_validate(template)
    template.checked_at = now or timezone.now()
    template.save()
    return template


# --- Disputes and complaints ---------------------------------------------------------------
CASE_TRANSITIONS = {
    CaseStatus.OPEN: {CaseStatus.UNDER_REVIEW, CaseStatus.RESOLVED, CaseStatus.REJECTED},
    CaseStatus.UNDER_REVIEW: {CaseStatus.RESOLVED, CaseStatus.REJECTED},
    CaseStatus.RESOLVED: set(),
    CaseStatus.REJECTED: set(),
}
# Days to answer: Regulation F gives 30 days to verify a disputed debt (1006.38); complaints
# follow the bank's service standard.
DISPUTE_DUE_DAYS = 30
COMPLAINT_DUE_DAYS = 15


class CaseStateError(DomainConflict):
    """The dispute or complaint is not in a state that can move there (a 409, a form error)."""


def _case_event(record, **fields) -> CaseEvent:
    key = "dispute" if isinstance(record, Dispute) else "complaint"
    return CaseEvent.objects.create(**{key: record}, **fields)


def case_transition(*, record, to_status: str, by: User | None, now, note: str = ""):
    """Move a dispute or complaint along its lifecycle; closing needs a resolution note.
    Closing a dispute ends the restriction it held open."""
    model = type(record)
    record = model.objects.select_for_update().get(pk=record.pk)
    if to_status not in CASE_TRANSITIONS[record.status]:
        raise CaseStateError(
            _("A %(kind)s that is %(status)s cannot become %(to)s.")
            % {
                "kind": model._meta.verbose_name,
                "status": record.get_status_display(),
                "to": CaseStatus(to_status).label,
            },
            status=record.status,
        )
    closing = to_status in CLOSED_CASE_STATUSES
    if closing and not note.strip():
        raise ValidationError({"resolution": [_("Say how it was resolved or why rejected.")]})
    previous = record.status
    record.status = to_status
    if closing:
        record.resolved_at = now
        record.resolution = note
    with acting_as(by):
        record.save()
    _case_event(record, from_status=previous, to_status=to_status, by=by, at=now, note=note)
    if isinstance(record, Dispute) and closing:
        dispute_restriction_release(dispute=record, by=by, now=now)
    return record


@transaction.atomic
def complaint_open(
    *,
    account,
    description: str,
    by: User | None,
    now,
    category: str = "other",
    contact: ContactLog | None = None,
    received_via: str = "",
) -> Complaint:
    complaint = Complaint(
        account=account,
        customer=account.customer,
        contact=contact,
        description=description,
        category=category,
        received_via=received_via,
        opened_at=now,
        opened_by=by,
        owner=_case_owner(account),
        due_date=now.date() + timedelta(days=COMPLAINT_DUE_DAYS),
    )
    complaint.full_clean()
    with acting_as(by):
        complaint.save()
    _case_event(complaint, to_status=complaint.status, by=by, at=now)
    return complaint


@transaction.atomic
def dispute_open(
    *,
    account,
    description: str,
    by: User | None,
    now,
    kind: str = "other",
    contact: ContactLog | None = None,
) -> Dispute:
    """Open a dispute and pause collection of the debt until it is answered (1006.38)."""
    dispute = Dispute(
        account=account,
        customer=account.customer,
        contact=contact,
        description=description,
        kind=kind,
        opened_at=now,
        opened_by=by,
        owner=_case_owner(account),
        due_date=now.date() + timedelta(days=DISPUTE_DUE_DAYS),
    )
    dispute.full_clean()
    with acting_as(by):
        dispute.save()
    _case_event(dispute, to_status=dispute.status, by=by, at=now)
    dispute_restriction_hold(dispute=dispute, by=by, now=now)
    return dispute


def _case_owner(account):
    """Disputes and complaints go to a supervisor of the account's team, else stay unowned."""
    return (
        User.objects.filter(team=account.team_id, groups__name=Role.SUPERVISOR, is_active=True)
        .order_by("id")
        .first()
    )


def dispute_restriction_hold(*, dispute: Dispute, by: User | None, now) -> None:
    """A pending dispute pauses collection of that debt (12 CFR 1006.38)."""
    restriction = restriction_create(
        by=by,
        account=dispute.account,
        kind=RestrictionKind.DISPUTE_PENDING,
        source=RestrictionSource.CUSTOMER_VERBAL if dispute.contact_id else RestrictionSource.BANK,
        notes=f"Dispute {dispute.pk}",
        now=now,
    )
    Dispute.objects.filter(pk=dispute.pk).update(restriction=restriction)
    dispute.restriction = restriction


def dispute_restriction_release(*, dispute: Dispute, by: User | None, now) -> None:
    restriction = dispute.restriction
    if restriction is None:
        return
    with contextlib.suppress(RestrictionAlreadyEnded):
        restriction_end(
            restriction=restriction,
            by=by,
            now=now,
            reason=f"Dispute {dispute.pk} {dispute.get_status_display().lower()}",
        )


# --- Contact log ---------------------------------------------------------------------------
@dataclass(frozen=True)
class DispositionDetails:
    """What a disposition needs besides the entry itself."""

    promise_amount: Decimal | None = None
    promise_date: date | None = None
    callback_at: datetime | None = None
    dispute_kind: str = Dispute.Kind.OTHER
    complaint_category: str = Complaint.Category.OTHER
    cease_in_writing: bool = False


def _validate_entry(
    *, account, channel, direction, contact_point, disposition, details, corrects
) -> None:
    errors: dict[str, list[str]] = {}
    if (channel == ContactLog.Channel.INBOUND_CALL) != (direction == ContactLog.Direction.INBOUND):
        errors["direction"] = [_("Inbound calls are inbound; every other channel is outbound.")]
    if contact_point is not None and contact_point.customer_id != account.customer_id:
        errors["contact_point"] = [_("That contact point belongs to another customer.")]
    if corrects is not None and corrects.account_id != account.pk:
        errors["corrects"] = [_("The corrected entry is on another account.")]
    if disposition == ContactLog.Disposition.PROMISE_TO_PAY:
        if details.promise_amount is None:
            errors["promise_amount"] = [_("A promise to pay needs an amount.")]
        if details.promise_date is None:
            errors["promise_date"] = [_("A promise to pay needs a date.")]
    if disposition == ContactLog.Disposition.CALLBACK_REQUESTED and details.callback_at is None:
        errors["callback_at"] = [_("Say when the customer wants to be called back.")]
    if errors:
        raise ValidationError(errors)


#: Runs a ContactFollowUp (``workspace.followups``); queued by name: workspace is above us.
FOLLOW_UP_TASK = "workspace.tasks.contact_followup_task"


def contact_log_create(
    *,
    account,
    by: User | None,
    channel: str,
    direction: str,
    occurred_at: datetime,
    outcome: str,
    contact_point: ContactPoint | None = None,
    disposition: str = "",
    reason: str = "",
    notes: str = "",
    message: str = "",
    attachment=None,
    consent_to_call_until: datetime | None = None,
    corrects: ContactLog | None = None,
    details: DispositionDetails | None = None,
    source: str = ContactLog.Source.SPECIALIST,
    now: datetime | None = None,
) -> ContactLog:
    """Log an attempt or conversation and carry out what its disposition means.

    An outbound contact passes the compliance gate at ``occurred_at`` first; when blocked,
    ``compliance.services.ContactBlocked`` is raised and nothing is logged, while the blocked
    decision itself stays stored (it is written before this function's transaction starts).
    The entry and every effect of its disposition are written in one transaction: when an
    effect conflicts with what is stored (a promise while another is pending:
    ``plans.services.PromiseConflict``, a ``core.conflicts.DomainConflict``), it is raised and
    nothing is logged. The allowed decision the gate stored stays, as evidence of a check made;
    no entry points to it, and nothing counts a decision as a contact (rules and KPIs count the
    contact log; dashboards count only blocked decisions).
    A call or inbound call with a conversation logged by a callback's owner completes their
    callbacks due that day (``callbacks_complete_by_conversation``).
    """
    now = now or timezone.now()
    details = details or DispositionDetails()
    _validate_entry(
        account=account,
        channel=channel,
        direction=direction,
        contact_point=contact_point,
        disposition=disposition,
        details=details,
        corrects=corrects,
    )
    decision = None
    if direction == ContactLog.Direction.OUTBOUND:
        decision = contact_authorize(
            account=account,
            channel=channel,
            at=occurred_at,
            contact_point=contact_point,
            message=message,
            by=by,
            purpose=Purpose.CONTACT_LOG,
        )
    if disposition == ContactLog.Disposition.CALLBACK_REQUESTED and consent_to_call_until is None:
        # Asking to be called back is consent given directly (1006.14(b)(3)), for 7 days at most.
        assert details.callback_at is not None  # _validate_entry requires it for a callback
        consent_to_call_until = min(
            details.callback_at + timedelta(hours=1), occurred_at + timedelta(days=7)
        )
    with transaction.atomic():
        entry = ContactLog(
            account=account,
            customer=account.customer,
            contact_point=contact_point,
            channel=channel,
            direction=direction,
            occurred_at=occurred_at,
            outcome=outcome,
            disposition=disposition,
            reason=reason,
            notes=notes,
            message=message,
            user=by if by is not None and by.is_authenticated else None,
            source=source,
            corrects=corrects,
            consent_to_call_until=consent_to_call_until,
            attachment=attachment or "",
            decision_id=decision.id if decision is not None else None,
        )
        entry.full_clean()
        entry.save()
        _disposition_apply(entry=entry, details=details, by=by, now=now)
        callbacks_complete_by_conversation(entry=entry, now=now)
        if outcome == ContactLog.Outcome.WRONG_NUMBER and contact_point is not None:
            contact_point_update(
                point=contact_point,
                by=by,
                data={"is_valid": False, "invalid_reason": "wrong number"},
            )
        # The account's tier and queue order follow the contact now, not tonight: an outbox row
        # in this transaction, its task queued after commit (or swept later if the broker is down).
        follow_up = ContactFollowUp.objects.create(entry=entry, account=account, created_at=now)
        transaction.on_commit(lambda: task_send(FOLLOW_UP_TASK, follow_up.pk))
    return entry


# --- Dispositions: one handler each, called inside the entry's transaction ------------------
# A handler gets the logged entry, the disposition's details, who logged it and when.
DispositionHandler = Callable[[ContactLog, DispositionDetails, User | None, datetime], None]


def _promise_record(entry, details, by, now) -> None:
    promise_create(
        account=entry.account,
        amount=details.promise_amount,
        due_date=details.promise_date,
        by=by,
        contact=entry,
        now=now,
    )


def _dispute_open(entry, details, by, now) -> None:
    dispute_open(
        account=entry.account,
        description=entry.notes or _("Raised in a contact."),
        kind=details.dispute_kind,
        by=by,
        now=now,
        contact=entry,
    )


def _complaint_open(entry, details, by, now) -> None:
    complaint_open(
        account=entry.account,
        description=entry.notes or _("Raised in a contact."),
        category=details.complaint_category,
        by=by,
        now=now,
        contact=entry,
        received_via=entry.channel,
    )


def _cease_restrict(entry, details, by, now) -> None:
    restriction_create(
        by=by,
        account=entry.account,
        kind=RestrictionKind.CEASE_COMMUNICATION,
        source=(
            RestrictionSource.CUSTOMER_WRITTEN
            if details.cease_in_writing
            else RestrictionSource.CUSTOMER_VERBAL
        ),
        notes=f"Contact {entry.pk}",
        now=now,
    )


def _callback_schedule(entry, details, by, now) -> None:
    callback_create(
        account=entry.account,
        due_at=details.callback_at,
        by=by,
        contact=entry,
        note=entry.notes[:250],
        now=now,
    )


def hardship_declare(*, account_id: int, now) -> None:
    """Mark the account's hardship. The first declaration's date is kept (the risk score reads
    it); later ones change nothing. A contact's disposition and the portal both declare."""
    Account.objects.filter(pk=account_id, hardship_declared_at__isnull=True).update(
        hardship_declared_at=now
    )


def _hardship_declare(entry, details, by, now) -> None:
    hardship_declare(account_id=entry.account_id, now=now)


#: Each disposition's effect (DESIGN.md: contact log). ``refused`` changes nothing else.
DISPOSITION_HANDLERS: dict[str, DispositionHandler] = {
    ContactLog.Disposition.PROMISE_TO_PAY: _promise_record,
    ContactLog.Disposition.DISPUTE: _dispute_open,
    ContactLog.Disposition.COMPLAINT: _complaint_open,
    ContactLog.Disposition.CEASE_REQUEST: _cease_restrict,
    ContactLog.Disposition.CALLBACK_REQUESTED: _callback_schedule,
    ContactLog.Disposition.HARDSHIP: _hardship_declare,
}


def _disposition_apply(*, entry: ContactLog, details: DispositionDetails, by, now) -> None:
    """Carry out the entry's disposition, if it has an effect."""
    handler = DISPOSITION_HANDLERS.get(entry.disposition)
    if handler is not None:
        handler(entry, details, by, now)


# --- Messages the customer asked for -------------------------------------------------------


def solicited_decision(
    *, account, channel: str, contact_point_id: int | None, text: str, language: str, now
):
    """The gate's stored decision on a message the customer asked for a moment ago (a code,
    the answer to STOP or HELP): compliance judges its wording only (``solicited``)."""
    return contact_check_bulk(
        [
            CheckRequest(
                account=account,
                channel=channel,
                at=now,
                contact_point=contact_point_id,
                message=text,
                language=language,
                solicited=True,
            )
        ],
        purpose=Purpose.CUSTOMER_REQUEST,
    )[0]


def solicited_log(*, account, point, channel: str, text: str, decision_id, notes: str, now):
    """The one contact-log entry of a sent solicited message (``text`` as it may be kept)."""
    entry = ContactLog(
        account=account,
        customer=account.customer,
        contact_point=point,
        channel=channel,
        direction=ContactLog.Direction.OUTBOUND,
        occurred_at=now,
        outcome=ContactLog.Outcome.DELIVERED,
        message=text,
        notes=notes,
        source=ContactLog.Source.SYSTEM,
        decision_id=decision_id,
    )
    entry.full_clean()
    entry.save()
    return entry
