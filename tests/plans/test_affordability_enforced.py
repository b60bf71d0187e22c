"""Affordability enforced (issue 18 item 5): other plans count, an unaffordable plan goes to a
supervisor whoever proposes it, and the longest term is the smaller of the two limits."""

from __future__ import annotations

from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from compliance.models import JurisdictionProfile
from plans import services
from plans.budget import customer_budget, other_commitments
from plans.models import PlanPolicy, PlanStatus
from tests.factories import AccountFactory
from tests.plans.factories import NOW, accepted_plan, active_plan, draft_plan, owing_account

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen_clock(settings):
    settings.BUSINESS_DATE = "2026-11-23"
    with time_machine.travel(NOW, tick=False):
        yield


def two_accounts(team, *, income="5000.00", expenses="3000.00"):
    """One customer with two accounts owing 10,000.00 each; disposable income 2,000.00."""
    first = owing_account(
        team,
        customer__monthly_income=Decimal(income),
        customer__monthly_expenses=Decimal(expenses),
    )
    second = owing_account(team, customer=first.customer)
    return first, second


# --- The budget counts the customer's other plans ---------------------------------------------
def test_an_active_plan_on_another_account_lowers_the_disposable_income(team, specialist):
    first, second = two_accounts(team, income="100000.00")
    active_plan(first, specialist)  # 888.49 a month

    budget = customer_budget(second)
    assert budget.commitments == Decimal("888.49")
    assert budget.disposable == Decimal("97000.00") - Decimal("888.49")
    # The account's own plan is not "another" commitment.
    assert other_commitments(first) == 0


def test_commitments_are_monthly_equivalents_and_only_of_open_plans_in_the_currency(
    team, specialist
):
    first, second = two_accounts(team, income="100000.00")
    plan = active_plan(first, specialist, frequency="biweekly", installments=26)
    largest = max(row.amount for row in plan.installments.all())
    third = owing_account(team, customer=first.customer, currency="CNY")
    active_plan(third, specialist)  # another currency: not counted against USD income
    fourth = owing_account(team, customer=first.customer)
    draft_plan(fourth, specialist)  # a draft is no commitment yet

    assert other_commitments(second) == largest * 26 / 12

    plan.status = PlanStatus.COMPLETED
    plan.save(update_fields=["status"])
    assert other_commitments(second) == 0


def test_plan_options_report_the_budget_after_other_plans(api, team, specialist):
    first, second = two_accounts(team)  # 2,000.00 disposable: 1,000.00 a month alone
    active_plan(first, specialist)  # 888.49 a month on the first account
    response = api.as_user(specialist).get(
        f"/api/v1/accounts/{second.pk}/plan-options/?annual_rate=0.12&start_date=2026-12-01"
    )
    data = response.json()
    assert response.status_code == 200, data
    assert (data["disposable_income"], data["other_commitments"], data["budget"]) == (
        "1111.51",
        "888.49",
        "555.75",  # half of 1,111.51, rounded down
    )
    by_term = {o["installments"]: o for o in data["options"]}
    assert by_term[12]["affordable"] is False  # 888.49
    assert by_term[24]["affordable"] is True  # 470.73
    assert data["recommended"]["installments"] == 20


# --- Submission: unaffordable goes to a supervisor, whoever proposes it -----------------------
def test_a_plan_the_customer_cannot_afford_waits_for_approval_even_from_an_admin(team, admin_user):
    account = owing_account(team, customer__monthly_income=Decimal("4000.00"))  # 500.00
    plan = active_plan(account, admin_user)  # 888.49 a month; no concessions

    assert plan.status == PlanStatus.PENDING_APPROVAL
    assert plan.affordable is False
    assert "888.49 USD is above the 500.00 the customer can afford" in plan.approval_reason
    assert plan.events.get(action="submitted").note == plan.approval_reason


def test_an_affordable_plan_within_authority_is_active_and_says_so(team, specialist):
    account = owing_account(team, customer__monthly_income=Decimal("4000.00"))
    plan = active_plan(account, specialist, installments=24)  # 470.73 ≤ 500.00
    assert (plan.status, plan.affordable, plan.approval_reason) == ("active", True, "")


def test_without_declared_income_there_is_no_verdict_and_no_refusal(team, specialist):
    account = owing_account(team, customer__monthly_income=None)
    plan = active_plan(account, specialist)
    assert (plan.status, plan.affordable) == ("active", None)


