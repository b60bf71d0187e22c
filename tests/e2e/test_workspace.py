"""The specialist's day in a real browser (Debian's Chromium through Playwright).

A specialist logs in, opens the first case in the queue, tries a call outside the allowed hours
and sees why it is blocked, logs an allowed call with a promise to pay, builds and submits a plan
beyond their authority; a supervisor approves it. Screenshots of every step are saved by
``page.snap`` under ``test-artifacts/<test name>/``. Time is pinned (time-machine, ticking) so
the contact-time rules give the same answers whatever the wall clock says.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from contacts.models import CallbackTask, ContactLog
from plans.models import Plan
from tests.e2e.conftest import login
from tests.factories import AccountFactory, ContactPointFactory
from tests.plans.factories import owing_account

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Wednesday 18 Nov 2026, 16:00 UTC = 11:00 in New York (US window 08:00–21:00).
NOW = datetime(2026, 11, 18, 16, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _pinned(settings):
    settings.BUSINESS_DATE = "2026-11-18"
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def jane(team, specialist):
    """The first case in Sam's queue: a callback is due today."""
    account = owing_account(team, assigned_to=specialist, customer__name="Jane Roe")
    ContactPointFactory(customer=account.customer, value="+12125550142")
    CallbackTask.objects.create(
        account=account, assigned_to=specialist, due_at=NOW + timedelta(hours=1)
    )
    AccountFactory(team=team, assigned_to=specialist, customer__name="Later Larry")
    return account


def logout(page):
    page.click("button:has-text('Log out')")
    page.wait_for_url("**/login/**")


def test_a_specialists_day_from_queue_to_approved_plan(page, live_server, jane, supervisor):
    login(page, live_server, "sam")
    page.wait_for_selector("nav >> text=Queue")
    page.click("nav >> text=Queue")
    page.wait_for_selector("#queue")
    first = page.locator("#queue a.case-link").first
    assert first.inner_text() == "Jane Roe"
    assert "Callback due" in page.locator("#queue tbody tr").first.inner_text()
    assert jane.number not in page.content()  # masked
    page.snap("queue")

    first.click()
    page.wait_for_url(f"**/accounts/{jane.pk}/")
    page.wait_for_selector("#log-contact")
    page.snap("case")

    # A call at 22:30 the customer's time: blocked, with the rule, citation and next time.
    page.select_option("#id_channel", "call")
    page.select_option("#id_contact_point", index=1)
    page.fill("#id_occurred_at", "2026-11-17T22:30")
    page.wait_for_selector("[data-check=blocked]")
    verdict = page.locator("[data-check=blocked]").inner_text()
    assert "contact_window" in verdict and "1006.6(b)(1)(i)" in verdict
    assert "2026-11-18 08:00" in verdict  # next allowed, customer's time
    assert page.locator("#log-submit").is_disabled()
    page.locator("#log-contact").scroll_into_view_if_needed()
    page.snap("call-blocked")

    # The same call this morning at 10:30 is allowed; log it with a promise to pay.
    page.fill("#id_occurred_at", "2026-11-18T10:30")
    page.wait_for_selector("[data-check=allowed]")
    page.select_option("#id_outcome", "conversation")
    page.select_option("#id_disposition", "promise_to_pay")
    page.fill("#id_promise_amount", "250.00")
    page.fill("#id_promise_date", "2026-11-25")
    page.fill("#id_notes", "Will pay on payday.")
    page.wait_for_selector("[data-check=allowed]")
    assert page.locator("#log-submit").is_enabled()
    page.snap("call-allowed")
    page.click("#log-submit")
    page.wait_for_selector("text=Contact logged.")
    assert "250.00 USD" in page.locator("[data-open-promises]").inner_text()
    entry = ContactLog.objects.get(account=jane)
    assert entry.disposition == "promise_to_pay" and entry.decision_id is not None
    page.snap("call-logged")

    # Build a plan: options side by side, choose 12, waive interest beyond the authority.
    page.click("text=Build a plan")
    page.wait_for_selector("#options")
    page.snap("plan-options")
    page.click("button:has-text('Choose 12')")
    page.wait_for_selector("#options tr.chosen")
    page.fill("#id_waived_interest", "700.00")
    page.wait_for_selector("[data-needs-approval]")
    page.select_option("#id_acceptance_channel", "recorded_call")
    page.fill("#id_acceptance_reference", "REC-2026-11-18")
    page.snap("plan-preview")
    page.click("#plan-submit")
    page.wait_for_selector("#approval")
    plan = Plan.objects.get(account=jane)
    assert plan.status == "pending_approval"
    assert plan.waived_interest == Decimal("700.00") and plan.installment_count == 12
    page.snap("plan-submitted")

    # The supervisor approves.
    logout(page)
    login(page, live_server, "sue")
    page.wait_for_selector("nav >> text=Queue")
    page.goto(f"{live_server.url}/plans/{plan.pk}/")
    page.snap("supervisor-sees-plan")
    page.click("#approve-plan")
    page.wait_for_selector("text=Plan approved and now active.")
    plan.refresh_from_db()
    assert plan.status == "active" and plan.approved_by == supervisor
    page.snap("plan-approved")


def test_another_teams_case_is_refused_in_the_browser(page, live_server, specialist, other_team):
    theirs = AccountFactory(team=other_team, customer__name="Not Yours")
    login(page, live_server, "sam")
    page.wait_for_selector("nav >> text=Queue")
    page.click("nav >> text=Queue")
    page.wait_for_selector("#queue")
    assert "Not Yours" not in page.content()
    for path in (
        f"/accounts/{theirs.pk}/",
        f"/contacts/log/{theirs.pk}/",
        f"/plans/new/{theirs.pk}/",
    ):
        response = page.goto(live_server.url + path)
        assert response.status == 403, path
    assert "another team" in page.content()
    page.snap("forbidden")


@pytest.mark.parametrize(
    "viewport", [{"width": 768, "height": 1024}, {"width": 1280, "height": 800}]
)
def test_workspace_pages_fit_laptop_and_tablet_screens(
    browser, live_server, jane, request, viewport
):
    from tests.e2e.conftest import ARTIFACTS

    context = browser.new_context(viewport=viewport, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    shots = ARTIFACTS / request.node.name
    shots.mkdir(parents=True, exist_ok=True)
    try:
        login(page, live_server, "sam")
        page.wait_for_selector("nav >> text=Queue")
        for name, path in (
            ("queue", "/accounts/queue/"),
            ("case", f"/accounts/{jane.pk}/"),
            ("plan-builder", f"/plans/new/{jane.pk}/?pick=12"),
        ):
            page.goto(live_server.url + path)
            page.wait_for_load_state("networkidle")
            page.screenshot(path=shots / f"{name}-{viewport['width']}.png", full_page=True)
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at {viewport}"
    finally:
        context.close()


def test_queue_is_keyboard_friendly(page, live_server, jane):
    login(page, live_server, "sam")
    page.wait_for_selector("nav >> text=Queue")
    page.goto(f"{live_server.url}/accounts/queue/")
    # The first case has the focus on arrival; j / k move, Enter opens.
    assert page.evaluate("document.activeElement.textContent") == "Jane Roe"
    page.keyboard.press("j")
    assert page.evaluate("document.activeElement.textContent") == "Later Larry"
    page.keyboard.press("k")
    assert page.evaluate("document.activeElement.textContent") == "Jane Roe"
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/accounts/{jane.pk}/")
