"""``/api/v1/accounts/{id}/restrictions/``: record, list (current and past) and end."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest
from auditlog.models import LogEntry
from django.utils import timezone

from compliance.models import CommunicationRestriction
from tests.compliance.factories import RestrictionFactory
from tests.factories import AccountFactory, ContactPointFactory, TeamFactory

pytestmark = pytest.mark.django_db


def url(account) -> str:
    return f"/api/v1/accounts/{account.pk}/restrictions/"


def end_url(account, restriction) -> str:
    return f"{url(account)}{restriction.pk}/end/"


@pytest.fixture
def account(team):
    return AccountFactory(team=team, customer__time_zone="America/New_York")


def test_specialist_records_an_attorney_and_it_covers_every_account(api, specialist, account):
    second = AccountFactory(team=account.team, customer=account.customer)

    response = api.as_user(specialist).post(
        url(account),
        {
            "kind": "attorney_represented",
            "source": "attorney",
            "attorney_name": "Ann Lee, Esq.",
            "attorney_phone": "+1 212 555 0111",
            "attorney_email": "ann@leelaw.example",
            "notes": "Letter of representation received.",
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["all_accounts"] is True
    assert body["account"] is None
    assert body["is_active"] is True
    assert body["created_by"] == specialist.username
    today_in_new_york = timezone.now().astimezone(ZoneInfo("America/New_York")).date()
    assert body["effective_from"] == today_in_new_york.isoformat()
    restriction = CommunicationRestriction.objects.get()
    assert (restriction.customer, restriction.attorney_name) == (account.customer, "Ann Lee, Esq.")
    listed = api.as_user(specialist).get(url(second)).json()["results"]
    assert [r["id"] for r in listed] == [restriction.pk]
    entry = LogEntry.objects.get_for_object(restriction).get()
    assert entry.actor == specialist


def test_a_dispute_defaults_to_the_disputed_account(api, specialist, account):
    second = AccountFactory(team=account.team, customer=account.customer)

    response = api.as_user(specialist).post(
        url(account), {"kind": "dispute_pending", "source": "customer_written"}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["account"] == account.pk
    assert api.as_user(specialist).get(url(second)).json()["results"] == []


def test_inconvenient_time_is_stored_and_blocks_early_calls(api, specialist, account):
    client = api.as_user(specialist)
    response = client.post(
        url(account),
        {
            "kind": "inconvenient_time",
            "source": "customer_verbal",
            "not_before": "10:00",
            "channel": "call",
            "effective_from": "2026-01-01",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["not_before"] == "10:00:00"

    check = client.post(
        "/api/v1/compliance/check/",
        {"account": account.pk, "channel": "call", "at": "2026-04-07T09:15:00-04:00"},
        format="json",
    ).json()

    assert [v["rule"] for v in check["violations"]] == ["contact_window"]
    assert check["next_allowed_at"] == "2026-04-07T10:00:00-04:00"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "inconvenient_time"}, "not_before"),
        ({"kind": "attorney_represented"}, "attorney_name"),
        ({"kind": "channel_opt_out"}, "channel"),
        ({"kind": "cease_communication", "not_after": "18:00"}, "not_before"),
        ({"kind": "haunted"}, "kind"),
        ({"kind": "deceased", "source": "rumour"}, "source"),
        ({"kind": "deceased", "channel": "pigeon"}, "channel"),
        ({"kind": "deceased", "attorney_email": "not-an-email"}, "attorney_email"),
        (
            {
                "kind": "dispute_pending",
                "effective_from": "2026-04-07",
                "effective_to": "2026-04-01",
            },
            "effective_to",
        ),
    ],
)
def test_bad_restrictions_are_a_400_naming_the_field(api, specialist, account, body, field):
    response = api.as_user(specialist).post(
        url(account), {"source": "customer_written", **body}, format="json"
    )

    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert CommunicationRestriction.objects.count() == 0


def test_contact_point_of_another_customer_is_a_400(api, specialist, account):
    stranger = ContactPointFactory()

    response = api.as_user(specialist).post(
        url(account),
        {"kind": "channel_opt_out", "source": "customer_verbal", "contact_point": stranger.pk},
        format="json",
    )

    assert response.status_code == 400
    assert "contact_point" in response.json()


def test_opt_out_of_one_number(api, specialist, account):
    point = ContactPointFactory(customer=account.customer)

    response = api.as_user(specialist).post(
        url(account),
        {"kind": "channel_opt_out", "source": "customer_verbal", "contact_point": point.pk},
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["contact_point"] == point.pk


def test_list_shows_current_and_past(api, specialist, supervisor, account):
    current = RestrictionFactory(customer=account.customer, kind="deceased", source="court")
    past = RestrictionFactory(
        customer=account.customer,
        kind="dispute_pending",
        account=account,
        effective_from=date(2020, 1, 1),
        effective_to=date(2020, 2, 1),
    )
    RestrictionFactory(kind="deceased")  # another customer's

    body = api.as_user(specialist).get(url(account)).json()

    assert {r["id"]: r["is_active"] for r in body["results"]} == {
        current.pk: True,
        past.pk: False,
    }


def test_supervisor_ends_a_restriction_and_the_check_reopens(api, supervisor, account):
    cease = RestrictionFactory(customer=account.customer)
    client = api.as_user(supervisor)
    check = {"account": account.pk, "channel": "letter"}
    assert client.post("/api/v1/compliance/check/", check, format="json").json()["allowed"] is False

    response = client.post(end_url(account, cease), {"reason": "revoked in writing"}, format="json")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["is_active"], body["ended_by"], body["end_reason"]) == (
        False,
        supervisor.username,
        "revoked in writing",
    )
    assert client.post("/api/v1/compliance/check/", check, format="json").json()["allowed"] is True
    again = client.post(end_url(account, cease), {}, format="json")
    assert again.status_code == 409


def test_specialists_cannot_end_a_restriction(api, specialist, account):
    cease = RestrictionFactory(customer=account.customer)

    response = api.as_user(specialist).post(end_url(account, cease), {}, format="json")

    assert response.status_code == 403
    cease.refresh_from_db()
    assert cease.ended_at is None


def test_ending_another_customers_restriction_through_this_account_is_a_404(
    api, supervisor, account
):
    foreign = RestrictionFactory()

    assert api.as_user(supervisor).post(end_url(account, foreign), {}).status_code == 404


def test_another_teams_account_is_forbidden_and_an_unknown_one_not_found(api, specialist):
    elsewhere = AccountFactory(team=TeamFactory(code="elsewhere"))
    client = api.as_user(specialist)

    assert client.get(url(elsewhere)).status_code == 403
    assert (
        client.post(
            url(elsewhere), {"kind": "deceased", "source": "court"}, format="json"
        ).status_code
        == 403
    )
    assert client.get("/api/v1/accounts/999999/restrictions/").status_code == 404


@pytest.mark.django_db
def test_in_force_leaves_out_lifted_and_expired_restrictions():
    day = date(2026, 11, 23)
    open_ended = RestrictionFactory()
    customer = open_ended.customer
    until_today = RestrictionFactory(customer=customer, effective_to=day)
    RestrictionFactory(customer=customer, effective_to=date(2026, 11, 22))  # expired
    RestrictionFactory(customer=customer, ended_at=timezone.now())  # lifted
    in_force = CommunicationRestriction.objects.filter(customer=customer).in_force(day)
    assert set(in_force) == {open_ended, until_today}