def test_concessions_and_affordability_are_both_recorded(team, specialist):
    account = owing_account(team, customer__monthly_income=Decimal("4000.00"))
    plan = active_plan(account, specialist, waived_interest=Decimal("700.00"))
    assert plan.status == PlanStatus.PENDING_APPROVAL
    assert "exceed the proposer's authority of 500.00" in plan.approval_reason
    assert "the customer can afford" in plan.approval_reason


def test_approving_an_unaffordable_plan_takes_a_supervisor_and_a_reason(
    team, specialist, supervisor
):
    account = owing_account(team, customer__monthly_income=Decimal("4000.00"))
    plan = active_plan(account, specialist)

    with pytest.raises(PermissionDenied):
        services.plan_approve(plan=plan, by=specialist, note="Fine.")
    with pytest.raises(ValidationError) as refused:
        services.plan_approve(plan=plan, by=supervisor, note="  ")
    assert list(refused.value.message_dict) == ["reason"]

    plan = services.plan_approve(plan=plan, by=supervisor, note="Spouse's income verified.")
    assert plan.status == PlanStatus.ACTIVE
    assert plan.events.get(action="approved").note == "Spouse's income verified."


def test_the_approve_endpoint_takes_the_reason(api, team, specialist, supervisor):
    account = owing_account(team, customer__monthly_income=Decimal("4000.00"))
    plan = active_plan(account, specialist)
    url = f"/api/v1/plans/{plan.pk}/approve/"

    assert api.as_user(specialist).post(url, {"reason": "x"}, format="json").status_code == 403
    response = api.as_user(supervisor).post(url, {}, format="json")
    assert (response.status_code, list(response.json())) == (400, ["reason"])
    response = api.as_user(supervisor).post(url, {"reason": "Bonus due."}, format="json")
    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["affordable"]) == ("active", False)


def test_the_plan_page_shows_why_and_asks_for_the_reason(client, team, specialist, supervisor):
    account = owing_account(team, customer__monthly_income=Decimal("4000.00"))
    plan = active_plan(account, specialist)
    client.force_login(supervisor)
    page = client.get(f"/plans/{plan.pk}/").content.decode()
    assert "the customer can afford" in page and 'name="reason"' in page

    response = client.post(f"/plans/{plan.pk}/approve/", {"reason": ""}, follow=True)
    assert "Give a reason for approving" in response.content.decode()
    client.post(f"/plans/{plan.pk}/approve/", {"reason": "Verified."})
    plan.refresh_from_db()
    assert plan.status == PlanStatus.ACTIVE


# --- The longest term: the smaller of the plan policy and the jurisdiction profile ------------
def test_the_jurisdiction_profile_caps_the_term_below_the_policy(api, team, specialist):
    JurisdictionProfile.objects.filter(code="US").update(max_plan_installments=36)
    account = owing_account(team)
    policy = PlanPolicy.for_jurisdiction("US")
    assert (policy.max_installments, policy.effective_max_installments) == (60, 36)

    with pytest.raises(ValidationError) as refused:
        draft_plan(account, specialist, installments=48)
    assert "from 1 to 36" in refused.value.message_dict["installments"][0]
    assert accepted_plan(account, specialist, installments=36).installment_count == 36

    client = api.as_user(specialist)
    options = client.get(f"/api/v1/accounts/{account.pk}/plan-options/?annual_rate=0.12").json()
    assert options["max_installments"] == 36
    assert max(o["installments"] for o in options["options"]) == 36
    quote = client.post(
        "/api/v1/plans/quote/",
        {
            "principal": "10000.00",
            "method": "interest_free",
            "installments": 48,
            "start_date": "2026-12-01",
            "account": account.pk,
        },
        format="json",
    )
    assert (quote.status_code, list(quote.json())) == (400, ["installments"])


def test_the_policy_caps_the_term_below_the_profile(team, specialist):
    PlanPolicy.objects.filter(jurisdiction="US").update(max_installments=24)
    assert PlanPolicy.for_jurisdiction("US").effective_max_installments == 24
    with pytest.raises(ValidationError):
        draft_plan(owing_account(team), specialist, installments=25)


def test_an_inactive_profile_leaves_the_policy_alone(team):
    JurisdictionProfile.objects.filter(code="US").update(max_plan_installments=12, is_active=False)
    assert PlanPolicy.for_jurisdiction("US").effective_max_installments == 60


def test_a_cn_account_reports_its_profile_maximum(api, other_team, other_specialist):
    account = AccountFactory(
        team=other_team,
        currency="CNY",
        principal_balance=Decimal("30000"),
        customer__jurisdiction="CN",
    )
    data = (
        api.as_user(other_specialist)
        .get(f"/api/v1/accounts/{account.pk}/plan-options/?method=interest_free")
        .json()
    )
    assert data["max_installments"] == 60
