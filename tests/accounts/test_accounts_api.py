"""The accounts and customers API: auth, team scope, validation, audit and masking."""

from datetime import date
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType

from accounts.models import Account, BucketHistory, Customer, PersonalDataReveal
from tests.factories import AccountFactory, ContactPointFactory, CustomerFactory

pytestmark = pytest.mark.django_db


def new_account_payload(customer_, team_, **overrides):
    payload = {
        "customer": customer_.pk,
        "number": "4111222233334444",
        "currency": "USD",
        "principal_balance": "1500.00",
        "interest_balance": "20.00",
        "fee_balance": "0.00",
        "past_due_amount": "300.00",
        "minimum_due": "60.00",
        "delinquent_since": "2026-09-01",
        "team": team_.code,
    }
    payload.update(overrides)
    return payload


def test_token_endpoint_returns_a_token_for_valid_credentials(api, specialist):
    response = api.post(
        "/api/v1/auth/token/", {"username": "sam", "password": "pw-for-tests-123"}, format="json"
    )
    assert response.status_code == 200
    assert len(response.json()["token"]) == 40


def test_token_endpoint_rejects_a_wrong_password(api, specialist):
    response = api.post(
        "/api/v1/auth/token/", {"username": "sam", "password": "nope"}, format="json"
    )
    assert response.status_code == 400


def test_anonymous_requests_are_refused(api):
    assert api.get("/api/v1/accounts/").status_code == 401


def test_a_user_without_a_role_is_refused(api, team):
    from tests.factories import UserFactory

    assert api.as_user(UserFactory(team=team)).get("/api/v1/accounts/").status_code == 403


def test_specialist_lists_only_their_teams_accounts(api, specialist, team, other_team):
    mine = AccountFactory(team=team)
    AccountFactory(team=other_team)
    response = api.as_user(specialist).get("/api/v1/accounts/")
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [mine.pk]


def test_specialist_cannot_open_another_teams_account(api, specialist, other_team):
    theirs = AccountFactory(team=other_team)
    assert api.as_user(specialist).get(f"/api/v1/accounts/{theirs.pk}/").status_code == 403


def test_specialist_cannot_open_another_teams_customer(api, specialist, other_team):
    theirs = AccountFactory(team=other_team)
    client = api.as_user(specialist)
    assert client.get(f"/api/v1/customers/{theirs.customer_id}/").status_code == 403
    assert client.get(f"/api/v1/customers/{theirs.customer_id}/contact-points/").status_code == 403


def test_account_numbers_are_masked_with_derived_dpd_and_bucket(api, specialist, team, settings):
    settings.BUSINESS_DATE = "2026-11-23"
    account = AccountFactory(
        team=team, number="4000123412341234", delinquent_since=date(2026, 8, 25)
    )
    body = api.as_user(specialist).get(f"/api/v1/accounts/{account.pk}/").json()
    assert body["number"] == "••••••••••••1234"
    assert (body["days_past_due"], body["bucket"]) == (90, "M4")
    assert body["principal_balance"] == "1000.00"


def test_specialist_cannot_create_accounts(api, specialist, team):
    customer = CustomerFactory()
    response = api.as_user(specialist).post(
        "/api/v1/accounts/", new_account_payload(customer, team), format="json"
    )
    assert response.status_code == 403


def test_supervisor_creates_an_account_assigned_to_the_least_loaded_specialist(
    api, supervisor, specialist, team, settings
):
    from django.contrib.auth.models import Group

    from tests.factories import UserFactory

    settings.BUSINESS_DATE = "2026-11-23"
    busy = UserFactory(username="busy", team=team)
    busy.groups.add(Group.objects.get(name="specialist"))
    AccountFactory.create_batch(2, team=team, assigned_to=busy)
    AccountFactory(team=team, assigned_to=specialist)
    customer = CustomerFactory()

    response = api.as_user(supervisor).post(
        "/api/v1/accounts/", new_account_payload(customer, team), format="json"
    )

    assert response.status_code == 201, response.json()
    account = Account.objects.get(pk=response.json()["id"])
    assert account.assigned_to == specialist
    stay = BucketHistory.objects.get(account=account)
    assert (stay.bucket, stay.entered_on, stay.entry_balance) == (
        "M3",
        date(2026, 11, 23),
        Decimal("1520.00"),
    )
    assert account.risk_factors, "risk factors are stored with the tier"
    entry = LogEntry.objects.get_for_object(account).get()
    assert entry.action == LogEntry.Action.CREATE
    assert entry.actor == supervisor


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"currency": "usd"}, "currency"),
        ({"principal_balance": "-1.00"}, "principal_balance"),
        ({"principal_balance": "1.234"}, "principal_balance"),
        ({"delinquent_since": "2026-13-01"}, "delinquent_since"),
        ({"team": "nowhere"}, "team"),
        ({"customer": 999999}, "customer"),
        ({"number": ""}, "number"),
    ],
)
def test_bad_account_data_is_a_400_naming_the_field(api, supervisor, team, override, field):
    customer = CustomerFactory()
    response = api.as_user(supervisor).post(
        "/api/v1/accounts/", new_account_payload(customer, team, **override), format="json"
    )
    assert response.status_code == 400
    assert field in response.json()
    assert Account.objects.count() == 0


