"""The customer's side on a phone: from a reminder's link, verify, choose a plan, pay the first
installment through the fake provider, and the specialist sees it on the case. Once in English
and once in 简体中文 (the customer's language), with the clock pinned."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from importlib import import_module

import pytest
import time_machine
from django.apps import apps

from accounts.models import User
from contacts.models import MessageTemplate, Reminder
from outreach.backends import BaseBackend
from outreach.reminders import reminders_send_due
from outreach.strategies import templates_seed
from plans.models import AcceptanceChannel, InstallmentStatus, Payment, Plan, PlanStatus
from tests.conftest import _user
from tests.e2e.conftest import ARTIFACTS, login
from tests.factories import ContactPointFactory, TeamFactory
from tests.plans.factories import owing_account

NOW = {
    "en": datetime(2026, 11, 23, 15, 0, tzinfo=UTC),  # 10:00 in New York
    "zh-hans": datetime(2026, 11, 23, 3, 0, tzinfo=UTC),  # 11:00 in Shanghai
}
DOB = date(1984, 3, 9)
PHONE = {"width": 390, "height": 844}

WORDS = {
    "en": {
        "continue": "Continue",
        "send": "Send the code",
        "confirm": "Confirm",
        "act": "See and act",
        "plans": "See plans",
        "accept": "Accept this plan",
        "done": "Your plan is in place",
        "signed_in": "Signed in to the portal",
        "accepted": "Accepted a plan online",
        "started": "Started an online payment",
        "pay": "Pay",
    },
    "zh-hans": {
        "continue": "继续",
        "send": "发送验证码",
        "confirm": "确认",
        "act": "查看并办理",
        "plans": "查看分期方案",
        "accept": "接受此方案",
        "done": "您的分期已生效",
        "signed_in": "登录了自助门户",
        "accepted": "在线接受了分期方案",
        "started": "发起了在线支付",
        "pay": "付款",
    },
}


class Outbox(BaseBackend):
    sent: list = []

    def send(self, message):
        Outbox.sent.append(message)
        return message.idempotency_key


@pytest.fixture
def clock(settings, language):
    settings.BUSINESS_DATE = ""
    with time_machine.travel(NOW[language], tick=True) as traveller:
        yield traveller


@pytest.fixture
def outbox(settings, live_server):
    Outbox.sent = []
    path = "tests.e2e.test_portal_phone.Outbox"
    settings.SETTLE_CHANNEL_BACKENDS = {"sms": path, "email": path, "letter": path}
    settings.SETTLE_PORTAL_BASE_URL = live_server.url
    return Outbox


def plan_first_installment(account):
    return Plan.objects.get(account=account).installments.order_by("due_date").first()


def phone_page(browser, request, language: str):
    context = browser.new_context(
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN" if language != "en" else "en-US",
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    shots = ARTIFACTS / request.node.name
    shots.mkdir(parents=True, exist_ok=True)
    counter = iter(range(1, 100))
    page.snap = lambda name: page.screenshot(
        path=shots / f"{next(counter):02d}-phone-{name}.png", full_page=True
    )
    # The portal's pages (and the fake provider's) pass the Content-Security-Policy too.
    page.refused = []
    page.on(
        "console",
        lambda message: (
            page.refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return context, page


@pytest.mark.parametrize(
    ("language", "browser_locale"), [("en", "en-US"), ("zh-hans", "zh-CN")], ids=["en", "zh"]
)
def test_from_a_reminder_to_a_plan_paid_online(
    browser, page, request, live_server, clock, outbox, language, browser_locale
):
    words = WORDS[language]
    now = NOW[language]
    cn = language != "en"
    team = TeamFactory(code="cn-sh" if cn else "us-east", jurisdiction="CN" if cn else "US")
    _user("specialist", team, "sam")
    import_module("contacts.migrations.0008_reminder_defaults").strategies_create(apps, None)
    templates_seed()
    account = owing_account(
        team,
        assigned_to=User.objects.get(username="sam"),
        customer__name="Jane Roe",
        customer__language=language,
        customer__date_of_birth=DOB,
        customer__jurisdiction="CN" if cn else "US",
        customer__time_zone="Asia/Shanghai" if cn else "America/New_York",
        currency="CNY" if cn else "USD",
        delinquent_since=now.date() - timedelta(days=40),
    )
    point = ContactPointFactory(
        customer=account.customer,
        value="+8613800138000" if cn else "+12125550142",
        region="CN" if cn else "US",
    )
    Reminder.objects.create(
        account=account,
        kind=Reminder.Kind.STRATEGY,
        channel="sms",
        contact_point=point,
        template=MessageTemplate.objects.filter(channel="sms", language=language).first(),
        idempotency_key=f"e2e-{language}",
        due_at=now,
        next_attempt_at=now,
    )
    assert reminders_send_due(now=now, worker_id="e2e").sent == 1
    link = re.search(r"(http://\S+/p/\S+/)", outbox.sent[0].body).group(1)

    context, phone = phone_page(browser, request, language)
    try:
        phone.goto(link)
        phone.wait_for_selector("#id_date_of_birth")
        phone.snap("verify")
        phone.fill("#id_date_of_birth", DOB.isoformat())
        phone.click(f"button:has-text('{words['continue']}')")
        phone.check(f"input[name=point][value='{point.pk}']")
        phone.click(f"button:has-text('{words['send']}')")
        code = re.search(r"\b(\d{6})\b", outbox.sent[-1].body).group(1)
        phone.fill("#id_code", code)
        phone.snap("code")
        phone.click(f"button:has-text('{words['confirm']}')")
        phone.wait_for_selector("[data-figure=balance]")
        phone.snap("home")
        phone.click(f"a:has-text('{words['act']}')")
        phone.click(f"a:has-text('{words['plans']}')")
        option = phone.locator(".plan-option[data-installments='6']")
        option.locator("input[name=agree]").check()
        phone.snap("plan")
        option.locator(f"button:has-text('{words['accept']}')").click()
        phone.wait_for_selector("[data-done=plan]")
        assert words["done"] in phone.inner_text("[data-done=plan]")
        phone.snap("plan-in-place")
        # The first installment, through the provider's hosted page (the local fake).
        first = plan_first_installment(account)
        assert phone.input_value("#id_amount") == f"{first.amount:.2f}"
        phone.click(f"form[action$='/pay/'] button:has-text('{words['pay']}')")
        phone.wait_for_selector("button.pay")
        phone.snap("provider")
        phone.click("button.pay")
        phone.wait_for_selector("[data-checkout=paid]")
        phone.snap("paid")
        assert phone.refused == [], f"the Content-Security-Policy refused: {phone.refused}"
    finally:
        context.close()

    plan = Plan.objects.get(account=account)
    assert plan.status == PlanStatus.ACTIVE
    payment = Payment.objects.get(account=account)
    assert payment.source == Payment.Source.PORTAL
    assert payment.amount == plan.installments.order_by("due_date").first().amount
    assert plan.installments.order_by("due_date").first().status == InstallmentStatus.PAID
    assert plan.acceptance_channel == AcceptanceChannel.SELF_SERVICE

    # The specialist sees what the customer did, on the case.
    login(page, live_server, "sam")
    page.goto(f"{live_server.url}/accounts/{account.pk}/")
    page.wait_for_selector("#timeline")
    timeline = page.inner_text("#timeline")
    assert words["accepted"] in timeline and words["signed_in"] in timeline
    assert words["started"] in timeline and payment.reference in timeline
    page.snap("specialist-sees-it")


@pytest.mark.parametrize("language", ["en"])
def test_a_stop_reply_stops_the_next_sms_reminder(
    page, live_server, settings, clock, outbox, language
):
    """The customer answers a reminder with STOP: the gateway's signed webhook closes the SMS
    channel, the customer gets one confirmation, the next SMS reminder is blocked while email
    still goes, and the specialist sees why on the case."""
    import json
    import urllib.request

    from tests.outreach.fake_gateway import FakeGateway

    settings.SETTLE_INBOUND_WEBHOOK_SECRET = "e2e-inbound-secret"
    now = NOW[language]
    import_module("contacts.migrations.0008_reminder_defaults").strategies_create(apps, None)
    templates_seed()
    team = TeamFactory(code="us-east", jurisdiction="US")
    _user("specialist", team, "sam")
    account = owing_account(team, assigned_to=User.objects.get(username="sam"))
    phone = ContactPointFactory(customer=account.customer, value="+12125550142")
    email = ContactPointFactory(customer=account.customer, kind="email", value="jane@example.com")

    def reminder(channel, point, key):
        return Reminder.objects.create(
            account=account,
            kind=Reminder.Kind.STRATEGY,
            channel=channel,
            contact_point=point,
            template=MessageTemplate.objects.filter(channel=channel, language="en").first(),
            idempotency_key=key,
            due_at=now,
            next_attempt_at=now,
        )

    reminder("sms", phone, "before-stop")
    assert reminders_send_due(now=now, worker_id="e2e").sent == 1

    body, headers = FakeGateway.signed(
        {"id": "gw-msg-1", "from": "+1 212 555 0142", "text": " Stop "},
        secret="e2e-inbound-secret",
        at=now,
    )
    request = urllib.request.Request(  # noqa: S310 - the live test server
        f"{live_server.url}/webhooks/sms/inbound/",
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "X-Settle-Timestamp": headers["HTTP_X_SETTLE_TIMESTAMP"],
            "X-Settle-Signature": headers["HTTP_X_SETTLE_SIGNATURE"],
        },
    )
    with urllib.request.urlopen(request) as response:  # noqa: S310 - the live test server
        assert response.status == 200, json.loads(response.read())
    confirmations = [m for m in outbox.sent if m.idempotency_key.startswith("inbound:")]
    assert [m.to for m in confirmations] == ["+12125550142"]  # one confirmation, to the sender

    sms = reminder("sms", phone, "after-stop-sms")
    mail = reminder("email", email, "after-stop-email")
    summary = reminders_send_due(now=now, worker_id="e2e")
    sms.refresh_from_db()
    mail.refresh_from_db()
    assert sms.status == Reminder.Status.BLOCKED and "channel_opt_out" in sms.last_error
    assert mail.status == Reminder.Status.SENT and summary.sent == 1

    login(page, live_server, "sam")
    page.goto(f"{live_server.url}/accounts/{account.pk}/")
    page.wait_for_selector("#timeline")
    assert "Stop" in page.inner_text("#timeline")
    page.snap("specialist-sees-the-stop")
