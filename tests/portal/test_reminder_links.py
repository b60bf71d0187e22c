"""Every reminder carries the customer's portal link: SMS and email as a link, a letter as the
code to type at the portal. The link opens that customer's portal and no one else's."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.portal_links import link_read, link_token_for
from contacts.models import ContactLog, MessageTemplate, Reminder
from outreach.reminders import reminders_send_due
from outreach.strategies import templates_seed
from portal.models import PortalSession
from tests.factories import AccountFactory, ContactPointFactory, TeamFactory
from tests.portal.conftest import NOW, CaptureBackend

pytestmark = pytest.mark.django_db


def _reminder(account, channel, language="en"):
    template = MessageTemplate.objects.filter(channel=channel, language=language).first()
    kind = {"sms": "phone", "email": "email"}.get(channel)
    point = None
    if kind:
        phone = "+8613800138000" if account.customer.jurisdiction == "CN" else "+12125550142"
        value = phone if kind == "phone" else "c@example.test"
        region = "CN" if account.customer.jurisdiction == "CN" else "US"
        point = ContactPointFactory(
            customer=account.customer, kind=kind, value=value, region=region
        )
    return Reminder.objects.create(
        account=account,
        kind=Reminder.Kind.STRATEGY,
        channel=channel,
        contact_point=point,
        template=template,
        idempotency_key=f"k-{channel}-{language}",
        due_at=NOW,
        next_attempt_at=NOW,
    )


@pytest.mark.parametrize("channel", ["sms", "email", "letter"])
def test_each_reminder_carries_the_customers_link(channel, clock):
    templates_seed()
    account = AccountFactory(team=TeamFactory(), customer__address_line="1 Main St")
    _reminder(account, channel)
    summary = reminders_send_due(now=NOW, worker_id="w")
    assert summary.sent == 1, summary
    body = CaptureBackend.sent[0].body
    if channel == "letter":
        token = re.search(r"type the code (\S+)\.", body).group(1)
        assert "https://pay.example.test/p/" in body
    else:
        token = re.search(r"https://pay\.example\.test/p/(\S+)/", body).group(1)
    link = link_read(token, today=date(2026, 11, 23))
    assert link.customer_id == account.customer_id
    assert link.valid_until == date(2026, 12, 23)
    # What was sent is what the log holds and what compliance judged.
    entry = ContactLog.objects.get(channel=channel)
    assert token in entry.message


def test_the_link_line_is_in_the_templates_language(clock):
    templates_seed()
    account = AccountFactory(
        team=TeamFactory(jurisdiction="CN"),
        customer__jurisdiction="CN",
        customer__time_zone="Asia/Shanghai",
        customer__language="zh-hans",
        currency="CNY",
        past_due_amount=Decimal("500.00"),
    )
    _reminder(account, "sms", language="zh-hans")
    afternoon = NOW.replace(hour=7)  # 15:00 in Shanghai
    clock.move_to(afternoon)
    Reminder.objects.update(due_at=afternoon, next_attempt_at=afternoon)
    summary = reminders_send_due(now=afternoon, worker_id="w")
    assert summary.sent == 1, Reminder.objects.get().last_error
    assert "在线还款或办理分期" in CaptureBackend.sent[0].body


def test_the_link_in_a_message_opens_the_portal_for_that_customer(client, clock):
    templates_seed()
    account = AccountFactory(team=TeamFactory())
    _reminder(account, "sms")
    reminders_send_due(now=NOW, worker_id="w")
    url = re.search(r"https://pay\.example\.test(/p/\S+/)", CaptureBackend.sent[0].body).group(1)
    response = client.get(url)
    assert response.status_code == 302 and response.url == reverse("portal:verify")
    assert PortalSession.objects.get().customer_id == account.customer_id


def test_support_staff_print_a_customers_link(capsys, clock):
    from django.core.management import CommandError, call_command

    account = AccountFactory(team=TeamFactory())
    call_command("portal_link", account.number)
    url = capsys.readouterr().out.strip()
    token = url.rsplit("/", 2)[-2]
    assert url.startswith("https://pay.example.test/p/")
    assert link_read(token, today=date(2026, 11, 23)).customer_id == account.customer_id
    with pytest.raises(CommandError, match="No account numbered nope"):
        call_command("portal_link", "nope")


@pytest.mark.parametrize("channel", ["sms", "letter"])
def test_a_link_whose_characters_spell_a_prohibited_word_does_not_block_the_reminder(
    channel, clock
):
    """A token is an id, a day and a random signature: one in some hundred thousand spells a
    word a rule prohibits (as may a customer id in base 36). The wording checks read past a
    token Settle signed, and only past one: the same characters anywhere else still block."""
    from compliance.models import WordingRule
    from compliance.services import contact_check

    templates_seed()
    account = AccountFactory(team=TeamFactory(), customer__address_line="1 Main St")
    token = link_token_for(account.customer_id, today=NOW.date())
    customer_part, day_part, signature = token.split(".")
    # The rules now prohibit this token's signature and its customer id, as words.
    for word in (signature, customer_part):
        WordingRule.objects.create(
            category="insult", language="en", pattern=rf"(?<![\w-]){re.escape(word)}(?![\w-])"
        )
    _reminder(account, channel)
    summary = reminders_send_due(now=NOW, worker_id="w")
    assert summary.sent == 1, Reminder.objects.get().last_error
    assert token in CaptureBackend.sent[0].body

    # The same characters not in a signed token still block: the rule is live.
    forged = f"{customer_part}.{day_part}.{signature[::-1]}"
    for text in (f"You {signature}, pay now.", f"Pay here: https://pay.example.test/p/{forged}/"):
        decision = contact_check(account=account, channel="letter", at=NOW, message=text)
        assert "prohibited_wording" in decision.rule_codes, text
