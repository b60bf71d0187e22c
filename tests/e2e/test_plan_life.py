"""A plan's later life in a real browser: rescheduling from the plan page (the form's errors
shown, then the new plan), and a settlement offer from the plan builder. Both pages fit a
tablet. Time is pinned (time-machine, ticking)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from plans.models import Plan, Settlement
from tests.e2e.conftest import login
from tests.plans.factories import active_plan, owing_account

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The worked example starts 2026-12-01; by 15 February its first two installments are unpaid.
NOW = datetime(2027, 2, 15, 16, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _pinned(settings):
    settings.BUSINESS_DATE = "2027-02-15"
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def plan(team, specialist):
    account = owing_account(team, assigned_to=specialist, customer__name="Jane Roe")
    return active_plan(account, specialist)


def test_a_specialist_reschedules_a_plan_and_offers_a_settlement(page, live_server, plan):
    login(page, live_server, "sam")
    page.wait_for_selector("nav >> text=Queue")
    page.goto(f"{live_server.url}/plans/{plan.pk}/")
    page.wait_for_selector("#reschedule")
    page.snap("plan-page")

    # Too long a holiday: the page says so by the field, and the plan stays in force.
    page.fill("#id_reschedule_installments", "24")
    page.fill("#id_reschedule_payment_holiday_months", "5")
    page.select_option("#id_reschedule_arrears", "capitalise")
    page.fill("#id_reschedule_reason", "Lost overtime.")
    page.click("#reschedule-plan")
    page.wait_for_selector("#reschedule .errorlist")
    assert "from 0 to 3" in page.locator("#reschedule").inner_text()
    page.snap("reschedule-refused")
    plan.refresh_from_db()
    assert plan.status == "active"

    page.fill("#id_reschedule_payment_holiday_months", "1")
    page.click("#reschedule-plan")
    page.wait_for_selector("text=Plan rescheduled; the new plan is active.")
    new = Plan.objects.get(replaces=plan)
    assert (new.status, new.payment_holiday_months, str(new.arrears_capitalised)) == (
        "active",
        1,
        "192.12",
    )
    assert f"Reschedules plan {plan.pk}" in page.content()
    page.snap("rescheduled")

    # The new plan is in force, so a settlement waits for it: the builder says why.
    page.goto(f"{live_server.url}/plans/new/{plan.account_id}/")
    page.wait_for_selector("#settlement-form")
    page.fill("#id_settlement_amount", "8500.00")
    page.fill("#id_settlement_first_due_date", "2027-03-01")
    page.fill("#id_settlement_expires_on", "2027-02-28")
    page.click("#settlement-submit")
    page.wait_for_selector("#settlement-form .error")
    assert "end it before a settlement" in page.locator("#settlement-form").inner_text()
    assert not Settlement.objects.exists()
    page.snap("settlement-refused")


def test_a_settlement_is_offered_from_the_builder(page, live_server, team, specialist):
    account = owing_account(team, assigned_to=specialist, customer__name="Sam Poe")
    login(page, live_server, "sam")
    page.wait_for_selector("nav >> text=Queue")
    page.goto(f"{live_server.url}/plans/new/{account.pk}/")
    page.fill("#id_settlement_amount", "9500.00")
    page.fill("#id_settlement_first_due_date", "2027-03-01")
    page.fill("#id_settlement_expires_on", "2027-02-28")
    page.click("#settlement-submit")
    page.wait_for_selector("text=Settlement offered to the customer.")
    assert page.locator("#settlement-offers tr[data-status=offered]").count() == 1
    page.snap("settlement-offered")


@pytest.mark.parametrize("width", [768, 1280])
def test_the_plan_page_and_the_builder_fit(browser, live_server, plan, width):
    context = browser.new_context(viewport={"width": width, "height": 1024}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        login(page, live_server, "sam")
        page.wait_for_selector("nav >> text=Queue")
        for path in (f"/plans/{plan.pk}/", f"/plans/new/{plan.account_id}/"):
            page.goto(live_server.url + path)
            page.wait_for_load_state("networkidle")
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at {width}"
    finally:
        context.close()
