"""Callbacks: booked, completed, rescheduled (API.md "The life of a case"), done by a logged
conversation, and moving with their account when it is reassigned or rebalanced."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError

from accounts import services as account_services
from accounts import workload
from compliance.models import ComplianceDecision
from contacts.models import CallbackEvent, CallbackTask
from outreach import callbacks
from outreach.services import contact_log_create
from tests.factories import AccountFactory, ContactPointFactory, UserFactory

pytestmark = pytest.mark.django_db

# Monday 23 Nov 2026, 15:00 UTC = 10:00 in New York (US window 08:00–21:00).
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
LATER_TODAY = "2026-11-23T14:00:00-05:00"
TOMORROW_MORNING = "2026-11-24T09:30:00-05:00"
TOO_LATE_AT_NIGHT = "2026-11-24T22:30:00-05:00"


@pytest.fixture(autouse=True)
def _pinned(settings):
    settings.BUSINESS_DATE = "2026-11-23"
    with time_machine.travel(NOW, tick=False):
        yield


def _user(role, team, username):
    user = UserFactory(username=username, team=team)
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def account(team, specialist):
    account = AccountFactory(team=team, assigned_to=specialist, customer__name="Jane Roe")
    account.phone = ContactPointFactory(customer=account.customer, value="+12125550142")
    return account


@pytest.fixture
def teammate(team):
    return _user("specialist", team, "tess")


def book(api, user, account, **body):
    return api.as_user(user).post(
        f"/api/v1/accounts/{account.pk}/callbacks/",
        {"due_at": TOMORROW_MORNING, **body},
        format="json",
    )


def open_callback(account, user, *, due_at=None, **extra):
    return CallbackTask.objects.create(
        account=account, assigned_to=user, due_at=due_at or NOW + timedelta(hours=2), **extra
    )


# --- Booking -------------------------------------------------------------------------------
def test_a_callback_is_booked_for_the_accounts_specialist(api, teammate, specialist, account):
    response = book(api, teammate, account, contact_point=account.phone.pk, note="after work")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "open" and body["assigned_to"] == "sam"
    assert body["contact_point"] == account.phone.pk
    assert body["contact_point_masked"] == "+1 ••••••0142"
    assert body["note"] == "after work"
    assert datetime.fromisoformat(body["due_at"]) == datetime(2026, 11, 24, 14, 30, tzinfo=UTC)
    event = CallbackEvent.objects.get()
    assert (event.action, event.by, event.at) == ("created", teammate, NOW)
    # A booking contacts nobody: the compliance check behind it stores nothing.
    assert ComplianceDecision.objects.count() == 0


def test_the_callbacks_of_an_account_are_listed_and_filtered(api, specialist, account):
    open_callback(account, specialist)
    open_callback(account, specialist, status="done")
    response = api.as_user(specialist).get(f"/api/v1/accounts/{account.pk}/callbacks/?status=open")
    assert response.status_code == 200
    assert [c["status"] for c in response.json()["results"]] == ["open"]


def test_a_callback_at_a_time_compliance_forbids_is_a_400_naming_due_at(api, specialist, account):
    response = book(api, specialist, account, due_at=TOO_LATE_AT_NIGHT)
    assert response.status_code == 400
    (message,) = response.json()["due_at"]
    assert "Compliance does not allow a call" in message
    assert "1006.6(b)(1)(i)" in message
    assert "2026-11-25 08:00 (America/New_York)" in message
    assert CallbackTask.objects.count() == 0


@pytest.mark.parametrize(
    ("due_at", "says"),
    [
        ("2026-11-23T09:00:00-05:00", "in the future"),
        ("2027-06-01T10:00:00-04:00", "within 90 days"),
        ("2026-11-24T09:30:00", "UTC offset"),
    ],
)
def test_a_callback_in_the_past_too_far_ahead_or_without_offset_is_a_400(
    api, specialist, account, due_at, says
):
    response = book(api, specialist, account, due_at=due_at)
    assert response.status_code == 400
    assert says in response.json()["due_at"][0]


def test_a_contact_point_of_another_customer_is_refused(api, specialist, account, team):
    stranger = ContactPointFactory(customer=AccountFactory(team=team).customer)
    response = book(api, specialist, account, contact_point=stranger.pk)
    assert response.status_code == 400
    assert "contact_point" in response.json()


def test_another_teams_account_takes_no_callbacks(api, other_specialist, account):
    assert book(api, other_specialist, account).status_code == 403
    assert CallbackTask.objects.count() == 0


# --- Completing ----------------------------------------------------------------------------
def test_completing_closes_the_callback_and_a_second_time_is_a_409(api, specialist, account):
    callback = open_callback(account, specialist)
    url = f"/api/v1/callbacks/{callback.pk}/complete/"
    response = api.as_user(specialist).post(url, {"note": "spoke to Jane"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "done"
    callback.refresh_from_db()
    assert (callback.status, callback.done_at) == ("done", NOW)
    event = callback.events.get()
    assert (event.action, event.by, event.note) == ("done", specialist, "spoke to Jane")

    again = api.as_user(specialist).post(url, {}, format="json")
    assert again.status_code == 409
    assert again.json() == {"detail": "This callback is already done.", "status": "done"}


def test_only_the_owner_or_a_supervisor_completes_a_callback(
    api, specialist, teammate, supervisor, other_specialist, account
):
    callback = open_callback(account, specialist)
    url = f"/api/v1/callbacks/{callback.pk}/complete/"
    assert api.as_user(teammate).post(url, {}, format="json").status_code == 403
    assert api.as_user(other_specialist).post(url, {}, format="json").status_code == 403
    assert api.as_user(supervisor).post(url, {}, format="json").status_code == 200
    with pytest.raises(PermissionDenied):
        callbacks.callback_complete(callback=open_callback(account, specialist), by=teammate)


# --- Rescheduling --------------------------------------------------------------------------
def test_rescheduling_moves_the_callback_and_records_both_times(api, specialist, account):
    callback = open_callback(account, specialist)
    before = callback.due_at
    response = api.as_user(specialist).post(
        f"/api/v1/callbacks/{callback.pk}/reschedule/",
        {"due_at": TOMORROW_MORNING, "note": "asked for tomorrow"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    callback.refresh_from_db()
    assert callback.due_at == datetime(2026, 11, 24, 14, 30, tzinfo=UTC)
    assert callback.status == "open"
    event = callback.events.get()
    assert (event.action, event.previous_due_at, event.due_at) == (
        "rescheduled",
        before,
        callback.due_at,
    )


def test_rescheduling_into_a_blocked_time_is_a_400_and_changes_nothing(api, specialist, account):
    callback = open_callback(account, specialist)
    response = api.as_user(specialist).post(
        f"/api/v1/callbacks/{callback.pk}/reschedule/",
        {"due_at": TOO_LATE_AT_NIGHT},
        format="json",
    )
    assert response.status_code == 400
    assert "contact" in response.json()["due_at"][0].lower()
    callback.refresh_from_db()
    assert callback.due_at == NOW + timedelta(hours=2)
    assert not callback.events.exists()


def test_a_cease_request_blocks_every_new_callback_time(specialist, account):
    from compliance.services import restriction_create

    restriction_create(
        by=specialist, account=account, kind="cease_communication", source="customer_written"
    )
    callback = open_callback(account, specialist)
    with pytest.raises(ValidationError) as excinfo:
        callbacks.callback_reschedule(
            callback=callback, by=specialist, due_at=datetime(2026, 11, 24, 15, tzinfo=UTC)
        )
    (message,) = excinfo.value.message_dict["due_at"]
    assert "1006.6(c)" in message and "Next allowed" not in message


def test_a_restriction_that_forbids_the_call_cancels_the_open_callbacks(specialist, account):
    from compliance.services import restriction_create

    other_phone = ContactPointFactory(customer=account.customer, value="+12125550199")
    to_phone = open_callback(account, specialist, contact_point=account.phone)
    to_other = open_callback(account, specialist, contact_point=other_phone)
    done = open_callback(account, specialist, status=CallbackTask.Status.DONE)

    # Opting out of email or of another number leaves the calls alone.
    restriction_create(
        by=specialist,
        account=account,
        kind="channel_opt_out",
        source="customer_verbal",
        channel="email",
    )
    restriction_create(
        by=specialist,
        account=account,
        kind="channel_opt_out",
        source="customer_verbal",
        channel="call",
        contact_point=other_phone,
    )
    to_phone.refresh_from_db()
    to_other.refresh_from_db()
    assert (to_phone.status, to_other.status) == ("open", "cancelled")

    restriction_create(
        by=specialist, account=account, kind="cease_communication", source="customer_written"
    )
    to_phone.refresh_from_db()
    done.refresh_from_db()
    assert (to_phone.status, done.status) == ("cancelled", "done")
    event = to_phone.events.get(action=CallbackEvent.Action.CANCELLED)
    assert (event.by, event.note) == (specialist, "No call may be placed: cease communication.")
    # The queue no longer calls the customer back.
    assert not CallbackTask.objects.due(NOW.date()).filter(account=account).exists()


def test_a_closed_callback_cannot_be_rescheduled(api, specialist, account):
    callback = open_callback(account, specialist, status="done")
    response = api.as_user(specialist).post(
        f"/api/v1/callbacks/{callback.pk}/reschedule/", {"due_at": TOMORROW_MORNING}, format="json"
    )
    assert response.status_code == 409


# --- Done by a logged conversation -----------------------------------------------------------
def _log_call(account, user, *, outcome="conversation", channel="call", **extra):
    return contact_log_create(
        account=account,
        by=user,
        channel=channel,
        direction="inbound" if channel == "inbound_call" else "outbound",
        occurred_at=NOW - timedelta(minutes=5),
        outcome=outcome,
        contact_point=account.phone,
        **extra,
    )


def test_the_owners_conversation_completes_the_due_callback(client, specialist, account):
    due = open_callback(account, specialist, due_at=NOW + timedelta(hours=3))  # later today
    tomorrow = open_callback(account, specialist, due_at=NOW + timedelta(days=1))
    client.force_login(specialist)
    queue = client.get("/accounts/queue/").content.decode()
    assert "Callback due" in queue.split("<tbody>")[1]

    entry = _log_call(account, specialist)

    due.refresh_from_db()
    tomorrow.refresh_from_db()
    assert (due.status, due.done_at) == ("done", NOW)
    assert tomorrow.status == "open"  # not due yet: it stays
    event = due.events.get()
    assert (event.action, event.contact, event.by) == ("done", entry, specialist)
    queue = client.get("/accounts/queue/").content.decode()
    assert "Callback due" not in queue.split("<tbody>")[1]


def test_an_inbound_conversation_answers_the_callback_too(specialist, account):
    due = open_callback(account, specialist)
    _log_call(account, specialist, channel="inbound_call")
    due.refresh_from_db()
    assert due.status == "done"


@pytest.mark.parametrize("outcome", ["no_answer", "voicemail", "not_connected"])
def test_an_attempt_without_a_conversation_leaves_the_callback_open(specialist, account, outcome):
    due = open_callback(account, specialist)
    _log_call(account, specialist, outcome=outcome)
    due.refresh_from_db()
    assert due.status == "open"


def test_someone_elses_conversation_leaves_the_owners_callback_open(
    supervisor, specialist, account
):
    due = open_callback(account, specialist)
    _log_call(account, supervisor)
    due.refresh_from_db()
    assert due.status == "open"


def test_a_callback_booked_in_the_same_conversation_stays_open(specialist, account):
    from outreach.services import DispositionDetails

    entry = _log_call(
        account,
        specialist,
        disposition="callback_requested",
        details=DispositionDetails(callback_at=NOW + timedelta(hours=1)),
    )
    callback = CallbackTask.objects.get()
    assert (callback.status, callback.contact, callback.contact_point) == (
        "open",
        entry,
        account.phone,
    )
    assert [e.action for e in callback.events.all()] == ["created"]


# --- Moving with the account ---------------------------------------------------------------
def test_reassigned_accounts_take_their_open_callbacks_along(
    supervisor, specialist, teammate, account
):
    open_one = open_callback(account, specialist)
    done_one = open_callback(account, specialist, status="done")
    other = AccountFactory(team=account.team, assigned_to=specialist)
    stays = open_callback(other, specialist)

    assert workload.accounts_reassign(account_ids=[account.pk], to=teammate, by=supervisor) == 1

    for callback in (open_one, done_one, stays):
        callback.refresh_from_db()
    assert open_one.assigned_to == teammate
    assert done_one.assigned_to == specialist  # history keeps who did it
    assert stays.assigned_to == specialist


def test_a_rebalance_moves_the_callbacks_of_the_accounts_it_moves(
    supervisor, specialist, teammate, team
):
    accounts = [AccountFactory(team=team, assigned_to=specialist) for _ in range(4)]
    for a in accounts:
        open_callback(a, specialist)

    moved = workload.team_rebalance(team=team, by=supervisor)

    assert moved == 2
    owners = {
        a.pk: (a.assigned_to_id, CallbackTask.objects.get(account=a).assigned_to_id)
        for a in type(accounts[0]).objects.filter(pk__in=[a.pk for a in accounts])
    }
    assert all(account_owner == callback_owner for account_owner, callback_owner in owners.values())
    assert sorted(o for o, _ in owners.values()) == sorted(
        [specialist.pk, specialist.pk, teammate.pk, teammate.pk]
    )


def test_an_account_given_to_someone_else_by_patch_takes_its_callbacks(
    api, supervisor, specialist, teammate, account
):
    callback = open_callback(account, specialist)
    response = api.as_user(supervisor).patch(
        f"/api/v1/accounts/{account.pk}/", {"assigned_to": "tess"}, format="json"
    )
    assert response.status_code == 200, response.json()
    callback.refresh_from_db()
    assert callback.assigned_to == teammate


def test_unassigned_accounts_given_out_take_their_callbacks(specialist, team):
    account = AccountFactory(team=team, assigned_to=None)
    callback = open_callback(account, None)
    account_services.accounts_assign_unassigned(team=team)
    callback.refresh_from_db()
    assert callback.assigned_to == specialist


def test_callbacks_of_accounts_left_without_a_specialist_stay_put(specialist, account):
    from contacts.services import callbacks_follow_accounts

    callback = open_callback(account, specialist)
    type(account).objects.filter(pk=account.pk).update(assigned_to=None)
    assert callbacks_follow_accounts(account_ids=[account.pk]) == 0
    callback.refresh_from_db()
    assert callback.assigned_to == specialist
