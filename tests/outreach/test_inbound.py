"""Two-way messages: signed inbound webhooks, STOP and HELP, free replies in the timeline and
the queue (``outreach.inbound``, ``outreach.webhooks``)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from auditlog.models import LogEntry
from django.urls import reverse

from accounts.models import Account, ContactPoint
from compliance.models import (
    CommunicationRestriction,
    ComplianceDecision,
    Purpose,
    RestrictionKind,
    RestrictionSource,
)
from contacts.models import ContactLog, InboundMessage, Reminder
from outreach import inbound
from outreach.reminders import reminders_generate, reminders_send_due
from outreach.services import contact_log_create
from outreach.strategies import templates_seed
from tests.factories import ContactPointFactory
from tests.outreach.fake_gateway import FakeGateway
from tests.plans.factories import active_plan, owing_account
from workspace import urgency
from workspace.queue import queue_annotate
from workspace.timeline import account_timeline

pytestmark = pytest.mark.django_db

# The plan factory's first installment falls due on 2027-01-01: its reminder is due three days
# before. 15:00 UTC is 10:00 in New York, inside the contact window.
AS_OF = date(2026, 12, 29)
NOW = datetime(2026, 12, 29, 15, 0, tzinfo=UTC)
SECRET = "whsec-test"
PHONE = "+12125550142"
EMAIL = "pat.roe@example.com"
SMS_IN = reverse("outreach:inbound_sms")
EMAIL_IN = reverse("outreach:inbound_email")


@pytest.fixture(autouse=True)
def _pinned(settings, tmp_path):
    settings.BUSINESS_DATE = AS_OF.isoformat()
    settings.SETTLE_INBOUND_WEBHOOK_SECRET = SECRET
    settings.SETTLE_INBOUND_WEBHOOK_SECRETS = {"sms": "", "email": ""}
    settings.SETTLE_BANK_NAME = "First Example Bank"
    settings.SETTLE_HELP_PHONE = "+1 800 555 0199"
    settings.SETTLE_OUTBOX_DIR = str(tmp_path / "outbox")
    settings.SETTLE_CHANNEL_BACKENDS = {
        "sms": "outreach.backends.FileBackend",
        "email": "outreach.backends.FileBackend",
        "letter": "outreach.backends.FileBackend",
    }
    templates_seed()
    with time_machine.travel(NOW, tick=False):
        yield


def outbox(settings, channel="sms") -> list[dict]:
    from pathlib import Path

    path = Path(settings.SETTLE_OUTBOX_DIR) / f"{channel}.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def post(client, url, payload, *, secret=SECRET, at=None, headers=None):
    body, signed = FakeGateway.signed(payload, secret=secret, at=at or NOW)
    return client.post(
        url, body, content_type="application/json", **(signed if headers is None else headers)
    )


@pytest.fixture
def customer_account(team, specialist):
    account = owing_account(team, assigned_to=specialist, customer__name="Pat Roe")
    ContactPointFactory(customer=account.customer, value=PHONE)
    ContactPointFactory(customer=account.customer, kind="email", value=EMAIL)
    return account


def phone(account) -> ContactPoint:
    return ContactPoint.objects.get(customer=account.customer, kind="phone")


def nothing_written(account) -> bool:
    return (
        not InboundMessage.objects.exists()
        and not CommunicationRestriction.objects.exists()
        and not ContactLog.objects.filter(account=account).exists()
        and not phone(account).opted_out
    )


# --- Keywords (pure) -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "STOP",
        " stop ",
        "Stop.",
        "STOP!!",
        "ＳＴＯＰ",
        "stopall",
        "Unsubscribe",
        "CANCEL",
        "end",
        "Quit",
        "OPT OUT",
        "opt-out",
        "退订",
        "TD",
        "t d",
        "取消",
        "不要再发",
        "不要再发！",
    ],
)
def test_every_stop_variant_is_a_stop(text):
    assert inbound.intent_of(text) == InboundMessage.Intent.STOP


@pytest.mark.parametrize("text", ["HELP", "help?", "帮助"])
def test_help_is_help(text):
    assert inbound.intent_of(text) == InboundMessage.Intent.HELP


@pytest.mark.parametrize(
    "text", ["stop calling my mother", "Please stop", "I can pay on Friday", "", "帮助我"]
)
def test_a_keyword_inside_a_longer_message_is_a_reply(text):
    assert inbound.intent_of(text) == InboundMessage.Intent.REPLY


def test_an_email_reply_is_read_without_the_quoted_message():
    body = "STOP\n\nOn Mon, Dec 28, 2026 at 10:00 AM Bank wrote:\n> Your payment is due"
    assert inbound.reply_text("email", body) == "STOP"
    assert inbound.reply_text("email", "", "Re: unsubscribe") == "unsubscribe"
    assert inbound.reply_text("email", "Stop\n\nSent from my phone") == "Stop"


def test_absurdly_nested_json_is_a_400(client, customer_account):
    body = b"[" * 100_000 + b"]" * 100_000
    timestamp = str(int(NOW.timestamp()))
    response = client.post(
        SMS_IN,
        body,
        content_type="application/json",
        HTTP_X_SETTLE_TIMESTAMP=timestamp,
        HTTP_X_SETTLE_SIGNATURE=inbound.signature_make(SECRET, timestamp, body),
    )

    assert response.status_code == 400
    assert nothing_written(customer_account)


# --- Signatures ------------------------------------------------------------------------------


def _stop(message_id="gw-1", sender=PHONE, text="STOP"):
    return {"id": message_id, "from": sender, "text": text}


@pytest.mark.parametrize(
    "case",
    ["wrong secret", "no headers", "stale", "from the future", "body changed", "no secret set"],
)
def test_a_webhook_with_a_bad_signature_changes_nothing(client, settings, customer_account, case):
    payload = _stop()
    if case == "wrong secret":
        response = post(client, SMS_IN, payload, secret="guess")
    elif case == "no headers":
        response = post(client, SMS_IN, payload, headers={})
    elif case == "stale":
        response = post(client, SMS_IN, payload, at=NOW - timedelta(minutes=6))
    elif case == "from the future":
        response = post(client, SMS_IN, payload, at=NOW + timedelta(minutes=6))
    elif case == "body changed":
        _, headers = FakeGateway.signed(payload, secret=SECRET, at=NOW)
        body = json.dumps(_stop(sender="+12125550143")).encode()
        response = client.post(SMS_IN, body, content_type="application/json", **headers)
    else:
        settings.SETTLE_INBOUND_WEBHOOK_SECRET = ""
        response = post(client, SMS_IN, payload, secret="")

    assert response.status_code == (400 if case == "no headers" else 403)
    assert nothing_written(customer_account)
    assert outbox(settings) == []


def test_a_timestamp_inside_the_tolerance_passes(client, customer_account):
    response = post(client, SMS_IN, _stop(), at=NOW - timedelta(minutes=4))
    assert response.status_code == 200


def test_a_channel_secret_replaces_the_shared_one(client, settings, customer_account):
    settings.SETTLE_INBOUND_WEBHOOK_SECRETS = {"sms": "sms-only", "email": ""}

    assert post(client, SMS_IN, _stop()).status_code == 403
    assert post(client, SMS_IN, _stop(), secret="sms-only").status_code == 200


def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(client, customer_account):
    missing_id = post(client, SMS_IN, {"from": PHONE, "text": "STOP"})
    bad_time = post(client, SMS_IN, {**_stop(), "received_at": "yesterday"})
    not_json = client.post(
        SMS_IN,
        b"STOP",
        content_type="application/json",
        **FakeGateway.signed({}, secret=SECRET, at=NOW)[1]
        | {
            "HTTP_X_SETTLE_SIGNATURE": inbound.signature_make(
                SECRET, str(int(NOW.timestamp())), b"STOP"
            )
        },
    )

    assert missing_id.status_code == 400 and "id" in missing_id.json()
    assert bad_time.status_code == 400 and "received_at" in bad_time.json()
    assert not_json.status_code == 400
    assert nothing_written(customer_account)


def test_a_reply_dated_in_the_future_is_taken_as_now(client, customer_account):
    post(client, SMS_IN, {**_stop(text="ok"), "received_at": "2027-06-01T00:00:00+00:00"})
    post(client, SMS_IN, {**_stop("gw-2", text="ok"), "received_at": "2026-13-01T00:00:00Z"})

    assert ContactLog.objects.get().occurred_at == NOW
    assert InboundMessage.objects.count() == 1  # the impossible date was a 400


def test_a_get_is_refused(client):
    assert client.get(SMS_IN).status_code == 405


# --- STOP ------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["STOP", "退订", "opt out", "TD"])
def test_stop_by_sms_closes_the_channel_and_confirms_once(client, settings, customer_account, text):
    response = post(client, SMS_IN, _stop(text=text))

    assert response.status_code == 200
    assert response.json()["intent"] == "stop"
    point = phone(customer_account)
    assert point.opted_out and point.opted_out_at == NOW
    restriction = CommunicationRestriction.objects.get()
    assert restriction.kind == RestrictionKind.CHANNEL_OPT_OUT
    assert restriction.channel == "sms"
    assert restriction.contact_point == point
    assert restriction.source == RestrictionSource.CUSTOMER_WRITTEN
    assert restriction.account is None  # every account of the customer
    # Audited: the opt-out of the point, by the system.
    assert LogEntry.objects.get_for_object(point).filter(changes__has_key="opted_out").exists()
    # One confirmation, sent and logged, with the stored decision it passed.
    [sent] = outbox(settings)
    assert sent["to"] == PHONE
    assert "First Example Bank" in sent["body"]
    entry = ContactLog.objects.get(account=customer_account)
    assert entry.direction == "outbound" and entry.channel == "sms"
    assert entry.message == sent["body"]
    decision = ComplianceDecision.objects.get(pk=entry.decision_id)
    assert decision.allowed and decision.purpose == Purpose.CUSTOMER_REQUEST
    assert decision.inputs["solicited"] is True
    message = InboundMessage.objects.get()
    assert message.reply_id == entry.pk and message.reply_status == "sent"


def test_a_replayed_webhook_posts_nothing_twice(client, settings, customer_account):
    first = post(client, SMS_IN, _stop())
    again = post(client, SMS_IN, _stop(), at=NOW + timedelta(seconds=30))

    assert first.status_code == again.status_code == 200
    assert again.json()["replayed"] is True
    assert InboundMessage.objects.count() == 1
    assert CommunicationRestriction.objects.count() == 1
    assert ContactLog.objects.count() == 1
    assert ComplianceDecision.objects.count() == 1
    assert len(outbox(settings)) == 1


def test_a_second_stop_adds_no_second_restriction(client, settings, customer_account):
    post(client, SMS_IN, _stop("gw-1"))
    post(client, SMS_IN, _stop("gw-2", text="stop"))

    assert CommunicationRestriction.objects.count() == 1
    assert InboundMessage.objects.count() == 2
    assert ContactLog.objects.filter(direction="outbound").count() == 2  # each one answered


def test_the_confirmation_is_in_the_customers_language(client, settings, other_team):
    account = owing_account(
        other_team,
        customer__jurisdiction="CN",
        customer__language="zh-hans",
        customer__time_zone="Asia/Shanghai",
        currency="CNY",
    )
    ContactPointFactory(customer=account.customer, value="+8613812345678", region="CN")

    post(client, SMS_IN, _stop(sender="+8613812345678", text="退订"))

    [sent] = outbox(settings)
    assert "退订" in sent["body"]
    assert ComplianceDecision.objects.get().inputs["language"] == "zh-hans"


def test_stop_by_email_closes_email_only(client, settings, customer_account):
    response = post(
        client,
        EMAIL_IN,
        {
            "id": "<abc@mail.example>",
            "from": "Pat Roe <Pat.Roe@Example.com>",
            "subject": "Re: Your payment",
            "text": "Unsubscribe\n\n> Your payment is due",
        },
    )

    assert response.status_code == 200
    restriction = CommunicationRestriction.objects.get()
    assert restriction.channel == "email"
    assert ContactPoint.objects.get(customer=customer_account.customer, kind="email").opted_out
    assert not phone(customer_account).opted_out
    [sent] = outbox(settings, "email")
    assert sent["to"] == EMAIL


def test_a_confirmation_the_gate_blocks_is_not_sent(client, settings, customer_account):
    settings.SETTLE_BANK_NAME = "Deadbeat Chasers"  # prohibited wording (an insult)

    post(client, SMS_IN, _stop())

    message = InboundMessage.objects.get()
    assert message.reply_status == "blocked"
    assert not ComplianceDecision.objects.get(pk=message.reply_decision_id).allowed
    assert outbox(settings) == []
    assert not ContactLog.objects.exists()
    assert phone(customer_account).opted_out  # the opt-out itself stands


def test_an_answer_left_pending_by_a_crash_is_sent_on_the_replay(
    client, settings, customer_account, monkeypatch
):
    def crash(**kwargs):
        raise RuntimeError("worker died")

    monkeypatch.setattr(inbound, "answer_send", crash)
    with pytest.raises(RuntimeError):
        post(client, SMS_IN, _stop())
    assert InboundMessage.objects.get().reply_status == "pending"
    assert phone(customer_account).opted_out  # committed before the answer
    monkeypatch.undo()

    post(client, SMS_IN, _stop())
    post(client, SMS_IN, _stop())

    assert InboundMessage.objects.get().reply_status == "sent"
    assert len(outbox(settings)) == 1
    assert ContactLog.objects.count() == 1


def test_an_opt_out_by_sms_stops_the_next_sms_reminder_while_email_still_goes(
    client, settings, customer_account, specialist
):
    plan = active_plan(customer_account, specialist)
    first = plan.installments.order_by("due_date").first()
    reminders_generate(as_of=AS_OF, now=NOW)
    key = f"inst:{first.pk}:{first.due_date.isoformat()}:"
    assert set(
        Reminder.objects.filter(idempotency_key__startswith=key).values_list("channel", flat=True)
    ) == {"sms", "email"}

    post(client, SMS_IN, _stop())
    reminders_send_due(now=NOW + timedelta(minutes=5))

    sms = Reminder.objects.get(idempotency_key__startswith=key, channel="sms")
    email = Reminder.objects.get(idempotency_key__startswith=key, channel="email")
    assert sms.status == Reminder.Status.BLOCKED
    assert "channel_opt_out" in sms.last_error
    assert email.status == Reminder.Status.SENT
    answer = f"inbound:sms:{InboundMessage.objects.get().pk}:answer"
    assert [line["key"] for line in outbox(settings)] == [answer]  # no reminder by SMS
    assert [line["key"] for line in outbox(settings, "email")] == [email.idempotency_key]

    # The next day's generation no longer picks the phone; email is still chosen.
    missed_day = first.due_date + timedelta(days=1)
    with time_machine.travel(datetime(2027, 1, 2, 15, 0, tzinfo=UTC), tick=False):
        settings.BUSINESS_DATE = missed_day.isoformat()
        reminders_generate(as_of=missed_day, now=datetime(2027, 1, 2, 15, 0, tzinfo=UTC))
    missed = Reminder.objects.filter(kind=Reminder.Kind.INSTALLMENT_MISSED)
    assert set(missed.values_list("channel", flat=True)) == {"email"}


# --- START ---------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["START", "unstop"])
def test_start_reopens_what_the_customers_stop_closed(client, settings, customer_account, text):
    from compliance.services import contact_check

    post(client, SMS_IN, _stop("gw-1"))
    response = post(client, SMS_IN, _stop("gw-2", text=text))

    assert response.json()["intent"] == "start"
    point = phone(customer_account)
    assert not point.opted_out and point.opted_out_at is None
    restriction = CommunicationRestriction.objects.get()
    assert restriction.ended_at == NOW and text.upper() in restriction.end_reason.upper()
    # Two answers (the confirmation of each), both logged with their decisions.
    confirmation, welcome = outbox(settings)
    assert "Reply STOP to opt out" in welcome["body"]
    assert ContactLog.objects.filter(direction="outbound", decision__isnull=False).count() == 2
    # A reminder by SMS may go again.
    assert contact_check(
        account=customer_account,
        channel="sms",
        at=NOW + timedelta(hours=1),
        contact_point=point,
        store=False,
    ).allowed


def test_start_does_not_lift_an_opt_out_staff_recorded(client, settings, customer_account):
    point = phone(customer_account)
    ContactPoint.objects.filter(pk=point.pk).update(opted_out=True, opted_out_at=NOW)

    response = post(client, SMS_IN, _stop(text="START"))

    assert response.json()["intent"] == "reply"  # left to staff
    assert phone(customer_account).opted_out
    assert outbox(settings) == []
    assert ContactLog.objects.get().direction == "inbound"
    assert live(customer_account).customer_replied


# --- HELP ------------------------------------------------------------------------------------


def test_help_gets_the_help_text(client, settings, customer_account):
    response = post(client, SMS_IN, _stop(text="help"))

    assert response.json()["intent"] == "help"
    [sent] = outbox(settings)
    assert "First Example Bank" in sent["body"]
    assert "+1 800 555 0199" in sent["body"]
    assert "Reply STOP to opt out" in sent["body"]
    entry = ContactLog.objects.get()
    assert entry.decision_id is not None and entry.message == sent["body"]
    assert ComplianceDecision.objects.get().purpose == Purpose.CUSTOMER_REQUEST
    assert not CommunicationRestriction.objects.exists()
    assert not phone(customer_account).opted_out


# --- Free replies ----------------------------------------------------------------------------


def live(account) -> Account:
    return queue_annotate(Account.objects.filter(pk=account.pk), as_of=AS_OF).get()


def test_a_free_reply_is_on_the_timeline_and_in_the_queue_until_staff_answer(
    client, settings, customer_account, specialist
):
    quiet = owing_account(customer_account.team, assigned_to=specialist, customer__name="Quiet")
    response = post(client, SMS_IN, _stop(text="I can pay 200 on Friday"))

    assert response.json()["intent"] == "reply"
    assert outbox(settings) == []  # nothing is sent back
    entry = ContactLog.objects.get()
    assert (entry.direction, entry.channel, entry.message) == (
        "inbound",
        "sms",
        "I can pay 200 on Friday",
    )
    assert entry.contact_point == phone(customer_account)
    [event] = [e for e in account_timeline(customer_account) if e.kind == "contact"]
    assert event.message == "I can pay 200 on Friday"
    assert "from the customer" in event.title

    assert live(customer_account).customer_replied
    assert not live(quiet).customer_replied
    assert live(customer_account).urgency == urgency.CUSTOMER_REPLIED_POINTS
    client.force_login(specialist)
    page = client.get(reverse("accounts:queue"), {"reason": "customer_replied"})
    assert b"Pat Roe" in page.content and b"Quiet" not in page.content
    assert "Customer replied" in page.content.decode()

    # A system message does not answer it; a specialist's call does.
    post(client, SMS_IN, _stop("gw-2", text="help"))
    assert live(customer_account).customer_replied
    contact_log_create(
        account=customer_account,
        by=specialist,
        channel="call",
        direction="outbound",
        occurred_at=NOW + timedelta(minutes=10),
        outcome="conversation",
        contact_point=phone(customer_account),
    )
    assert not live(customer_account).customer_replied


def test_the_nightly_priority_counts_an_unanswered_reply(client, customer_account, specialist):
    from workspace.nightly import queue_priority_expression

    def priority():
        return (
            Account.objects.filter(pk=customer_account.pk)
            .annotate(p=queue_priority_expression(AS_OF))
            .get()
            .p
        )

    post(client, SMS_IN, _stop(text="call me"))
    waiting = priority()
    contact_log_create(
        account=customer_account,
        by=specialist,
        channel="call",
        direction="outbound",
        occurred_at=NOW + timedelta(minutes=1),
        outcome="no_answer",
        contact_point=phone(customer_account),
    )
    assert waiting - priority() == urgency.CUSTOMER_REPLIED_POINTS


def test_an_email_reply_keeps_its_subject_and_drops_the_quote(client, customer_account):
    post(
        client,
        EMAIL_IN,
        {
            "id": "<r1@mail.example>",
            "from": EMAIL,
            "subject": "Re: payment",
            "text": "I lost my job.\n\nOn Mon, Dec 28, 2026 Bank wrote:\n> Your payment",
        },
    )

    entry = ContactLog.objects.get()
    assert entry.channel == "email" and entry.message == "Re: payment\nI lost my job."
    # Its text is kept once, where retention clears it.
    message = InboundMessage.objects.get()
    assert message.entry == entry and message.body == message.subject == ""


def test_a_reply_goes_on_the_account_last_written_to(client, settings, customer_account, team):
    other = owing_account(team, customer=customer_account.customer)
    ContactLog.objects.create(
        account=other,
        customer=other.customer,
        channel="sms",
        direction="outbound",
        occurred_at=NOW - timedelta(days=1),
        outcome="delivered",
        source="system",
    )

    post(client, SMS_IN, _stop(text="which account?"))

    assert InboundMessage.objects.get().account == other


def test_an_unknown_sender_is_stored_and_ignored(client, settings, customer_account):
    response = post(client, SMS_IN, _stop(sender="+13125550100"))
    nonsense = post(client, SMS_IN, _stop("gw-2", sender="not a number"))

    assert response.status_code == nonsense.status_code == 200
    assert response.json()["known_sender"] is False
    assert InboundMessage.objects.count() == 2
    assert not CommunicationRestriction.objects.exists()
    assert not ContactLog.objects.exists()
    assert not phone(customer_account).opted_out
    assert outbox(settings) == []


def test_a_number_two_customers_share_is_opted_out_for_both(client, settings, customer_account):
    spouse = owing_account(customer_account.team, customer__name="Spouse")
    ContactPointFactory(customer=spouse.customer, value=PHONE)

    post(client, SMS_IN, _stop())

    assert ContactPoint.objects.filter(value=PHONE, opted_out=True).count() == 2
    assert CommunicationRestriction.objects.count() == 2
    assert len(outbox(settings)) == 1  # one phone, one confirmation
