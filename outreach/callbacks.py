"""Callbacks: booked when the customer asks to be called back, done when someone calls.

The life of a callback (``contacts.models.CallbackTask``; each step writes a ``CallbackEvent``,
which the case timeline shows):

* **open** — booked by a logged contact with the ``callback_requested`` disposition
  (``outreach.services``), or directly (API ``POST /accounts/{id}/callbacks/``). It belongs to
  the account's specialist and follows the account when it is reassigned or rebalanced
  (``contacts.services.callbacks_follow_accounts``). From the start of its business day it is
  "due" (``CallbackTask.objects.due``): the queue puts the case first until it is done.
* **rescheduled** — a new time, which must be in the future, at most
  ``CALLBACK_MAX_DAYS_AHEAD`` days ahead and a time compliance allows a call to the customer
  (the same check the queue's "next allowed call" uses; nothing is stored, as a booking is not
  a contact).
* **done** — by hand (Complete), or by itself when the callback's owner logs a call or an
  inbound call with a conversation on the account: every callback of theirs due that day is
  then done by that entry (``callbacks_complete_by_conversation``).
* **cancelled** — a status kept for callbacks closed without a call.

A done or cancelled callback cannot change again (``CallbackClosed``: a 409, a form error).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Account, Role, User
from compliance.models import Purpose
from compliance.services import contact_check
from compliance.templatetags.compliance_tags import violation_text
from contacts.models import CallbackEvent, CallbackTask, ContactLog, ContactPoint
from core.audit import acting_as
from core.bounds import validate_date_in_range
from core.business_calendar import business_day
from core.conflicts import DomainConflict

#: A callback further ahead than this is a note, not a callback.
CALLBACK_MAX_DAYS_AHEAD = 90
#: Logged contacts that answer a callback: a call we placed or one the customer made to us.
ANSWERING_CHANNELS = (ContactLog.Channel.CALL, ContactLog.Channel.INBOUND_CALL)


class CallbackClosed(DomainConflict):
    """The callback is done or cancelled; it cannot be completed or moved again."""


def _user_or_none(by: User | None) -> User | None:
    return by if by is not None and by.is_authenticated else None


def _event(callback: CallbackTask, action: str, *, by, at, previous=None, contact=None, note=""):
    return CallbackEvent.objects.create(
        callback=callback,
        action=action,
        due_at=callback.due_at,
        previous_due_at=previous,
        by=_user_or_none(by),
        at=at,
        contact=contact,
        note=(note or "")[:250],
    )


def callback_may_change(user: User, callback: CallbackTask) -> bool:
    """Its owner, or a supervisor or admin (team scoping is the caller's: pages and API)."""
    return callback.assigned_to_id == user.pk or user.has_role(Role.SUPERVISOR, Role.ADMIN)


def _require_may_change(user: User | None, callback: CallbackTask) -> None:
    if user is not None and not callback_may_change(user, callback):
        raise PermissionDenied(
            _("Only the specialist the callback belongs to or a supervisor may change it.")
        )


def callback_due_at_check(
    *, account: Account, due_at: datetime, contact_point: ContactPoint | None, now: datetime
) -> None:
    """Raise ``ValidationError`` on ``due_at`` unless it is a time to call the customer back:
    after ``now``, at most ``CALLBACK_MAX_DAYS_AHEAD`` days ahead, and allowed by compliance
    for a call then (``contact_check`` with ``store=False``, as the queue's next allowed call
    time: a booking contacts nobody, so no decision is stored)."""
    if timezone.is_naive(due_at):
        raise ValidationError({"due_at": [_("Give the time with its time zone.")]})
    try:
        validate_date_in_range(due_at)
    except ValidationError as error:
        raise ValidationError({"due_at": error.messages}) from None
    if due_at <= now:
        raise ValidationError({"due_at": [_("A callback must be in the future.")]})
    if due_at > now + timedelta(days=CALLBACK_MAX_DAYS_AHEAD):
        message = _("A callback must be within %(days)s days.")
        raise ValidationError({"due_at": [message % {"days": CALLBACK_MAX_DAYS_AHEAD}]})
    try:
        decision = contact_check(
            account=account,
            channel=ContactLog.Channel.CALL,
            at=due_at,
            contact_point=contact_point,
            purpose=Purpose.UI_PREVIEW,
            store=False,
        )
    except ValidationError as error:
        raise ValidationError({"due_at": error.messages}) from None
    if decision.allowed:
        return
    reasons = "; ".join(f"{violation_text(v)} ({v.citation})" for v in decision.violations)
    message = _("Compliance does not allow a call to the customer then: %(reasons)s.") % {
        "reasons": reasons
    }
    local = decision.next_allowed_at_local()
    if local is not None:
        message += " " + _("Next allowed: %(time)s (%(zone)s).") % {
            "time": local.strftime("%Y-%m-%d %H:%M"),
            "zone": decision.time_zone,
        }
    raise ValidationError({"due_at": [message]})


def _contact_point_check(account: Account, contact_point: ContactPoint | None) -> None:
    if contact_point is not None and contact_point.customer_id != account.customer_id:
        raise ValidationError(
            {"contact_point": [_("That contact point belongs to another customer.")]}
        )


@transaction.atomic
def callback_create(
    *,
    account: Account,
    due_at: datetime,
    by: User | None,
    contact: ContactLog | None = None,
    contact_point: ContactPoint | None = None,
    note: str = "",
    now: datetime | None = None,
) -> CallbackTask:
    """Book a callback for the account's specialist (or the booker, on an unassigned account).

    Booked in a logged contact (``contact``), it is the customer's own request, which is also
    their consent to be called then (1006.14(b)(3), recorded on the entry), so it is taken as
    asked. Booked directly, its time must pass ``callback_due_at_check``.
    """
    now = now or timezone.now()
    if contact_point is None and contact is not None:
        contact_point = contact.contact_point
    _contact_point_check(account, contact_point)
    if contact is None:
        callback_due_at_check(account=account, due_at=due_at, contact_point=contact_point, now=now)
    callback = CallbackTask(
        account=account,
        assigned_to=account.assigned_to or _user_or_none(by),
        due_at=due_at,
        contact=contact,
        contact_point=contact_point,
        note=(note or "")[:250],
    )
    with acting_as(by):
        callback.save()
    _event(callback, CallbackEvent.Action.CREATED, by=by, at=now, contact=contact, note=note)
    return callback


def _locked_open(callback: CallbackTask) -> CallbackTask:
    callback = CallbackTask.objects.select_for_update().get(pk=callback.pk)
    if not callback.is_open:
        raise CallbackClosed(
            _("This callback is already %(status)s.")
            % {"status": CallbackTask.Status(callback.status).label.lower()},
            status=callback.status,
        )
    return callback


@transaction.atomic
def callback_complete(
    *,
    callback: CallbackTask,
    by: User | None,
    now: datetime | None = None,
    contact: ContactLog | None = None,
    note: str = "",
) -> CallbackTask:
    """Close an open callback as done (``by`` must be its owner or a supervisor)."""
    now = now or timezone.now()
    _require_may_change(by, callback)
    callback = _locked_open(callback)
    callback.status = CallbackTask.Status.DONE
    callback.done_at = now
    with acting_as(by):
        callback.save(update_fields=["status", "done_at"])
    _event(callback, CallbackEvent.Action.DONE, by=by, at=now, contact=contact, note=note)
    return callback


@transaction.atomic
def callback_reschedule(
    *,
    callback: CallbackTask,
    due_at: datetime,
    by: User | None,
    now: datetime | None = None,
    note: str = "",
) -> CallbackTask:
    """Move an open callback to ``due_at`` (checked like a new booking's time)."""
    now = now or timezone.now()
    _require_may_change(by, callback)
    callback = _locked_open(callback)
    account = Account.objects.select_related("customer").get(pk=callback.account_id)
    callback_due_at_check(
        account=account, due_at=due_at, contact_point=callback.contact_point, now=now
    )
    previous = callback.due_at
    callback.due_at = due_at
    with acting_as(by):
        callback.save(update_fields=["due_at"])
    _event(callback, CallbackEvent.Action.RESCHEDULED, by=by, at=now, previous=previous, note=note)
    return callback


def callbacks_complete_by_conversation(*, entry: ContactLog, now: datetime) -> int:
    """A call or inbound call with a conversation, logged by a specialist, answers every
    callback of theirs on the account that is due that day (the queue's "Callback due"), except
    one booked by this very entry. Runs inside the entry's transaction; returns how many."""
    if (
        entry.user_id is None
        or entry.outcome != ContactLog.Outcome.CONVERSATION
        or entry.channel not in ANSWERING_CHANNELS
    ):
        return 0
    due = (
        CallbackTask.objects.due(business_day(entry.occurred_at))
        .filter(account_id=entry.account_id, assigned_to_id=entry.user_id)
        .exclude(contact=entry)
        .select_for_update()
    )
    done = 0
    for callback in due:
        callback.status = CallbackTask.Status.DONE
        callback.done_at = now
        with acting_as(entry.user):
            callback.save(update_fields=["status", "done_at"])
        _event(callback, CallbackEvent.Action.DONE, by=entry.user, at=now, contact=entry)
        done += 1
    return done
