"""Hardship programmes (issue 18 item 4; API.md "The life of a case")."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError

from plans import services
from plans.models import HardshipArrangement, Plan, PlanStatus
from tests.plans.factories import NOW, accepted_plan, active_plan, owing_account

pytestmark = pytest.mark.django_db

TODAY = NOW.date()  # 2026-11-23


@pytest.fixture(autouse=True)
def _frozen_clock(settings):
    settings.BUSINESS_DATE = ""
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def account(team, specialist):
    return owing_account(team, assigned_to=specialist)  # minimum due 300.00


def reduced(account, by, **changes):
    terms = {
        "kind": "reduced_payment",
        "monthly_amount": Decimal("150.00"),
        "months": 6,
        "reason": "Reduced hours.",
        **changes,
    }
    return services.hardship_create(account=account, by=by, now=NOW, **terms)


def freeze(account, by, **changes):
    terms = {"kind": "interest_freeze", "months": 3, "reason": "Illness.", **changes}
    return services.hardship_create(account=account, by=by, now=NOW, **terms)


# --- Arranging ---------------------------------------------------------------------------------
def test_a_reduced_payment_changes_what_is_expected_while_it_runs(account, specialist):
    arrangement = reduced(account, specialist)

    account.refresh_from_db()
    assert (arrangement.status, arrangement.starts_on, arrangement.ends_on) == (
        "active",
        TODAY,
        date(2027, 5, 23),
    )
    assert arrangement.review_on == arrangement.ends_on  # by default, at its end
    assert arrangement.minimum_due_before == Decimal("300.00")
    assert account.minimum_due == Decimal("150.00")
    assert account.hardship_declared_at == NOW  # the risk score's stated hardship
    assert LogEntry.objects.get_for_object(arrangement).count() == 1


def test_an_interest_freeze_is_recorded_and_expects_nothing_else(account, specialist):
    arrangement = freeze(account, specialist, review_on=date(2027, 1, 15))
    account.refresh_from_db()
    assert arrangement.interest_frozen and arrangement.monthly_amount is None
    assert account.minimum_due == Decimal("300.00")
    # Both kinds may run at once; two of a kind may not.
    reduced(account, specialist)
    with pytest.raises(services.ConflictError):
        freeze(account, specialist)


@pytest.mark.parametrize(
    ("field", "changes"),
    [
        ("months", {"months": 13}),
        ("months", {"months": 0}),
        ("monthly_amount", {"monthly_amount": None}),
        ("monthly_amount", {"monthly_amount": Decimal("10000.00")}),
        ("monthly_amount", {"monthly_amount": Decimal("-1.00")}),
        ("review_on", {"review_on": date(2027, 6, 1)}),
        ("review_on", {"review_on": date(2026, 11, 1)}),
        ("reason", {"reason": " "}),
        ("kind", {"kind": "holiday"}),
    ],
)
def test_bad_terms_name_the_field(account, specialist, field, changes):
    with pytest.raises(ValidationError) as refused:
        reduced(account, specialist, **changes)
    assert list(refused.value.message_dict) == [field]
    assert not HardshipArrangement.objects.exists()


def test_a_freeze_has_no_amount(account, specialist):
    with pytest.raises(ValidationError) as refused:
        freeze(account, specialist, monthly_amount=Decimal("10.00"))
    assert list(refused.value.message_dict) == ["monthly_amount"]


def test_an_open_plan_comes_first(account, specialist):
    plan = active_plan(account, specialist)
    with pytest.raises(services.ConflictError) as refused:
        reduced(account, specialist)
    assert refused.value.details == {"plan": plan.pk}


def test_no_plan_starts_during_a_reduced_payment_but_one_may_during_a_freeze(
    account, specialist, team
):
    reduced(account, specialist)
    plan = accepted_plan(account, specialist)
    with pytest.raises(services.PlanStateError):
        services.plan_submit(plan=plan, by=specialist, now=NOW)

    frozen = owing_account(team)
    freeze(frozen, specialist)
    plan = accepted_plan(frozen, specialist, method="interest_free", annual_rate=None)
    assert services.plan_submit(plan=plan, by=specialist, now=NOW).status == "active"


# --- Ending ------------------------------------------------------------------------------------
def test_reverting_restores_the_minimum_due(account, specialist):
    arrangement = reduced(account, specialist)
    ended = services.hardship_end(
        arrangement=arrangement, by=specialist, outcome="revert", note="Back at work.", now=NOW
    )
    account.refresh_from_db()
    assert (ended.status, ended.outcome, ended.end_note, ended.ended_by) == (
        "ended",
        "revert",
        "Back at work.",
        specialist,
    )
    assert account.minimum_due == Decimal("300.00")
    assert not ended.interest_frozen
    with pytest.raises(services.ConflictError):
        services.hardship_end(arrangement=ended, by=specialist, outcome="revert", now=NOW)


def test_converting_drafts_a_plan_through_the_plan_service(account, specialist):
    arrangement = reduced(account, specialist)
    ended = services.hardship_end(
        arrangement=arrangement,
        by=specialist,
        outcome="convert",
        method="equal_installment",
        installments=24,
        annual_rate=Decimal("0.06"),
        now=NOW,
    )
    plan = ended.plan
    assert (ended.outcome, plan.status, plan.installment_count) == ("convert", "draft", 24)
    assert plan.principal == Decimal("10000.00") and plan.events.get().action == "created"
    # The draft goes on like any other: accepted and submitted, it is in force.
    plan = services.plan_accept(
        plan=plan, channel="recorded_call", accepted_at=NOW, by=specialist, now=NOW
    )
    assert services.plan_submit(plan=plan, by=specialist, now=NOW).status == PlanStatus.ACTIVE


def test_converting_with_terms_the_plan_service_refuses_changes_nothing(account, specialist):
    arrangement = reduced(account, specialist)
    for terms, field in (({}, "installments"), ({"installments": 12}, "annual_rate")):
        with pytest.raises(ValidationError) as refused:
            services.hardship_end(
                arrangement=arrangement, by=specialist, outcome="convert", now=NOW, **terms
            )
        assert list(refused.value.message_dict) == [field]
    arrangement.refresh_from_db()
    account.refresh_from_db()
    assert arrangement.status == "active" and account.minimum_due == Decimal("150.00")
    assert not Plan.objects.exists()


# --- The API -----------------------------------------------------------------------------------
BODY = {"kind": "reduced_payment", "monthly_amount": "150.00", "months": 6, "reason": "Hours."}


def test_arranging_and_listing(api, account, specialist):
    client = api.as_user(specialist)
    url = f"/api/v1/accounts/{account.pk}/hardship/"
    response = client.post(url, BODY, format="json")
    data = response.json()
    assert response.status_code == 201, data
    assert (data["kind"], data["monthly_amount"], data["review_on"]) == (
        "reduced_payment",
        "150.00",
        "2027-05-23",
    )
    assert (data["interest_frozen"], data["minimum_due_before"]) == (False, "300.00")
    assert [a["id"] for a in client.get(url).json()["results"]] == [data["id"]]
    frozen = client.post(
        url, {"kind": "interest_freeze", "months": 2, "reason": "Illness."}, format="json"
    ).json()
    assert frozen["interest_frozen"] is True
    assert client.get(f"/api/v1/hardship/{frozen['id']}/").json()["kind"] == "interest_freeze"


@pytest.mark.parametrize(
    ("field", "changes"),
    [
        ("kind", {"kind": "moratorium"}),
        ("months", {"months": 99}),
        ("monthly_amount", {"monthly_amount": None}),
        ("reason", {"reason": ""}),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api, account, specialist, field, changes):
    response = api.as_user(specialist).post(
        f"/api/v1/accounts/{account.pk}/hardship/", {**BODY, **changes}, format="json"
    )
    assert (response.status_code, list(response.json())) == (400, [field]), response.json()


def test_conflicts_are_409(api, account, specialist):
    client = api.as_user(specialist)
    url = f"/api/v1/accounts/{account.pk}/hardship/"
    assert client.post(url, BODY, format="json").status_code == 201
    assert client.post(url, BODY, format="json").status_code == 409


def test_ending_by_api(api, account, specialist):
    arrangement = reduced(account, specialist)
    client = api.as_user(specialist)
    url = f"/api/v1/hardship/{arrangement.pk}/end/"
    assert client.post(url, {"outcome": "later"}, format="json").status_code == 400
    response = client.post(
        url,
        {"outcome": "convert", "installments": 12, "method": "interest_free"},
        format="json",
    )
    data = response.json()
    assert response.status_code == 200, data
    assert data["outcome"] == "convert" and Plan.objects.get(pk=data["plan"]).status == "draft"
    again = client.post(url, {"outcome": "revert"}, format="json")
    assert (again.status_code, again.json()["status"]) == (409, "ended")


def test_another_team_is_refused(api, account, specialist, other_specialist):
    arrangement = reduced(account, specialist)
    client = api.as_user(other_specialist)
    assert client.get(f"/api/v1/accounts/{account.pk}/hardship/").status_code == 403
    assert (
        client.post(f"/api/v1/accounts/{account.pk}/hardship/", BODY, format="json").status_code
        == 403
    )
    end = client.post(f"/api/v1/hardship/{arrangement.pk}/end/", {"outcome": "revert"})
    assert end.status_code in (403, 404)
    assert client.get("/api/v1/accounts/999999/hardship/").status_code == 404
    arrangement.refresh_from_db()
    assert arrangement.status == "active"
