"""No 5xx on any input: each finding of the security probe, as the request that answered 500
(or that was accepted when it should not have been), and the answer it gets now."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from contacts.models import Dispute
from plans.services import payment_post
from tests.factories import AccountFactory, ContactPointFactory, CustomerFactory
from tests.plans.factories import NOW, owing_account

pytestmark = pytest.mark.django_db

FAR_FUTURE, FAR_PAST = "9999-12-31", "0001-01-01"


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def account(team, specialist):
    account = AccountFactory(
        team=team, assigned_to=specialist, customer__time_zone="America/New_York"
    )
    ContactPointFactory(customer=account.customer, value="+12125550142")
    return account


def _field_error(response, field):
    assert response.status_code == 400, (response.status_code, response.content[:300])
    assert field in response.json(), response.json()


# --- Dates near the ends of the calendar ------------------------------------------------------
@pytest.mark.parametrize("day", [FAR_FUTURE, FAR_PAST])
def test_a_quote_starting_at_the_ends_of_the_calendar_is_a_400(api, specialist, day):
    body = {
        "principal": "1000.00",
        "method": "equal_installment",
        "annual_rate": "0.12",
        "installments": 12,
        "start_date": day,
    }
    response = api.as_user(specialist).post("/api/v1/plans/quote/", body, format="json")
    _field_error(response, "start_date")


@pytest.mark.parametrize("day", [FAR_FUTURE, FAR_PAST])
def test_plan_options_at_the_ends_of_the_calendar_are_a_400(api, specialist, account, day):
    response = api.as_user(specialist).get(
        f"/api/v1/accounts/{account.pk}/plan-options/?start_date={day}"
    )
    _field_error(response, "start_date")


@pytest.mark.parametrize("at", [f"{FAR_FUTURE}T23:59:59-05:00", f"{FAR_PAST}T00:00:00+05:00"])
def test_a_compliance_check_at_the_ends_of_time_is_a_400(api, specialist, account, at):
    body = {"account": account.pk, "channel": "call", "at": at}
    response = api.as_user(specialist).post("/api/v1/compliance/check/", body, format="json")
    _field_error(response, "at")


@pytest.mark.parametrize("at", [f"{FAR_FUTURE}T23:59:59-05:00", f"{FAR_PAST}T00:00:00+05:00"])
def test_a_contact_logged_at_the_ends_of_time_is_a_400(api, specialist, account, at):
    body = {"channel": "call", "direction": "outbound", "occurred_at": at, "outcome": "no_answer"}
    response = api.as_user(specialist).post(
        f"/api/v1/accounts/{account.pk}/contacts/", body, format="json"
    )
    _field_error(response, "occurred_at")


def test_a_promise_due_in_9999_is_a_400(api, specialist, team):
    debtor = owing_account(team)
    response = api.as_user(specialist).post(
        f"/api/v1/accounts/{debtor.pk}/promises/",
        {"amount": "200.00", "due_date": FAR_FUTURE},
        format="json",
    )
    _field_error(response, "due_date")


def test_a_payment_received_in_year_one_is_a_400(api, supervisor, team):
    debtor = owing_account(team)
    body = {"amount": "150.00", "received_at": f"{FAR_PAST}T09:00:00+00:00", "reference": "B-1"}
    response = api.as_user(supervisor).post(
        f"/api/v1/accounts/{debtor.pk}/payments/", body, format="json"
    )
    _field_error(response, "received_at")


@pytest.mark.parametrize(("field", "value"), [("delinquent_since", FAR_PAST), ("currency", "ZZZ")])
def test_an_account_with_absurd_values_is_a_400(api, supervisor, team, field, value):
    customer = CustomerFactory()
    body = {
        "customer": customer.pk,
        "number": "4111222233334444",
        "currency": "USD",
        "principal_balance": "1500.00",
        "delinquent_since": "2026-09-01",
        "team": team.code,
        field: value,
    }
    response = api.as_user(supervisor).post("/api/v1/accounts/", body, format="json")
    _field_error(response, field)


# --- Numbers and sizes --------------------------------------------------------------------------
def test_a_days_past_due_filter_of_millions_is_a_400(api, specialist, account):
    response = api.as_user(specialist).get("/api/v1/accounts/?dpd_min=3000000")
    _field_error(response, "dpd_min")


def test_a_huge_specialist_on_the_queue_is_ignored(client, supervisor, account):
    client.force_login(supervisor)
    response = client.get(reverse("accounts:queue"), {"specialist": "9" * 30})
    assert response.status_code == 200


def test_a_dashboard_range_ending_in_9999_is_a_form_error(client, supervisor, account):
    client.force_login(supervisor)
    response = client.get(reverse("dashboards:dashboard"), {"date_to": FAR_FUTURE})
    assert response.status_code in (200, 400)
    assert response.status_code != 500


def test_json_nested_100000_deep_is_a_json_400(api, specialist):
    body = "[" * 100_000 + "]" * 100_000
    response = api.as_user(specialist).post(
        "/api/v1/plans/quote/", body, content_type="application/json"
    )
    assert response.status_code == 400
    assert "nested" in response.json()["detail"]


def test_json_nested_past_the_limit_is_a_400(api, specialist):
    deep = '{"principal": ' + "[" * 70 + "1" + "]" * 70 + "}"
    response = api.as_user(specialist).post(
        "/api/v1/plans/quote/", deep, content_type="application/json"
    )
    assert response.status_code == 400
    assert "nested" in response.json()["detail"]


def test_a_body_over_the_limit_is_a_json_413(api, specialist, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = json.dumps({"message": "x" * 20_000})
    response = api.as_user(specialist).post(
        "/api/v1/compliance/check/", body, content_type="application/json"
    )
    assert response.status_code == 413
    assert response["Content-Type"].startswith("application/json")


def test_a_message_over_the_limit_is_a_400_naming_it(api, specialist, account):
    body = {"account": account.pk, "channel": "sms", "message": "pay now " * 5_000}
    response = api.as_user(specialist).post("/api/v1/compliance/check/", body, format="json")
    _field_error(response, "message")


def test_notes_over_the_limit_are_a_400_naming_them(api, specialist, account):
    body = {
        "channel": "call",
        "direction": "outbound",
        "occurred_at": "2026-11-20T15:00:00-05:00",
        "outcome": "no_answer",
        "notes": "n" * 5_000,
    }
    response = api.as_user(specialist).post(
        f"/api/v1/accounts/{account.pk}/contacts/", body, format="json"
    )
    _field_error(response, "notes")


def test_an_unknown_api_path_answers_json(api, specialist):
    response = api.as_user(specialist).get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")


# --- A dispute's hold ---------------------------------------------------------------------------
def test_a_supervisor_cannot_end_a_hold_while_its_dispute_is_open(
    api, specialist, supervisor, account
):
    logged = api.as_user(specialist).post(
        f"/api/v1/accounts/{account.pk}/contacts/",
        {
            "channel": "call",
            "direction": "outbound",
            "occurred_at": "2026-11-20T15:00:00-05:00",
            "outcome": "conversation",
            "disposition": "dispute",
        },
        format="json",
    )
    assert logged.status_code == 201, logged.json()
    dispute = Dispute.objects.get()
    url = f"/api/v1/accounts/{account.pk}/restrictions/{dispute.restriction_id}/end/"

    response = api.as_user(supervisor).post(url, {"reason": "calling anyway"}, format="json")

    assert response.status_code == 409
    dispute.restriction.refresh_from_db()
    assert dispute.restriction.ended_at is None


def test_a_reference_used_in_another_team_answers_without_its_ids(
    api, supervisor, team, other_team
):
    theirs = owing_account(other_team)
    ours = owing_account(team)
    received = datetime.fromisoformat("2026-11-23T09:00:00-05:00")
    paid = payment_post(
        account=theirs, by=None, reference="B-9", amount=Decimal("150.00"), received_at=received
    ).payment
    body = {"amount": "150.00", "received_at": received.isoformat(), "reference": "B-9"}

    response = api.as_user(supervisor).post(
        f"/api/v1/accounts/{ours.pk}/payments/", body, format="json"
    )

    assert response.status_code == 409
    assert set(response.json()) == {"detail"}
    assert str(paid.pk) not in json.dumps(response.json())


@pytest.mark.parametrize("value", ["²", "9" * 30, "-1", "abc"])
def test_odd_specialist_parameters_on_the_queue_and_workload_are_ignored(
    client, supervisor, account, value
):
    client.force_login(supervisor)
    assert client.get(reverse("accounts:queue"), {"specialist": value}).status_code == 200
    assert client.get(reverse("dashboards:workload"), {"specialist": value}).status_code == 200


def test_another_teams_account_says_so(api, other_specialist, account):
    response = api.as_user(other_specialist).get(f"/api/v1/accounts/{account.pk}/")
    assert response.status_code == 403
    assert "another team" in response.json()["detail"]


@pytest.mark.parametrize("at", ["2026-11-20T15:00:00-16:02", "2026-11-20T15:00:00+15:30"])
def test_a_time_with_an_offset_no_zone_has_is_a_400(api, specialist, account, at):
    """Found by fuzzing: PostgreSQL stores no offset past ±15:59, so -16:02 answered 500."""
    body = {"account": account.pk, "channel": "call", "at": at}
    response = api.as_user(specialist).post("/api/v1/compliance/check/", body, format="json")
    _field_error(response, "at")
