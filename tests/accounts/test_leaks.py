"""Regression tests for the security probe's API and search findings.

1. Every writable relation of the API is limited to what the user may see: another team's
   customer, team, specialist, contact point or contact log answers exactly like an id that
   does not exist.
4. An account number is found only in full or by exactly the masked tail everyone sees, at every
   search entry point (queue, account list, workload page, API), so no one recovers a number
   digit by digit.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from accounts.models import Account, PersonalDataReveal
from accounts.serializers import AccountSerializer
from contacts.models import ContactLog
from tests.factories import AccountFactory, ContactPointFactory, CustomerFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _pinned(settings):
    settings.BUSINESS_DATE = "2026-11-23"
    with time_machine.travel(NOW, tick=False):
        yield


def new_account(customer, team_code, **overrides):
    return {
        "customer": getattr(customer, "pk", customer),
        "number": "4111222233334444",
        "currency": "USD",
        "principal_balance": "1500.00",
        "past_due_amount": "300.00",
        "delinquent_since": "2026-09-01",
        "team": team_code,
        **overrides,
    }


def assert_answered_like_missing(hidden, missing, field, hidden_ref, missing_ref):
    """Both a 400 on ``field`` alone, with the same message once the ids are swapped."""
    assert (hidden.status_code, missing.status_code) == (400, 400), (hidden.json(), missing.json())
    assert list(hidden.json()) == list(missing.json()) == [field]
    assert [m.replace(str(hidden_ref), "<ref>") for m in hidden.json()[field]] == [
        m.replace(str(missing_ref), "<ref>") for m in missing.json()[field]
    ]


# --- 1. Writable relations -------------------------------------------------------------------
def test_a_supervisor_cannot_open_an_account_for_another_teams_customer(
    api, supervisor, team, other_team
):
    theirs = AccountFactory(team=other_team).customer
    client = api.as_user(supervisor)

    hidden = client.post("/api/v1/accounts/", new_account(theirs, team.code), format="json")
    missing = client.post(
        "/api/v1/accounts/", {**new_account(theirs, team.code), "customer": 999999}, format="json"
    )

    assert_answered_like_missing(hidden, missing, "customer", theirs.pk, 999999)
    assert "Invalid pk" in hidden.json()["customer"][0]
    assert not Account.objects.filter(team=team).exists()
    assert client.post(f"/api/v1/customers/{theirs.pk}/reveal/").status_code == 403
    assert not PersonalDataReveal.objects.exists()


def test_a_supervisor_cannot_open_an_account_in_another_team(api, supervisor, team, other_team):
    customer = CustomerFactory()  # new: no account yet, so any team may open its first one
    client = api.as_user(supervisor)

    hidden = client.post("/api/v1/accounts/", new_account(customer, other_team.code), format="json")
    missing = client.post("/api/v1/accounts/", new_account(customer, "nowhere"), format="json")

    assert_answered_like_missing(hidden, missing, "team", other_team.code, "nowhere")
    assert not Account.objects.exists()


def test_a_supervisor_cannot_assign_another_teams_specialist(
    api, supervisor, team, other_specialist
):
    client = api.as_user(supervisor)
    customer = CustomerFactory()

    hidden = client.post(
        "/api/v1/accounts/",
        new_account(customer, team.code, assigned_to=other_specialist.username),
        format="json",
    )
    missing = client.post(
        "/api/v1/accounts/", new_account(customer, team.code, assigned_to="nobody"), format="json"
    )

    assert_answered_like_missing(
        hidden, missing, "assigned_to", other_specialist.username, "nobody"
    )
    assert not Account.objects.exists()


@pytest.mark.parametrize("field", ["customer", "team", "assigned_to"])
def test_a_supervisor_cannot_move_an_account_across_teams(
    api, supervisor, specialist, team, other_team, other_specialist, field
):
    mine = AccountFactory(team=team, assigned_to=specialist)
    theirs = AccountFactory(team=other_team)
    value = {
        "customer": theirs.customer_id,
        "team": other_team.code,
        "assigned_to": other_specialist.username,
    }[field]

    response = api.as_user(supervisor).patch(
        f"/api/v1/accounts/{mine.pk}/", {field: value}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == [field]
    before = (mine.customer_id, mine.team_id, mine.assigned_to_id)
    mine.refresh_from_db()
    assert (mine.customer_id, mine.team_id, mine.assigned_to_id) == before


def test_a_new_customer_then_its_account_in_the_supervisors_team(api, supervisor, team):
    client = api.as_user(supervisor)
    created = client.post(
        "/api/v1/customers/",
        {
            "external_ref": "NEW-1",
            "name": "Jane Roe",
            "time_zone": "Asia/Tokyo",
            "jurisdiction": "US",
        },
        format="json",
    )
    assert created.status_code == 201

    customer = created.json()["id"]
    response = client.post("/api/v1/accounts/", new_account(customer, team.code), format="json")

    assert response.status_code == 201, response.json()
    assert client.get(f"/api/v1/customers/{customer}/").status_code == 200


def test_an_admin_still_opens_accounts_in_any_team(api, admin_user, other_team, other_specialist):
    theirs = AccountFactory(team=other_team).customer
    response = api.as_user(admin_user).post(
        "/api/v1/accounts/",
        new_account(theirs, other_team.code, assigned_to=other_specialist.username),
        format="json",
    )
    assert response.status_code == 201, response.json()


def test_a_scoped_relation_without_a_request_sees_nothing(team):
    customer = AccountFactory(team=team).customer
    serializer = AccountSerializer(data=new_account(customer, team.code))
    assert not serializer.is_valid()
    assert set(serializer.errors) == {"customer", "team"}


@pytest.fixture
def mine(team, specialist):
    account = AccountFactory(team=team, assigned_to=specialist)
    ContactPointFactory(customer=account.customer)
    return account


@pytest.fixture
def theirs(other_team, other_specialist):
    account = AccountFactory(team=other_team, assigned_to=other_specialist)
    ContactPointFactory(customer=account.customer)
    return account


def a_contact(account, user):
    return ContactLog.objects.create(
        account=account,
        customer=account.customer,
        channel="call",
        direction="outbound",
        occurred_at=NOW,
        outcome="conversation",
        user=user,
    )


def test_a_contact_log_cannot_name_another_teams_contact_point(api, specialist, mine, theirs):
    point = theirs.customer.contact_points.get()
    url = f"/api/v1/accounts/{mine.pk}/contacts/"
    body = {"channel": "call", "occurred_at": "2026-11-23T10:00:00-05:00", "outcome": "no_answer"}
    client = api.as_user(specialist)

    hidden = client.post(url, {**body, "contact_point": point.pk}, format="json")
    missing = client.post(url, {**body, "contact_point": 999999}, format="json")

    assert_answered_like_missing(hidden, missing, "contact_point", point.pk, 999999)
    assert not ContactLog.objects.filter(account=mine).exists()


def test_a_contact_log_cannot_correct_another_teams_entry(
    api, specialist, other_specialist, mine, theirs
):
    entry = a_contact(theirs, other_specialist)
    url = f"/api/v1/accounts/{mine.pk}/contacts/"
    body = {"channel": "call", "occurred_at": "2026-11-23T10:00:00-05:00", "outcome": "no_answer"}
    client = api.as_user(specialist)

    hidden = client.post(url, {**body, "corrects": entry.pk}, format="json")
    missing = client.post(url, {**body, "corrects": 999999}, format="json")

    assert_answered_like_missing(hidden, missing, "corrects", entry.pk, 999999)


def test_a_restriction_cannot_name_another_teams_contact_point(api, specialist, mine, theirs):
    point = theirs.customer.contact_points.get()
    url = f"/api/v1/accounts/{mine.pk}/restrictions/"
    body = {"kind": "channel_opt_out", "source": "customer_verbal"}
    client = api.as_user(specialist)

    hidden = client.post(url, {**body, "contact_point": point.pk}, format="json")
    missing = client.post(url, {**body, "contact_point": 999999}, format="json")

    assert_answered_like_missing(hidden, missing, "contact_point", point.pk, 999999)


def test_a_promise_cannot_cite_another_teams_contact(
    api, specialist, other_specialist, mine, theirs
):
    entry = a_contact(theirs, other_specialist)
    url = f"/api/v1/accounts/{mine.pk}/promises/"
    body = {"amount": "100.00", "due_date": "2026-11-30"}
    client = api.as_user(specialist)

    hidden = client.post(url, {**body, "contact": entry.pk}, format="json")
    missing = client.post(url, {**body, "contact": 999999}, format="json")

    assert_answered_like_missing(hidden, missing, "contact", entry.pk, 999999)


# --- 4. Account number search ----------------------------------------------------------------
NUMBER = "4716023958104472"
MATCHES = [NUMBER, "4472", "jane", "REF-77"]
MISSES = ["04472", "104472", NUMBER[1:], NUMBER[:-1], "4716", "0239", "23958", "REF-7"]


@pytest.fixture
def searched(team, specialist):
    return AccountFactory(
        team=team,
        assigned_to=specialist,
        number=NUMBER,
        customer__name="Jane Roe",
        customer__external_ref="REF-77",
    )


def found_on_queue(client, specialist, q):
    client.force_login(specialist)
    rows = client.get(reverse("accounts:queue"), {"q": q}).context["rows"]
    return [row["account"].pk for row in rows]


def found_on_account_list(client, specialist, q):
    client.force_login(specialist)
    return [a.pk for a in client.get(reverse("accounts:list"), {"q": q}).context["page"]]


def found_on_workload(client, supervisor, q):
    client.force_login(supervisor)
    return [a.pk for a in client.get(reverse("dashboards:workload"), {"q": q}).context["page"]]


def found_by_api(api, specialist, q):
    response = api.as_user(specialist).get("/api/v1/accounts/", {"search": q})
    assert response.status_code == 200
    return [row["id"] for row in response.json()["results"]]


@pytest.mark.parametrize("q", MATCHES + MISSES)
def test_search_matches_a_number_only_in_full_or_by_its_masked_tail(
    client, api, specialist, supervisor, searched, q
):
    expected = [searched.pk] if q in MATCHES else []
    assert found_on_queue(client, specialist, q) == expected
    assert found_on_account_list(client, specialist, q) == expected
    assert found_on_workload(client, supervisor, q) == expected
    assert found_by_api(api, specialist, q) == expected


def test_the_search_rule_is_one_queryset_method(searched):
    assert list(Account.objects.search("4472")) == [searched]
    assert list(Account.objects.search("58104472")) == []
    assert Account.objects.search("  ").count() == 1  # blank: no filter
