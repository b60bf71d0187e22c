"""Delivery receipts and bounces: they update the reminder, and repeated hard failures make a
contact point unusable (``outreach.inbound.delivery_receipt_record``)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from auditlog.models import LogEntry
from django.urls import reverse

from accounts.models import ContactPoint
from contacts.models import DeliveryReceipt, MessageTemplate, Reminder
from outreach.reminders import reminders_generate, reminders_send_due
from outreach.strategies import templates_seed
from tests.factories import AccountFactory, ContactPointFactory
from tests.outreach.fake_gateway import FakeGateway

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # 10:00 in New York
EARLIER = NOW - timedelta(days=5)  # receipts about messages sent in the days before
SECRET = "whsec-test"
RECEIPTS = reverse("outreach:delivery_receipt")
BOUNCES = reverse("outreach:email_bounce")


@pytest.fixture(autouse=True)
def _pinned(settings, tmp_path):
    settings.SETTLE_INBOUND_WEBHOOK_SECRET = SECRET
    settings.SETTLE_INBOUND_WEBHOOK_SECRETS = {"sms": "", "email": ""}
    settings.SETTLE_OUTBOX_DIR = str(tmp_path / "outbox")
    settings.SETTLE_CHANNEL_BACKENDS = {
        "sms": "outreach.backends.FileBackend",
        "email": "outreach.backends.FileBackend",
        "letter": "outreach.backends.FileBackend",
    }
    templates_seed()
    with time_machine.travel(NOW, tick=False):
        yield


def post(client, url, payload, *, secret=SECRET, at=None):
    body, headers = FakeGateway.signed(payload, secret=secret, at=at or NOW)
    return client.post(url, body, content_type="application/json", **headers)


def sent_reminder(account, point, *, key, channel="sms", provider_ref="") -> Reminder:
    template = MessageTemplate.objects.get(
        code="payment-due", channel=channel, language="en", tone="general"
    )
    return Reminder.objects.create(
        account=account,
        kind=Reminder.Kind.INSTALLMENT_DUE,
        channel=channel,
        contact_point=point,
        template=template,
        idempotency_key=key,
        amount=Decimal("250.00"),
        due_date=date(2026, 11, 26),
        due_at=NOW,
        status=Reminder.Status.SENT,
        sent_at=NOW,
        provider_ref=provider_ref,
    )


@pytest.fixture
def account(team):
    return AccountFactory(team=team)


@pytest.fixture
def point(account):
    return ContactPointFactory(customer=account.customer, value="+12125550142")


def receipt(event, ref, status="delivered", failure=None, at=NOW):
    payload = {"id": event, "message_id": ref, "status": status, "at": at.isoformat()}
    if failure:
        payload["failure"] = failure
    return payload


def test_the_gateways_reference_is_kept_and_its_receipt_updates_the_reminder(
    client, settings, account, point
):
    reminder = sent_reminder(account, point, key="k1")
    Reminder.objects.filter(pk=reminder.pk).update(status=Reminder.Status.PENDING, sent_at=None)
    Reminder.objects.filter(pk=reminder.pk).update(next_attempt_at=NOW)
    with FakeGateway() as gateway:
        settings.SETTLE_CHANNEL_BACKENDS = {"sms": "outreach.backends.SmsGatewayBackend"}
        settings.SETTLE_SMS_GATEWAY_URL = gateway.url
        settings.SETTLE_SMS_GATEWAY_TOKEN = "test-token"
        reminders_send_due(now=NOW)
    reminder.refresh_from_db()
    assert reminder.status == Reminder.Status.SENT
    assert reminder.provider_ref == "msg-k1"  # what the gateway answered

    at = NOW + timedelta(minutes=2)
    with time_machine.travel(at + timedelta(seconds=5), tick=False):
        response = post(client, RECEIPTS, receipt("evt-1", "msg-k1", at=at), at=at)

    assert response.status_code == 200 and response.json()["matched"] is True
    reminder.refresh_from_db()
    assert (reminder.delivery_status, reminder.delivery_at) == ("delivered", at)


def test_a_failure_updates_the_reminder_with_its_error(client, account, point):
    reminder = sent_reminder(account, point, key="k1", provider_ref="gw-77")

    post(
        client,
        RECEIPTS,
        {
            "id": "evt-1",
            "message_id": "gw-77",
            "status": "failed",
            "failure": "soft",
            "error": "handset off",
        },
    )

    reminder.refresh_from_db()
    assert reminder.delivery_status == "failed_soft"
    assert reminder.delivery_error == "handset off"


def test_a_receipt_can_name_the_reminder_by_our_key(client, account, point):
    reminder = sent_reminder(account, point, key="inst:1:2026-11-26:sms:d-3")

    post(
        client, RECEIPTS, {"id": "e", "reference": reminder.idempotency_key, "status": "delivered"}
    )

    reminder.refresh_from_db()
    assert reminder.delivery_status == "delivered"


def test_an_older_receipt_does_not_overwrite_a_newer_one(client, account, point):
    reminder = sent_reminder(account, point, key="k1", provider_ref="gw-1")

    post(client, RECEIPTS, receipt("e2", "gw-1", at=NOW))
    post(client, RECEIPTS, receipt("e1", "gw-1", "failed", "soft", at=NOW - timedelta(minutes=1)))

    reminder.refresh_from_db()
    assert reminder.delivery_status == "delivered"


def test_three_hard_failures_in_a_row_make_the_point_unusable(client, settings, account, point):
    reminders = [
        sent_reminder(account, point, key=f"k{i}", provider_ref=f"gw-{i}") for i in range(3)
    ]

    for i, _ in enumerate(reminders[:2]):
        post(
            client, RECEIPTS, receipt(f"e{i}", f"gw-{i}", "failed", "hard", EARLIER + timedelta(i))
        )
        point.refresh_from_db()
        assert point.is_valid
    response = post(
        client, RECEIPTS, receipt("e2", "gw-2", "failed", "hard", EARLIER + timedelta(2))
    )

    assert response.json()["contact_point_unusable"] is True
    point.refresh_from_db()
    assert not point.is_valid
    assert point.invalid_reason == "3 hard delivery failures in a row"
    assert not point.contactable
    assert LogEntry.objects.get_for_object(point).filter(changes__has_key="is_valid").exists()
    # Generation no longer picks the number.
    assert ContactPoint.objects.contactable().filter(pk=point.pk).count() == 0


def test_a_delivery_resets_the_count_and_soft_failures_do_not_count(client, account, point):
    refs = [
        sent_reminder(account, point, key=f"k{i}", provider_ref=f"gw-{i}").provider_ref
        for i in range(6)
    ]
    steps = [
        ("failed", "hard"),
        ("failed", "hard"),
        ("delivered", None),
        ("failed", "hard"),
        ("failed", "soft"),
        ("failed", "hard"),
    ]
    for i, (ref, (status, failure)) in enumerate(zip(refs, steps, strict=True)):
        post(client, RECEIPTS, receipt(f"e{i}", ref, status, failure, EARLIER + timedelta(hours=i)))

    point.refresh_from_db()
    assert point.is_valid  # two hard failures since the delivery


def test_the_threshold_is_a_setting(client, settings, account, point):
    settings.SETTLE_HARD_FAILURE_THRESHOLD = 1
    sent_reminder(account, point, key="k1", provider_ref="gw-1")

    post(client, RECEIPTS, receipt("e1", "gw-1", "failed", "hard"))

    point.refresh_from_db()
    assert not point.is_valid


def test_a_replayed_receipt_counts_once(client, account, point):
    for i in range(2):
        sent_reminder(account, point, key=f"k{i}", provider_ref=f"gw-{i}")
    post(client, RECEIPTS, receipt("e0", "gw-0", "failed", "hard"))
    post(client, RECEIPTS, receipt("e1", "gw-1", "failed", "hard"))
    again = post(client, RECEIPTS, receipt("e1", "gw-1", "failed", "hard"))

    assert again.json()["replayed"] is True
    assert DeliveryReceipt.objects.count() == 2
    point.refresh_from_db()
    assert point.is_valid


def test_two_failures_of_one_message_count_once(client, account, point):
    for i in range(2):
        sent_reminder(account, point, key=f"k{i}", provider_ref=f"gw-{i}")
    post(client, RECEIPTS, receipt("e0", "gw-0", "failed", "hard"))
    post(client, RECEIPTS, receipt("e1", "gw-1", "failed", "hard", EARLIER + timedelta(minutes=1)))
    post(client, RECEIPTS, receipt("e2", "gw-1", "failed", "hard", EARLIER + timedelta(minutes=2)))

    point.refresh_from_db()
    assert point.is_valid


def test_email_bounces_count_the_same_way(client, settings, account):
    settings.SETTLE_HARD_FAILURE_THRESHOLD = 2
    email = ContactPointFactory(customer=account.customer, kind="email", value="pat@example.com")
    for i in range(2):
        sent_reminder(account, email, key=f"e{i}", channel="email", provider_ref=f"e{i}")

    for i in range(2):
        post(
            client,
            BOUNCES,
            {"id": f"b{i}", "reference": f"e{i}", "status": "bounced", "failure": "hard"},
        )

    email.refresh_from_db()
    assert not email.is_valid


def test_a_receipt_with_a_bad_signature_changes_nothing(client, account, point):
    reminder = sent_reminder(account, point, key="k1", provider_ref="gw-1")

    response = post(client, RECEIPTS, receipt("e1", "gw-1", "failed", "hard"), secret="nope")

    assert response.status_code == 403
    assert not DeliveryReceipt.objects.exists()
    reminder.refresh_from_db()
    assert reminder.delivery_status == ""


def test_an_unknown_message_is_stored_and_changes_nothing(client, account, point):
    response = post(client, RECEIPTS, receipt("e1", "gw-unknown", "failed", "hard"))

    assert response.status_code == 200 and response.json()["matched"] is False
    assert DeliveryReceipt.objects.get().reminder is None


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"message_id": "gw-1", "status": "delivered"}, "id"),
        ({"id": "e", "message_id": "gw-1", "status": "lost"}, "status"),
        ({"id": "e", "message_id": "gw-1", "status": "failed"}, "failure"),
        ({"id": "e", "status": "delivered"}, "message_id"),
        ({"id": "e", "message_id": "gw-1", "status": "delivered", "at": "soon"}, "at"),
        ({"id": ["e"], "message_id": "gw-1", "status": "delivered"}, "id"),
    ],
)
def test_bad_receipts_are_a_400_naming_the_field(client, payload, field):
    response = post(client, RECEIPTS, payload)

    assert response.status_code == 400
    assert field in response.json()
    assert not DeliveryReceipt.objects.exists()


def test_reminders_sent_in_a_batch_keep_each_reference(settings, team):
    """The send path stores the references in its one outcome statement (no per-row query)."""
    accounts = [AccountFactory(team=team, risk_tier="general") for _ in range(3)]
    for a in accounts:
        ContactPointFactory(customer=a.customer)
    reminders_generate(as_of=date(2026, 11, 23), now=NOW)
    reminders_send_due(now=NOW)

    sent = Reminder.objects.filter(status=Reminder.Status.SENT)
    assert sent.count() >= 3
    assert all(r.provider_ref == r.idempotency_key for r in sent)  # the file backend's answer


def test_a_soft_failure_between_hard_ones_does_not_break_the_run(client, account, point):
    steps = [("failed", "hard"), ("failed", "soft"), ("failed", "hard"), ("failed", "hard")]
    for i, (status, failure) in enumerate(steps):
        sent_reminder(account, point, key=f"k{i}", provider_ref=f"gw-{i}")
        post(client, RECEIPTS, receipt(f"e{i}", f"gw-{i}", status, failure, EARLIER + timedelta(i)))

    point.refresh_from_db()
    assert not point.is_valid
