"""Domain conflicts are a 409 in the API and a form error on the page, never a 500, and nothing
of the refused request is kept: a promise while one is pending, a case moved from a closed
state, a restriction ended twice or held by its dispute, a plan in the wrong state."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from compliance.models import ComplianceDecision
from compliance.services import contact_check, restriction_create
from contacts.models import CaseEvent, ContactLog, Dispute
from outreach.services import dispute_open
from plans.models import PromiseToPay
from plans.services import promise_create
from tests.factories import AccountFactory, ContactPointFactory

pytestmark = pytest.mark.django_db

# Monday 23 Nov 2026, 16:00 UTC = 11:00 in New York.
NOW = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _pinned(settings):
    settings.BUSINESS_DATE = "2026-11-23"
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def account(team, specialist):
    account = AccountFactory(team=team, assigned_to=specialist)
    account.phone = ContactPointFactory(customer=account.customer, value="+12125550142")
    # Promised yesterday on another channel, due Friday: still pending.
    promise_create(
        account=account, amount=Decimal("300.00"), due_date=date(2026, 11, 27), by=specialist
    )
    return account


def _call_with_promise(api, user, account):
    return api.as_user(user).post(
        f"/api/v1/accounts/{account.pk}/contacts/",
        {
            "channel": "call",
            "occurred_at": "2026-11-23T10:30:00-05:00",
            "contact_point": account.phone.pk,
            "outcome": "conversation",
            "disposition": "promise_to_pay",
            "promise_amount": "100.00",
            "promise_date": "2026-11-30",
            "reason": "income_cut",
        },
        format="json",
    )


def _nothing_logged_but_the_decision_kept(account) -> None:
    assert ContactLog.objects.count() == 0
    assert list(PromiseToPay.objects.values_list("amount", flat=True)) == [Decimal("300.00")]
    # The gate's decision stays as evidence of a check made; no entry points to it ...
    decision = ComplianceDecision.objects.get(purpose="contact_log")
    assert decision.allowed
    # ... and it is not a contact: a conversation would start the 7-day quiet period, yet the
    # same call checked again is allowed.
    again = contact_check(
        account=account,
        channel="call",
        at=datetime(2026, 11, 23, 16, 45, tzinfo=UTC),
        contact_point=account.phone,
        store=False,
    )
    assert again.allowed, again.violations


def test_a_second_promise_in_the_api_is_a_409_and_nothing_is_logged(api, specialist, account):
    response = _call_with_promise(api, specialist, account)
    assert response.status_code == 409
    body = response.json()
    assert "already has a pending promise of 300.00 due 2026-11-27" in body["detail"]
    assert body["promise"] == PromiseToPay.objects.get().pk
    _nothing_logged_but_the_decision_kept(account)


def test_a_second_promise_on_the_page_is_a_form_error_and_nothing_is_logged(
    client, specialist, account
):
    client.force_login(specialist)
    response = client.post(
        reverse("contacts:log", args=[account.pk]),
        {
            "channel": "call",
            "direction": "outbound",
            "contact_point": account.phone.pk,
            "occurred_at": "2026-11-23T10:30",
            "outcome": "conversation",
            "disposition": "promise_to_pay",
            "promise_amount": "100.00",
            "promise_date": "2026-11-30",
            "notes": "Will pay more on the 30th",
        },
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "already has a pending promise of 300.00" in html and "Nothing was logged." in html
    assert 'role="alert"' in html
    # The specialist's typing is still in the form, ready to change the disposition.
    assert "Will pay more on the 30th" in html
    _nothing_logged_but_the_decision_kept(account)


# --- Case transitions --------------------------------------------------------------------------
@pytest.fixture
def dispute(account, specialist):
    return dispute_open(account=account, description="Not mine", by=specialist, now=NOW)


def test_moving_a_closed_dispute_is_a_409_and_writes_nothing(api, supervisor, dispute):
    url = f"/api/v1/disputes/{dispute.pk}/transition/"
    client = api.as_user(supervisor)
    assert client.post(url, {"status": "rejected", "note": "Ours"}, format="json").status_code == (
        200
    )
    events = CaseEvent.objects.count()
    response = client.post(url, {"status": "under_review"}, format="json")
    assert response.status_code == 409
    assert response.json() == {
        "detail": "A dispute that is Rejected cannot become Under review.",
        "status": "rejected",
    }
    assert CaseEvent.objects.count() == events
    assert Dispute.objects.get().status == "rejected"


def test_closing_without_a_resolution_stays_a_400_naming_it(api, supervisor, dispute):
    response = api.as_user(supervisor).post(
        f"/api/v1/disputes/{dispute.pk}/transition/", {"status": "resolved"}, format="json"
    )
    assert response.status_code == 400
    assert "resolution" in response.json()


# --- Restrictions ------------------------------------------------------------------------------
def test_ending_a_restriction_twice_or_a_disputes_hold_is_a_409(api, supervisor, account, dispute):
    restriction = restriction_create(
        by=supervisor, account=account, kind="cease_communication", source="customer_written"
    )
    url = f"/api/v1/accounts/{account.pk}/restrictions/{restriction.pk}/end/"
    client = api.as_user(supervisor)
    assert client.post(url, {"reason": "withdrawn"}, format="json").status_code == 200
    assert client.post(url, {"reason": "again"}, format="json").status_code == 409
    hold = dispute.restriction
    response = client.post(
        f"/api/v1/accounts/{account.pk}/restrictions/{hold.pk}/end/", {}, format="json"
    )
    assert response.status_code == 409
    assert "dispute" in response.json()["detail"]


# --- Plans -------------------------------------------------------------------------------------
def test_cancelling_a_cancelled_plan_is_a_409_naming_its_status(api, specialist, team):
    from tests.plans.factories import draft_plan, owing_account

    plan = draft_plan(owing_account(team, assigned_to=specialist), specialist, now=NOW)
    client = api.as_user(specialist)
    url = f"/api/v1/plans/{plan.pk}/cancel/"
    assert client.post(url, {"reason": "customer changed mind"}, format="json").status_code == 200
    response = client.post(url, {"reason": "again"}, format="json")
    assert response.status_code == 409
    assert response.json()["status"] == "cancelled"
