"""Channel backends: the file outbox, Django email and the SMS gateway (a local fake)."""

from __future__ import annotations

import json

import pytest
from django.core import mail

from contacts.models import ContactLog, Reminder
from outreach.backends import (
    ChannelError,
    DjangoEmailBackend,
    FileBackend,
    OutboundMessage,
    SmsGatewayBackend,
    backend_for,
)
from outreach.reminders import reminders_send_due
from outreach.strategies import templates_seed
from tests.factories import AccountFactory
from tests.outreach.fake_gateway import FakeGateway
from tests.outreach.test_reminders import NOW, _reminder


def _message(key="k1", channel="sms", to="+12125550100"):
    return OutboundMessage(idempotency_key=key, channel=channel, to=to, body="Hello", subject="S")


def test_file_backend_writes_one_line_per_key(tmp_path):
    FileBackend(tmp_path).send(_message("a"))
    FileBackend(tmp_path).send(_message("a"))  # a second instance, as after a restart
    FileBackend(tmp_path).send(_message("b"))

    lines = (tmp_path / "sms.jsonl").read_text().splitlines()
    assert [json.loads(line)["key"] for line in lines] == ["a", "b"]


def test_file_backend_sees_keys_written_by_another_process(tmp_path):
    backend = FileBackend(tmp_path)
    backend.send(_message("a"))
    with (tmp_path / "sms.jsonl").open("a") as fh:  # another worker's line
        fh.write(json.dumps({"key": "b"}) + "\n")

    backend.send(_message("b"))

    assert len((tmp_path / "sms.jsonl").read_text().splitlines()) == 2


def test_django_email_backend_sends_through_the_mail_framework(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

    DjangoEmailBackend().send(_message(channel="email", to="pat@example.com"))

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["pat@example.com"]
    assert mail.outbox[0].extra_headers["X-Idempotency-Key"] == "k1"


def test_sms_gateway_gets_the_token_and_the_idempotency_key():
    with FakeGateway() as gateway:
        backend = SmsGatewayBackend(url=gateway.url, token="test-token")
        reference = backend.send(_message("k9"))
        backend.send(_message("k9"))

    assert reference == "msg-k9"
    assert gateway.requests[0]["headers"]["Idempotency-Key"] == "k9"
    assert gateway.requests[0]["body"] == {"to": "+12125550100", "text": "Hello"}
    assert list(gateway.delivered) == ["k9"]


def test_sms_gateway_failure_is_a_channel_error():
    with FakeGateway() as gateway:
        gateway.fail(1)
        with pytest.raises(ChannelError, match="503"):
            SmsGatewayBackend(url=gateway.url, token="test-token").send(_message())


def test_unreachable_gateway_is_a_channel_error():
    with pytest.raises(ChannelError):
        SmsGatewayBackend(url="http://127.0.0.1:9/none", token="t", timeout=2).send(_message())


def test_backend_for_uses_the_settings(settings):
    settings.SETTLE_CHANNEL_BACKENDS = {"sms": "outreach.backends.ConsoleBackend"}

    assert type(backend_for("sms")).__name__ == "ConsoleBackend"
    with pytest.raises(ChannelError):
        backend_for("letter")


@pytest.mark.django_db
def test_reminder_through_a_failing_gateway_is_retried_then_sent_once(team, settings):
    templates_seed()
    account = AccountFactory(team=team)
    reminder = _reminder(account)
    with FakeGateway() as gateway:
        settings.SETTLE_CHANNEL_BACKENDS = {"sms": "outreach.backends.SmsGatewayBackend"}
        settings.SETTLE_SMS_GATEWAY_URL = gateway.url
        settings.SETTLE_SMS_GATEWAY_TOKEN = "test-token"
        gateway.fail(2)

        first = reminders_send_due(now=NOW, worker_id="w")
        reminder.refresh_from_db()
        assert first.retried == 1
        assert reminder.status == Reminder.Status.PENDING
        second = reminders_send_due(now=reminder.next_attempt_at, worker_id="w")
        reminder.refresh_from_db()
        assert second.retried == 1
        third = reminders_send_due(now=reminder.next_attempt_at, worker_id="w")

    reminder.refresh_from_db()
    assert third.sent == 1
    assert reminder.status == Reminder.Status.SENT
    assert reminder.attempts == 3
    assert len(gateway.requests) == 3
    assert list(gateway.delivered) == ["k1"]
    assert ContactLog.objects.filter(account=account).count() == 1
