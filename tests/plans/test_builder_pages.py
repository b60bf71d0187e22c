"""The plan builder page, the schedule preview, and approving or rejecting on the plan page."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from plans.models import Plan
from tests.plans.factories import owing_account

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _pinned(settings):
    settings.BUSINESS_DATE = "2026-11-23"
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def account(team, specialist):
    return owing_account(team, assigned_to=specialist)


@pytest.fixture
def tight(team, specialist):
    # Owes 10,000.00; declared disposable income 1,000.00 → affordable up to 500.00 a month.
    return owing_account(team, assigned_to=specialist, customer__monthly_income=Decimal("4000.00"))


def terms(**overrides):
    data = {
        "method": "equal_installment",
        "annual_rate": "12",
        "frequency": "monthly",
        "installments": "12",
        "first_due_date": "",
        "down_payment": "0",
        "waived_interest": "0",
        "waived_fees": "0",
        "acceptance_channel": "recorded_call",
        "acceptance_reference": "REC-77",
        "action": "submit",
    }
    data.update(overrides)
    return data


def test_builder_shows_options_side_by_side_with_the_shortest_affordable(client, specialist, tight):
    client.force_login(specialist)
    response = client.get(reverse("plans:new", args=[tight.pk]))
    assert response.status_code == 200
    options = response.context["options"].result
    terms_shown = [o.installments for o in options.options]
    assert 12 in terms_shown and 24 in terms_shown
    assert options.recommended is not None and options.recommended.affordable
    assert options.recommended.installment <= Decimal("500.00")
    html = response.content.decode()
    assert "shortest affordable" in html
    assert "888.49" in html  # PLANS.md worked example: 12 months at 12 % on 10,000.00
    assert "12.00 %" in html  # its APR
    assert Plan.objects.count() == 0


def test_choosing_an_option_previews_its_schedule(client, specialist, account):
    client.force_login(specialist)
    response = client.get(reverse("plans:new", args=[account.pk]), {"pick": "12"})
    preview = response.context["preview"]
    assert preview.schedule.installments[0].amount == Decimal("888.49")
    assert preview.schedule.total_payable == Decimal("10661.86")
    assert 'value="12"' in response.content.decode()


def test_htmx_preview_reflects_concessions_and_saves_nothing(client, specialist, account):
    client.force_login(specialist)
    response = client.post(
        reverse("plans:preview", args=[account.pk]),
        terms(installments="10", annual_rate="0", waived_interest="700.00"),
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "9,300.00" in html  # 10,000.00 less 700.00 waived
    assert "930.00" in html
    assert "data-needs-approval" in html  # 700.00 exceeds a US specialist's 500.00
    assert Plan.objects.count() == 0


def test_the_builder_offers_a_principal_reduction_in_its_options_and_preview(
    client, specialist, account
):
    client.force_login(specialist)
    page = client.get(reverse("plans:new", args=[account.pk]))
    assert 'name="principal_reduction"' in page.content.decode()

    response = client.get(
        reverse("plans:new", args=[account.pk]),
        {"pick": "10", "annual_rate": "0", "principal_reduction": "1000.00"},
    )
    assert response.context["options"].principal == Decimal("9000.00")
    preview = response.context["preview"]
    assert preview.principal == Decimal("9000.00")
    assert preview.schedule.installments[0].amount == Decimal("900.00")
    assert preview.principal_reduction == Decimal("1000.00")
    assert 'name="principal_reduction" value="1000.00"' in response.content.decode()


def test_htmx_preview_reflects_a_principal_reduction(client, specialist, account):
    client.force_login(specialist)
    response = client.post(
        reverse("plans:preview", args=[account.pk]),
        terms(installments="10", annual_rate="0", principal_reduction="1000.00"),
    )
    html = response.content.decode()
    assert "9,000.00" in html  # 10,000.00 less the 1,000.00 principal reduction
    assert "900.00" in html
    assert 'data-figure="principal_reduction"' in html
    assert "data-needs-approval" in html  # 1,000.00 exceeds a US specialist's 500.00
    assert Plan.objects.count() == 0


def test_a_principal_reduction_above_the_principal_balance_is_shown_not_previewed(
    client, specialist, account
):
    client.force_login(specialist)
    response = client.post(
        reverse("plans:preview", args=[account.pk]), terms(principal_reduction="9500.00")
    )  # the account owes 9,000.00 principal
    assert b'data-preview="error"' in response.content
    assert b"Must not exceed the account&#x27;s balance of 9000.00" in response.content


def test_a_plan_with_a_principal_reduction_takes_it_off_the_principal(client, specialist, account):
    client.force_login(specialist)
    response = client.post(
        reverse("plans:new", args=[account.pk]), terms(principal_reduction="400.00")
    )
    plan = Plan.objects.get()
    assert response.status_code == 302
    assert plan.principal_reduction == Decimal("400.00")
    assert plan.principal == Decimal("9600.00")
    assert plan.status == "active"  # 400.00 is within a US specialist's 500.00
    account.refresh_from_db()
    assert account.principal_balance == Decimal("8600.00")


def test_preview_shows_engine_errors_instead_of_failing(client, specialist, account):
    client.force_login(specialist)
    response = client.post(reverse("plans:preview", args=[account.pk]), terms(installments="99"))
    assert response.status_code == 200
    assert b'data-preview="error"' in response.content


def test_a_plan_within_authority_is_activated_at_once(client, specialist, account):
    client.force_login(specialist)
    response = client.post(reverse("plans:new", args=[account.pk]), terms())
    plan = Plan.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("plans:detail", args=[plan.pk])
    assert plan.status == "active" and plan.proposed_by == specialist
    assert plan.acceptance_channel == "recorded_call" and plan.acceptance_reference == "REC-77"
    assert plan.annual_rate == Decimal("0.12")


def test_a_draft_is_saved_without_acceptance(client, specialist, account):
    client.force_login(specialist)
    client.post(
        reverse("plans:new", args=[account.pk]),
        terms(action="draft", acceptance_channel="", acceptance_reference=""),
    )
    assert Plan.objects.get().status == "draft"


def test_submitting_needs_the_customers_acceptance(client, specialist, account):
    client.force_login(specialist)
    response = client.post(reverse("plans:new", args=[account.pk]), terms(acceptance_channel=""))
    assert response.status_code == 400
    assert b"Record how the customer accepted" in response.content
    assert Plan.objects.count() == 0


def test_terms_the_service_refuses_are_shown_and_nothing_is_left_behind(
    client, specialist, account
):
    client.force_login(specialist)
    response = client.post(
        reverse("plans:new", args=[account.pk]), terms(waived_interest="900.00")
    )  # the account owes 700.00 interest
    assert response.status_code == 400
    assert b"Must not exceed the account" in response.content
    assert Plan.objects.count() == 0


def test_large_concessions_go_to_a_supervisor_who_approves(client, specialist, supervisor, account):
    client.force_login(specialist)
    client.post(reverse("plans:new", args=[account.pk]), terms(waived_interest="700.00"))
    plan = Plan.objects.get()
    assert plan.status == "pending_approval"

    page = client.get(reverse("plans:detail", args=[plan.pk])).content.decode()
    assert "Waiting for approval" in page and 'id="approve-plan"' not in page
    assert client.post(reverse("plans:approve", args=[plan.pk])).status_code == 403

    client.force_login(supervisor)
    page = client.get(reverse("plans:detail", args=[plan.pk])).content.decode()
    assert 'id="approve-plan"' in page
    response = client.post(reverse("plans:approve", args=[plan.pk]), follow=True)
    plan.refresh_from_db()
    assert plan.status == "active" and plan.approved_by == supervisor
    assert b"Plan approved" in response.content


def test_approving_a_plan_that_is_not_pending_shows_why(client, supervisor, account):
    client.force_login(supervisor)
    client.post(reverse("plans:new", args=[account.pk]), terms(waived_interest="700.00"))
    plan = Plan.objects.get()
    # 700.00 is within a supervisor's 5,000.00: active at once, nothing to approve.
    assert plan.status == "active"
    response = client.post(reverse("plans:approve", args=[plan.pk]), follow=True)
    assert response.status_code == 200
    assert f"Plan {plan.pk} is active; only a pending approval plan can be approved." in (
        response.content.decode()
    )


def test_the_proposer_cannot_approve_their_own_plan(client, supervisor, account):
    from plans.models import PlanPolicy

    PlanPolicy.objects.filter(jurisdiction="US").update(supervisor_concession_limit=500)
    client.force_login(supervisor)
    client.post(reverse("plans:new", args=[account.pk]), terms(waived_interest="700.00"))
    plan = Plan.objects.get()
    assert plan.status == "pending_approval"
    response = client.post(reverse("plans:approve", args=[plan.pk]), follow=True)
    assert "another supervisor or an admin must approve it" in response.content.decode()
    plan.refresh_from_db()
    assert plan.status == "pending_approval"


def test_a_supervisor_rejects_with_a_reason(client, specialist, supervisor, account):
    client.force_login(specialist)
    client.post(reverse("plans:new", args=[account.pk]), terms(waived_interest="700.00"))
    plan = Plan.objects.get()
    client.force_login(supervisor)
    response = client.post(reverse("plans:reject", args=[plan.pk]), {"reason": ""}, follow=True)
    assert b"Give a reason" in response.content
    plan.refresh_from_db()
    assert plan.status == "pending_approval"
    client.post(reverse("plans:reject", args=[plan.pk]), {"reason": "Income not verified"})
    plan.refresh_from_db()
    assert plan.status == "cancelled" and plan.cancel_reason == "Income not verified"


def test_another_teams_account_cannot_get_a_plan(client, other_specialist, account):
    client.force_login(other_specialist)
    assert client.get(reverse("plans:new", args=[account.pk])).status_code == 403
    assert client.post(reverse("plans:new", args=[account.pk]), terms()).status_code == 403
    assert Plan.objects.count() == 0
