"""The "Log a contact" page: live compliance check (htmx), server-side re-check, dispositions."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from compliance.models import CommunicationRestriction, ComplianceDecision
from contacts.models import CallbackTask, ContactLog, Dispute
from tests.factories import AccountFactory, ContactPointFactory

pytestmark = pytest.mark.django_db

# Monday 23 Nov 2026, 16:00 UTC = 11:00 in New York.
NOW = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _pinned(settings):
    settings.BUSINESS_DATE = "2026-11-23"
    with time_machine.travel(NOW, tick=False):
        yield
    # A page shown in Chinese activates it for this thread; the next test starts in English.
    translation.deactivate()


@pytest.fixture
def case(team, specialist):
    account = AccountFactory(team=team, assigned_to=specialist)
    account.point = ContactPointFactory(customer=account.customer, value="+12125550142")
    return account


def fields(case, **overrides):
    data = {
        "channel": "call",
        "direction": "outbound",
        "contact_point": case.point.pk,
        "occurred_at": "2026-11-23T10:30",  # New York
        "outcome": "conversation",
        "disposition": "",
        "reason": "",
        "notes": "",
        "message": "",
    }
    data.update(overrides)
    return data


def check(client, case, **overrides):
    return client.post(reverse("contacts:check", args=[case.pk]), fields(case, **overrides))


def test_live_check_allows_a_daytime_call_and_stores_nothing(client, specialist, case):
    client.force_login(specialist)
    response = check(client, case)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-check="allowed"' in html
    assert 'id="log-submit"' in html and "hx-swap-oob" in html and " disabled" not in html
    assert ComplianceDecision.objects.count() == 0


def test_live_check_blocks_a_late_call_with_the_rule_and_next_allowed_time(
    client, specialist, case
):
    client.force_login(specialist)
    html = check(client, case, occurred_at="2026-11-20T22:30").content.decode()
    assert 'data-check="blocked"' in html
    assert "contact_window" in html and "1006.6(b)(1)(i)" in html
    # Next allowed: 08:00 the next morning in New York, 13:00 UTC.
    assert "2026-11-21 08:00" in html and "America/New_York" in html
    assert "2026-11-21 13:00 UTC" in html
    assert 'id="log-submit"' in html and "disabled" in html
    assert ComplianceDecision.objects.count() == 0


def test_live_check_highlights_prohibited_wording(client, specialist, case):
    client.force_login(specialist)
    html = check(
        client, case, channel="sms", message="Pay now <b>deadbeat</b> or else"
    ).content.decode()
    assert "<mark" in html and "deadbeat</mark>" in html
    assert "&lt;b&gt;" in html  # the rest of the message is escaped, not rendered
    assert 'data-check="blocked"' in html


def test_live_check_of_an_inbound_call_needs_no_outbound_rules(client, specialist, case):
    client.force_login(specialist)
    html = check(client, case, channel="inbound_call", occurred_at="2026-11-20T23:30").content
    assert b"Inbound contact" in html


def test_live_check_with_a_half_typed_form_does_not_fail(client, specialist, case):
    client.force_login(specialist)
    response = check(client, case, occurred_at="", promise_amount="abc")
    assert response.status_code == 200


def test_a_blocked_contact_is_refused_on_submit_and_nothing_is_logged(client, specialist, case):
    client.force_login(specialist)
    response = client.post(
        reverse("contacts:log", args=[case.pk]), fields(case, occurred_at="2026-11-20T22:30")
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "Compliance blocked this contact" in html and "contact_window" in html
    assert ContactLog.objects.count() == 0
    # The gate stored its blocked decision (evidence), as contact_log_create documents.
    assert ComplianceDecision.objects.filter(allowed=False).count() == 1


def test_an_allowed_call_with_a_promise_is_logged_with_its_decision(client, specialist, case):
    client.force_login(specialist)
    response = client.post(
        reverse("contacts:log", args=[case.pk]),
        fields(
            case,
            disposition="promise_to_pay",
            promise_amount="75.50",
            promise_date="2026-11-30",
            reason="income_cut",
            notes="Will pay on Monday",
        ),
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:detail", args=[case.pk])
    entry = ContactLog.objects.get()
    assert entry.user == specialist and entry.reason == "income_cut"
    assert entry.occurred_at == datetime(2026, 11, 23, 15, 30, tzinfo=UTC)
    assert ComplianceDecision.objects.get(pk=entry.decision_id).allowed
    promise = case.promises.get()
    assert str(promise.amount) == "75.50" and promise.due_date == date(2026, 11, 30)


def test_a_promise_without_an_amount_is_a_form_error(client, specialist, case):
    client.force_login(specialist)
    response = client.post(
        reverse("contacts:log", args=[case.pk]),
        fields(case, disposition="promise_to_pay", promise_date="2026-11-30"),
    )
    assert response.status_code == 400
    assert b"A promise to pay needs an amount." in response.content
    assert ContactLog.objects.count() == 0


def test_a_contact_in_the_future_is_refused(client, specialist, case):
    client.force_login(specialist)
    response = client.post(
        reverse("contacts:log", args=[case.pk]), fields(case, occurred_at="2026-11-24T10:00")
    )
    assert response.status_code == 400
    assert ContactLog.objects.count() == 0


def test_without_javascript_the_page_shows_the_check_after_a_post(client, specialist, case):
    client.force_login(specialist)
    # Invalid (no outcome) but checkable: the server renders the verdict into the page.
    response = client.post(
        reverse("contacts:log", args=[case.pk]),
        fields(case, outcome="", occurred_at="2026-11-20T22:30"),
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert 'data-check="blocked"' in html and "disabled" in html


@pytest.mark.parametrize(
    ("disposition", "extra"),
    [
        ("dispute", {"dispute_kind": "not_mine"}),
        ("cease_request", {"cease_in_writing": "on"}),
        ("callback_requested", {"callback_at": "2026-11-24T15:00"}),
    ],
)
def test_dispositions_take_effect(client, specialist, case, disposition, extra):
    client.force_login(specialist)
    response = client.post(
        reverse("contacts:log", args=[case.pk]), fields(case, disposition=disposition, **extra)
    )
    assert response.status_code == 302
    if disposition == "dispute":
        assert Dispute.objects.get(account=case).kind == "not_mine"
    elif disposition == "cease_request":
        restriction = CommunicationRestriction.objects.get(customer=case.customer)
        assert restriction.source == "customer_written"
    else:
        task = CallbackTask.objects.get(account=case)
        assert task.due_at == datetime(2026, 11, 24, 20, 0, tzinfo=UTC)


def test_the_log_page_renders_in_chinese(client, specialist, case):
    client.force_login(specialist)
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    html = client.get(reverse("contacts:log", args=[case.pk])).content.decode()
    assert 'lang="zh-hans"' in html
    assert "America/New_York" in html


def test_rule_reasons_are_shown_in_chinese_while_the_stored_decision_stays_english(
    client, specialist, case
):
    client.force_login(specialist)
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    html = check(client, case, occurred_at="2026-11-20T22:30").content.decode()
    assert "不在允许的联系时段 08:00-21:00（当地时间）内" in html
    assert "Outside the allowed contact hours" not in html

    client.post(
        reverse("contacts:log", args=[case.pk]), fields(case, occurred_at="2026-11-20T22:30")
    )
    stored = ComplianceDecision.objects.get(account=case)
    assert stored.violations[0]["message"].startswith(
        "Outside the allowed contact hours 08:00-21:00"
    )
