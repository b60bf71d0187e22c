"""What the case page and the queue say: the timeline's contact details (reason for delinquency,
the text of a message, the recording), callback steps, and risk factors in the page's language."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from accounts.models import Account
from accounts.risk import RiskInputs, score
from tests.compliance.factories import ContactLogFactory
from tests.factories import AccountFactory, ContactPointFactory
from workspace.timeline import account_timeline

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _pinned(settings, tmp_path):
    settings.BUSINESS_DATE = "2026-11-23"
    settings.MEDIA_ROOT = tmp_path
    with time_machine.travel(NOW, tick=False):
        yield
    translation.deactivate()


@pytest.fixture
def case(team, specialist):
    account = AccountFactory(team=team, assigned_to=specialist)
    ContactPointFactory(customer=account.customer)
    factors = score(
        RiskInputs(
            days_past_due=45,
            total_balance=account.total_balance,
            currency="USD",
            payments_last_90_days=0,
        )
    ).factors_as_json()
    # An older row, stored before factors had params: English text only.
    factors.append(
        {"code": "broken_promises", "points": 20, "detail": "2 broken promises in 180 days"}
    )
    Account.objects.filter(pk=account.pk).update(risk_factors=factors, risk_tier="high")
    return account


def _contacts(case, specialist):
    call = ContactLogFactory(
        account=case,
        user=specialist,
        occurred_at=NOW - timedelta(hours=3),
        outcome="conversation",
        reason="income_cut",
        notes="Lost overtime",
        message="script A",
    )
    sms = ContactLogFactory(
        account=case,
        channel="sms",
        occurred_at=NOW - timedelta(hours=2),
        outcome="delivered",
        message="Acme Recovery is a debt collector. Your payment is due. Reply STOP to opt out.",
    )
    recorded = ContactLogFactory(
        account=case,
        user=specialist,
        occurred_at=NOW - timedelta(hours=1),
        attachment=SimpleUploadedFile("call.ogg", b"OggS\0\x02 a recording"),
    )
    return call, sms, recorded


def test_contact_events_carry_reason_message_and_recording(case, specialist):
    call, sms, recorded = _contacts(case, specialist)
    with translation.override("en"):
        events = {e.ref: e for e in account_timeline(case) if e.kind == "contact"}
    assert events[call.pk].reason == "Income cut" and events[call.pk].detail == "Lost overtime"
    assert events[call.pk].message == ""  # a call's script is not a message sent
    assert events[sms.pk].message.startswith("Acme Recovery is a debt collector.")
    assert events[recorded.pk].recording == reverse(
        "account-contact-attachment", kwargs={"account_id": case.pk, "pk": recorded.pk}
    )
    assert events[call.pk].recording == ""


def test_the_timeline_api_has_the_new_fields(api, case, specialist):
    call, sms, recorded = _contacts(case, specialist)
    body = api.as_user(specialist).get(f"/api/v1/accounts/{case.pk}/timeline/?kind=contact").json()
    by_ref = {row["ref"]: row for row in body["results"]}
    assert by_ref[call.pk]["reason"] == "Income cut"
    assert by_ref[sms.pk]["message"].endswith("Reply STOP to opt out.")
    assert by_ref[recorded.pk]["recording"].endswith(f"/contacts/{recorded.pk}/attachment/")


def test_the_case_page_shows_them_and_plays_the_recording(client, case, specialist):
    _call, _sms, recorded = _contacts(case, specialist)
    client.force_login(specialist)
    html = client.get(reverse("accounts:detail", args=[case.pk])).content.decode()
    events = html.split('id="timeline"')[1]
    assert "Reason for delinquency: Income cut" in events
    assert "Reply STOP to opt out." in events
    play = reverse("account-contact-attachment", kwargs={"account_id": case.pk, "pk": recorded.pk})
    assert f'<audio controls preload="none" src="{play}"></audio>' in events


def test_the_case_page_and_queue_speak_chinese(client, case, specialist):
    _contacts(case, specialist)
    client.force_login(specialist)
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    html = client.get(reverse("accounts:detail", args=[case.pk])).content.decode()
    factors = html.split("risk-factors")[1].split("</table>")[0]
    assert "逾期 30–59 天" in factors and "90 天内无还款" in factors
    assert "180 天内违约承诺 2 次" in factors  # the old English-only row, translated
    assert "days past due" not in factors
    assert "逾期原因： 收入减少" in html.split('id="timeline"')[1]

    queue = client.get(reverse("accounts:queue")).content.decode()
    row = queue.split(f'data-account="{case.pk}"')[1].split("</tr>")[0]
    assert "逾期 30–59 天" in row and "180 天内违约承诺 2 次" in row


def test_the_current_bucket_is_named_in_the_page_language(client, team, specialist):
    current = AccountFactory(team=team, assigned_to=specialist, delinquent_since=None)
    client.force_login(specialist)
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})

    html = client.get(reverse("accounts:detail", args=[current.pk])).content.decode()
    queue = client.get(reverse("accounts:queue")).content.decode()
    accounts = client.get(reverse("accounts:list")).content.decode()

    assert "M0 (未逾期)" in html and "Current" not in html
    assert '<option value="M0">M0 (未逾期)</option>' in queue
    assert '<option value="M0">M0 (未逾期)</option>' in accounts


def test_a_bucket_label_typed_in_the_admin_is_shown_as_typed(client, team, specialist):
    from accounts.models import BucketRange

    BucketRange.objects.filter(code="M0").update(label="Up to date")
    current = AccountFactory(team=team, assigned_to=specialist, delinquent_since=None)
    client.force_login(specialist)
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})

    html = client.get(reverse("accounts:detail", args=[current.pk])).content.decode()

    assert "M0 (Up to date)" in html