def test_patch_records_who_changed_what(api, supervisor, team):
    account = AccountFactory(team=team, past_due_amount=Decimal("200.00"))
    response = api.as_user(supervisor).patch(
        f"/api/v1/accounts/{account.pk}/", {"past_due_amount": "250.00"}, format="json"
    )
    assert response.status_code == 200
    entry = LogEntry.objects.get_for_object(account).filter(action=LogEntry.Action.UPDATE).get()
    assert entry.actor == supervisor
    assert entry.changes_dict["past_due_amount"] == ["200.00", "250.00"]


def test_specialist_may_record_declared_income_but_not_identity(api, specialist, team):
    account = AccountFactory(team=team)
    client = api.as_user(specialist)
    url = f"/api/v1/customers/{account.customer_id}/"
    ok = client.patch(url, {"monthly_income": "5200.00"}, format="json")
    assert ok.status_code == 200
    assert Customer.objects.get(pk=account.customer_id).monthly_income == Decimal("5200.00")
    refused = client.patch(url, {"name": "Someone Else"}, format="json")
    assert refused.status_code == 400
    assert "name" in refused.json()


def test_customer_time_zone_must_be_an_iana_zone(api, supervisor):
    response = api.as_user(supervisor).post(
        "/api/v1/customers/",
        {"external_ref": "X1", "name": "Jane", "time_zone": "Mars/Olympus", "jurisdiction": "US"},
        format="json",
    )
    assert response.status_code == 400
    assert "time_zone" in response.json()


def test_customer_national_id_is_masked_and_its_change_audited_masked(api, supervisor):
    response = api.as_user(supervisor).post(
        "/api/v1/customers/",
        {
            "external_ref": "X2",
            "name": "Jane Roe",
            "national_id": "900-55-1234",
            "time_zone": "America/Chicago",
            "jurisdiction": "US",
            "language": "en",
        },
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["national_id"] == "•••••••1234"
    customer = Customer.objects.get(external_ref="X2")
    entry = LogEntry.objects.get_for_object(customer).get()
    assert "900-55-1234" not in str(entry.changes)


def test_reveal_needs_the_permission(api, specialist, team):
    account = AccountFactory(team=team)
    response = api.as_user(specialist).post(f"/api/v1/accounts/{account.pk}/reveal/")
    assert response.status_code == 403
    assert PersonalDataReveal.objects.count() == 0


def test_reveal_returns_the_data_and_is_audited(api, supervisor, team):
    account = AccountFactory(team=team, number="4000999988887777")
    point = ContactPointFactory(customer=account.customer, value="+12125550123")
    response = api.as_user(supervisor).post(f"/api/v1/accounts/{account.pk}/reveal/")
    assert response.status_code == 200
    body = response.json()
    assert body["account_number"] == "4000999988887777"
    assert body["national_id"] == account.customer.national_id
    assert body["contact_points"] == {str(point.pk): "+12125550123"}
    reveal = PersonalDataReveal.objects.get()
    assert (reveal.user, reveal.account, reveal.channel) == (supervisor, account, "api")


def test_list_is_paginated_and_filterable(api, admin_user, team, settings):
    settings.BUSINESS_DATE = "2026-11-23"
    AccountFactory.create_batch(3, team=team, delinquent_since=date(2026, 11, 1))  # M1
    AccountFactory.create_batch(2, team=team, delinquent_since=date(2026, 5, 1))  # M6
    client = api.as_user(admin_user)
    page = client.get("/api/v1/accounts/?page_size=2").json()
    assert (page["count"], len(page["results"])) == (5, 2)
    assert client.get("/api/v1/accounts/?bucket=M6").json()["count"] == 2
    assert client.get("/api/v1/accounts/?dpd_min=30").json()["count"] == 2
    assert client.get("/api/v1/accounts/?dpd_max=29").json()["count"] == 3
    ordered = client.get("/api/v1/accounts/?ordering=-dpd").json()["results"]
    assert ordered[0]["days_past_due"] == 206


def test_schema_and_docs_are_served(client, admin_user):
    client.force_login(admin_user)
    assert client.get("/api/v1/schema/").status_code == 200
    docs = client.get("/api/v1/docs/")
    assert docs.status_code == 200
    assert b"cdn" not in docs.content.lower()


def test_audit_covers_contact_points(api, supervisor, team):
    account = AccountFactory(team=team)
    response = api.as_user(supervisor).post(
        f"/api/v1/customers/{account.customer_id}/contact-points/",
        {"kind": "phone", "value": "(415) 555-0142", "label": "mobile"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    ct = ContentType.objects.get(app_label="accounts", model="contactpoint")
    assert LogEntry.objects.filter(content_type=ct, actor=supervisor).count() == 1
