"""POST /accounts/{id}/contacts/: the gate, the append-only log and each disposition's effect."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from compliance.models import CommunicationRestriction, ComplianceDecision
from contacts.models import CallbackTask, Complaint, ContactLog, ContactPoint, Dispute
from outreach.services import DISPOSITION_HANDLERS
from plans.models import PromiseToPay
from tests.factories import AccountFactory, ContactPointFactory

pytestmark = pytest.mark.django_db

# A Friday afternoon in New York: inside the 08:00–21:00 window.
ALLOWED_AT = "2026-11-20T15:00:00-05:00"
TOO_EARLY = "2026-11-20T07:15:00-05:00"
# Contacts are logged as they happen: the clock stands at ALLOWED_AT, so restrictions and
# promises made in them start that day.
NOW = datetime(2026, 11, 20, 20, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _pinned():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def account(team, specialist):
    account = AccountFactory(
        team=team, assigned_to=specialist, customer__time_zone="America/New_York"
    )
    ContactPointFactory(customer=account.customer, value="+12125550142")
    return account


@pytest.fixture
def phone(account):
    return account.customer.contact_points.get()


def log(api, user, account, **body):
    payload = {
        "channel": "call",
        "direction": "outbound",
        "occurred_at": ALLOWED_AT,
        "outcome": "conversation",
        **body,
    }
    return api.as_user(user).post(
        f"/api/v1/accounts/{account.pk}/contacts/", payload, format="json"
    )


def test_an_allowed_call_is_logged_with_its_decision(api, specialist, account, phone):
    response = log(api, specialist, account, contact_point=phone.pk, outcome="no_answer")
    assert response.status_code == 201, response.json()
    entry = ContactLog.objects.get()
    assert entry.user == specialist
    assert entry.decision.allowed is True
    assert entry.decision.purpose == "contact_log"
    assert response.json()["contact_point_masked"] == "+1 ••••••0142"


def test_a_blocked_call_is_422_logs_nothing_and_keeps_the_decision(api, specialist, account, phone):
    response = log(api, specialist, account, contact_point=phone.pk, occurred_at=TOO_EARLY)
    assert response.status_code == 422
    body = response.json()
    assert body["allowed"] is False
    assert [v["rule"] for v in body["violations"]] == ["contact_window"]
    assert body["next_allowed_at"] == "2026-11-20T08:00:00-05:00"
    assert ContactLog.objects.count() == 0
    decision = ComplianceDecision.objects.get()
    assert (decision.allowed, decision.account_id, decision.checked_by) == (
        False,
        account.pk,
        specialist,
    )


def test_a_cease_restriction_blocks_the_next_call(api, specialist, account, phone):
    assert (
        log(
            api, specialist, account, contact_point=phone.pk, disposition="cease_request"
        ).status_code
        == 201
    )
    assert CommunicationRestriction.objects.filter(kind="cease_communication").count() == 1
    blocked = log(
        api, specialist, account, contact_point=phone.pk, occurred_at="2026-11-23T10:00:00-05:00"
    )
    assert blocked.status_code == 422
    assert "cease_communication" in [v["rule"] for v in blocked.json()["violations"]]


def test_inbound_calls_are_logged_without_the_gate(api, specialist, account):
    response = log(
        api, specialist, account, channel="inbound_call", direction="inbound", occurred_at=TOO_EARLY
    )
    assert response.status_code == 201
    assert ContactLog.objects.get().decision is None


def test_the_log_is_append_only_through_the_api(api, specialist, account, phone):
    entry_id = log(api, specialist, account, contact_point=phone.pk).json()["id"]
    client = api.as_user(specialist)
    url = f"/api/v1/accounts/{account.pk}/contacts/{entry_id}/"
    assert client.get(url).status_code == 200
    assert client.patch(url, {"notes": "x"}, format="json").status_code == 405
    assert client.put(url, {"notes": "x"}, format="json").status_code == 405
    assert client.delete(url).status_code == 405


def test_another_teams_contact_log_is_forbidden(api, other_specialist, account):
    response = api.as_user(other_specialist).get(f"/api/v1/accounts/{account.pk}/contacts/")
    assert response.status_code == 403


def test_promise_to_pay_creates_a_promise(api, specialist, account, phone):
    response = log(
        api,
        specialist,
        account,
        contact_point=phone.pk,
        disposition="promise_to_pay",
        promise_amount="150.00",
        promise_date="2026-11-27",
        reason="income_cut",
    )
    assert response.status_code == 201, response.json()
    promise = PromiseToPay.objects.get()
    assert (promise.amount, promise.due_date, promise.contact_id) == (
        Decimal("150.00"),
        date(2026, 11, 27),
        response.json()["id"],
    )
    assert ContactLog.objects.get().reason == "income_cut"


def test_a_promise_without_amount_is_a_400_and_logs_nothing(api, specialist, account, phone):
    response = log(
        api,
        specialist,
        account,
        contact_point=phone.pk,
        disposition="promise_to_pay",
        promise_date="2026-11-27",
    )
    assert response.status_code == 400
    assert "promise_amount" in response.json()
    assert ContactLog.objects.count() == 0


def test_dispute_opens_a_dispute_and_pauses_collection(api, specialist, supervisor, account, phone):
    response = log(
        api,
        specialist,
        account,
        contact_point=phone.pk,
        disposition="dispute",
        dispute_kind="amount",
        notes="Says the fees are wrong",
    )
    assert response.status_code == 201, response.json()
    dispute = Dispute.objects.get()
    assert (dispute.kind, dispute.status, dispute.owner) == ("amount", "open", supervisor)
    assert dispute.restriction.kind == "dispute_pending"
    assert dispute.due_date == dispute.opened_at.date() + timedelta(days=30)  # 1006.38
    blocked = log(
        api, specialist, account, contact_point=phone.pk, occurred_at="2026-11-23T10:00:00-05:00"
    )
    assert "dispute_pending" in [v["rule"] for v in blocked.json()["violations"]]

    # Resolving the dispute lifts the pause.
    client = api.as_user(supervisor)
    moved = client.post(
        f"/api/v1/disputes/{dispute.pk}/transition/",
        {"status": "resolved", "note": "Fees verified and explained"},
        format="json",
    )
    assert moved.status_code == 200, moved.json()
    dispute.restriction.refresh_from_db()
    assert dispute.restriction.ended_at is not None


def test_closing_a_dispute_needs_a_resolution(api, specialist, supervisor, account, phone):
    log(api, specialist, account, contact_point=phone.pk, disposition="dispute")
    dispute = Dispute.objects.get()
    response = api.as_user(supervisor).post(
        f"/api/v1/disputes/{dispute.pk}/transition/", {"status": "rejected"}, format="json"
    )
    assert response.status_code == 400
    assert "resolution" in response.json()


def test_complaint_creates_a_complaint_record(api, specialist, account, phone):
    response = log(
        api,
        specialist,
        account,
        contact_point=phone.pk,
        disposition="complaint",
        complaint_category="frequency",
        notes="Too many calls",
    )
    assert response.status_code == 201
    complaint = Complaint.objects.get()
    assert (complaint.category, complaint.description, complaint.status) == (
        "frequency",
        "Too many calls",
        "open",
    )
    listed = api.as_user(specialist).get("/api/v1/complaints/").json()
    assert listed["count"] == 1


def test_callback_request_queues_a_task_and_gives_consent(api, specialist, account, phone):
    response = log(
        api,
        specialist,
        account,
        contact_point=phone.pk,
        disposition="callback_requested",
        callback_at="2026-11-21T11:00:00-05:00",
    )
    assert response.status_code == 201, response.json()
    task = CallbackTask.objects.get()
    assert (task.assigned_to, task.status) == (specialist, "open")
    entry = ContactLog.objects.get()
    assert entry.consent_to_call_until is not None


def test_wrong_number_marks_the_contact_point_invalid(api, specialist, account, phone):
    response = log(api, specialist, account, contact_point=phone.pk, outcome="wrong_number")
    assert response.status_code == 201
    phone.refresh_from_db()
    assert (phone.is_valid, phone.invalid_reason) == (False, "wrong number")


def test_hardship_is_recorded_on_the_account(api, specialist, account, phone):
    log(api, specialist, account, contact_point=phone.pk, disposition="hardship", reason="illness")
    account.refresh_from_db()
    assert account.hardship_declared_at is not None


def test_a_contact_point_of_another_customer_is_refused(api, specialist, account, team):
    stranger = ContactPointFactory(customer=AccountFactory(team=team).customer)
    response = log(api, specialist, account, contact_point=stranger.pk)
    assert response.status_code == 400
    assert "contact_point" in response.json()
    assert ContactPoint.objects.filter(pk=stranger.pk, is_valid=True).exists()


def test_a_time_without_offset_is_refused(api, specialist, account):
    response = log(api, specialist, account, occurred_at="2026-11-20T15:00:00")
    assert response.status_code == 400
    assert "occurred_at" in response.json()


def test_a_recording_can_be_attached(api, specialist, account, phone, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    recording = SimpleUploadedFile("call.ogg", b"OggS fake audio", content_type="audio/ogg")
    response = api.as_user(specialist).post(
        f"/api/v1/accounts/{account.pk}/contacts/",
        {
            "channel": "call",
            "direction": "outbound",
            "occurred_at": ALLOWED_AT,
            "outcome": "conversation",
            "contact_point": phone.pk,
            "attachment": recording,
        },
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    entry = ContactLog.objects.get()
    assert entry.attachment.name.startswith("contact-evidence/")
    assert entry.attachment.read() == b"OggS fake audio"


def test_every_disposition_but_refused_has_its_handler():
    assert set(DISPOSITION_HANDLERS) == set(ContactLog.Disposition.values) - {"refused"}


def _post_with_file(api, user, account, phone, upload):
    return api.as_user(user).post(
        f"/api/v1/accounts/{account.pk}/contacts/",
        {
            "channel": "call",
            "direction": "outbound",
            "occurred_at": ALLOWED_AT,
            "outcome": "conversation",
            "contact_point": phone.pk,
            "attachment": upload,
        },
        format="multipart",
    )


def test_a_file_that_is_not_a_recording_is_refused_whatever_its_name(
    api, specialist, account, phone, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    script = SimpleUploadedFile("call.ogg", b"<script>alert(1)</script>", content_type="audio/ogg")
    response = _post_with_file(api, specialist, account, phone, script)
    assert response.status_code == 400
    assert "attachment" in response.json()
    assert ContactLog.objects.count() == 0


def test_a_recording_over_the_size_limit_is_refused(
    api, specialist, account, phone, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    settings.SETTLE_EVIDENCE_MAX_BYTES = 1024
    big = SimpleUploadedFile("call.ogg", b"OggS" + b"\0" * 2048, content_type="audio/ogg")
    response = _post_with_file(api, specialist, account, phone, big)
    assert response.status_code == 400
    assert "attachment" in response.json()


def test_the_recording_is_served_to_the_team_only_and_each_access_recorded(
    api, specialist, other_specialist, account, phone, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from accounts.models import PersonalDataReveal

    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile("call.ogg", b"OggS\0\x02 the call", content_type="audio/ogg")
    link = _post_with_file(api, specialist, account, phone, upload).json()["attachment"]
    assert (
        link == f"/api/v1/accounts/{account.pk}/contacts/{ContactLog.objects.get().pk}/attachment/"
    )

    played = api.as_user(specialist).get(link)
    assert played.status_code == 200
    assert played["Content-Type"] == "audio/ogg"
    assert b"".join(played.streaming_content) == b"OggS\0\x02 the call"
    access = PersonalDataReveal.objects.get()
    assert (access.user, access.account, access.channel) == (specialist, account, "api")

    assert api.as_user(other_specialist).get(link).status_code == 403
    assert PersonalDataReveal.objects.count() == 1
