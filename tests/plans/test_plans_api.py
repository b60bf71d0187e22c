"""The plans endpoints: status codes, team scope and the resulting database state."""

from decimal import Decimal

import pytest
import time_machine

from accounts.models import Stage
from plans.models import Plan, PlanStatus
from tests.plans.factories import NOW, accepted_plan, active_plan, draft_plan, owing_account

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


CREATE = {
    "principal": "10000.00",
    "method": "equal_installment",
    "annual_rate": "0.12",
    "installments": 12,
    "start_date": "2026-12-01",
}


def test_a_specialist_drafts_a_plan(api, specialist, team):
    account = owing_account(team)
    response = api.as_user(specialist).post(
        "/api/v1/plans/", {**CREATE, "account": account.pk}, format="json"
    )

    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["status"], data["apr"], data["total_payable"]) == ("draft", "0.1200", "10661.86")
    assert data["proposed_by"] == "sam"
    assert len(data["installments"]) == 12
    assert data["installments"][0]["amount"] == "888.49"
    assert data["events"][0]["action"] == "created"
    assert Plan.objects.get(pk=data["id"]).account == account


def test_concessions_come_with_the_draft(api, specialist, team):
    account = owing_account(team)
    response = api.as_user(specialist).post(
        "/api/v1/plans/",
        {
            **CREATE,
            "principal": None,
            "account": account.pk,
            "waived_interest": "700.00",
            "concessions_conditional": True,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["principal"] == "9300.00"
    assert response.json()["concessions_total"] == "700.00"


@pytest.mark.parametrize(
    ("field", "changes"),
    [
        ("principal", {"principal": "9000.00"}),
        ("installments", {"installments": 61}),
        ("waived_fees", {"waived_fees": "999.00"}),
        ("account", {"account": 999999}),
        ("method", {"method": "balloon"}),
        ("start_date", {"start_date": "2026-11-01"}),
    ],
)
def test_a_bad_draft_is_a_400_naming_the_field(api, specialist, team, field, changes):
    account = owing_account(team)
    body = {**CREATE, "account": account.pk, **changes}
    response = api.as_user(specialist).post("/api/v1/plans/", body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field], response.json()
    assert not Plan.objects.exists()


def test_no_draft_for_another_teams_account(api, specialist, other_team):
    account = owing_account(other_team)
    response = api.as_user(specialist).post(
        "/api/v1/plans/", {**CREATE, "account": account.pk}, format="json"
    )
    assert response.status_code == 403
    assert not Plan.objects.exists()


def test_the_list_shows_the_teams_plans_and_filters(
    api, specialist, other_specialist, team, other_team
):
    mine = draft_plan(owing_account(team), specialist)
    active = active_plan(owing_account(team), specialist)
    draft_plan(owing_account(other_team), other_specialist)
    client = api.as_user(specialist)

    response = client.get("/api/v1/plans/")
    assert response.status_code == 200
    assert {row["id"] for row in response.json()["results"]} == {mine.pk, active.pk}
    assert "installments" not in response.json()["results"][0]
    active_only = client.get("/api/v1/plans/?status=active").json()["results"]
    assert [row["id"] for row in active_only] == [active.pk]
    by_account = client.get(f"/api/v1/plans/?account={mine.account_id}").json()["results"]
    assert [row["id"] for row in by_account] == [mine.pk]


def test_another_teams_plan_is_forbidden(api, specialist, other_specialist, other_team):
    theirs = draft_plan(owing_account(other_team), other_specialist)
    client = api.as_user(specialist)
    assert client.get(f"/api/v1/plans/{theirs.pk}/").status_code == 403
    assert client.post(f"/api/v1/plans/{theirs.pk}/submit/").status_code == 403
    assert client.get("/api/v1/plans/999999/").status_code == 404


def test_accept_then_submit_activates(api, specialist, team):
    account = owing_account(team)
    plan = draft_plan(account, specialist)
    client = api.as_user(specialist)

    response = client.post(
        f"/api/v1/plans/{plan.pk}/accept/",
        {
            "acceptance_channel": "e_signature",
            "accepted_at": "2026-11-23T10:05:00-05:00",
            "acceptance_reference": "ENV-9",
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["acceptance_channel"] == "e_signature"
    assert response.json()["accepted_at"] == "2026-11-23T15:05:00Z"

    response = client.post(f"/api/v1/plans/{plan.pk}/submit/")
    assert response.status_code == 200
    assert response.json()["status"] == "active"
    account.refresh_from_db()
    assert account.stage == Stage.ON_PLAN


def test_acceptance_needs_an_offset_and_a_known_channel(api, specialist, team):
    plan = draft_plan(owing_account(team), specialist)
    response = api.as_user(specialist).post(
        f"/api/v1/plans/{plan.pk}/accept/",
        {"acceptance_channel": "smoke_signal", "accepted_at": "2026-11-23T09:30:00"},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()) == {"acceptance_channel", "accepted_at"}


def test_a_wrong_state_transition_is_a_409_naming_the_status(api, specialist, team):
    plan = active_plan(owing_account(team), specialist)
    response = api.as_user(specialist).post(f"/api/v1/plans/{plan.pk}/submit/")
    assert response.status_code == 409
    assert response.json()["status"] == "active"
    assert "is active" in response.json()["detail"]


def test_submitting_before_acceptance_is_a_409(api, specialist, team):
    plan = draft_plan(owing_account(team), specialist)
    response = api.as_user(specialist).post(f"/api/v1/plans/{plan.pk}/submit/")
    assert response.status_code == 409
    assert "acceptance" in response.json()["detail"]


def test_approval_is_for_supervisors(api, specialist, supervisor, team):
    plan = active_plan(owing_account(team), specialist, waived_interest=Decimal("700.00"))
    assert plan.status == PlanStatus.PENDING_APPROVAL
    url = f"/api/v1/plans/{plan.pk}/approve/"

    assert api.as_user(specialist).post(url).status_code == 403
    response = api.as_user(supervisor).post(url)
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["approved_by"]) == ("active", "sue")
    assert api.as_user(supervisor).post(url).status_code == 409


def test_reject_needs_a_reason(api, specialist, supervisor, team):
    plan = active_plan(owing_account(team), specialist, waived_interest=Decimal("700.00"))
    url = f"/api/v1/plans/{plan.pk}/reject/"
    assert api.as_user(supervisor).post(url, {}, format="json").status_code == 400
    response = api.as_user(supervisor).post(url, {"reason": "Too much."}, format="json")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["cancel_reason"]) == (
        "cancelled",
        "Too much.",
    )


def test_cancel(api, specialist, supervisor, team):
    draft = accepted_plan(owing_account(team), specialist)
    response = api.as_user(specialist).post(
        f"/api/v1/plans/{draft.pk}/cancel/", {"reason": "Customer declined."}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"

    active = active_plan(owing_account(team), specialist)
    url = f"/api/v1/plans/{active.pk}/cancel/"
    assert api.as_user(specialist).post(url, {"reason": "x"}, format="json").status_code == 403
    assert api.as_user(supervisor).post(url, {"reason": "x"}, format="json").status_code == 200


def test_the_quote_path_is_not_taken_for_a_plan_id(api, specialist):
    assert api.as_user(specialist).get("/api/v1/plans/quote/").status_code == 405


def test_the_schema_describes_the_plans_endpoints(api, admin_user):
    response = api.as_user(admin_user).get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/api/v1/plans/",
        "/api/v1/plans/quote/",
        "/api/v1/plans/{id}/approve/",
        "/api/v1/accounts/{account_id}/payments/",
        "/api/v1/accounts/{account_id}/promises/",
        "/api/v1/accounts/{account_id}/plan-options/",
    ):
        assert path in paths
