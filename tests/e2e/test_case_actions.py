"""The case page's actions in a real browser (Debian's Chromium through Playwright), one test per
group: the customer's budget and contact points; restrictions; disputes and plans; callbacks and
recordings. Each runs under the Content-Security-Policy (the ``page`` fixture fails a test on any
refused script or style); the clock is pinned (time-machine, ticking)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from compliance.models import CommunicationRestriction
from contacts.models import CallbackTask
from outreach.services import dispute_open
from tests.compliance.factories import ContactLogFactory
from tests.e2e.conftest import login
from tests.factories import ContactPointFactory
from tests.plans.factories import draft_plan, owing_account

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Monday 23 Nov 2026, 15:00 UTC = 10:00 in New York.
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _pinned(settings, tmp_path):
    settings.BUSINESS_DATE = "2026-11-23"
    settings.MEDIA_ROOT = tmp_path
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def jane(team, specialist):
    account = owing_account(team, assigned_to=specialist, customer__name="Jane Roe")
    account.phone = ContactPointFactory(customer=account.customer, value="+12125550142")
    return account


def open_case(page, live_server, account, user="sam"):
    login(page, live_server, user)
    page.wait_for_selector("nav >> text=Queue")
    page.goto(f"{live_server.url}/accounts/{account.pk}/")
    page.wait_for_selector("#timeline")


def test_the_customers_budget_and_contact_points(page, live_server, jane):
    open_case(page, live_server, jane)

    page.click("#edit-budget > summary")
    page.fill("#id_budget-monthly_income", "123456789012345")  # 15 digits: the server refuses
    page.click("#budget-form button[type=submit]")
    page.wait_for_selector("#budget-form .errorlist")  # the form again, with the reason
    page.snap("budget-refused")
    page.fill("#id_budget-monthly_income", "3500.00")
    page.fill("#id_budget-monthly_expenses", "3100.00")
    page.click("#budget-form button[type=submit]")
    page.wait_for_selector("text=Declared income and expenses saved.")
    assert "Declared income and expenses changed" in page.locator("#timeline").inner_text()
    page.snap("budget-saved")

    page.click("#add-contact-point > summary")
    page.select_option("#id_point-kind", "phone")
    page.fill("#id_point-value", "(212) 555-0199")
    page.select_option("#id_point-label", "work")
    page.click("#contact-point-form button[type=submit]")
    page.wait_for_selector("text=Contact point added.")
    assert "+1 ••••••0199" in page.locator("#customer").inner_text()

    page.click(f"#cp-{jane.phone.pk}-opt-out button")
    page.wait_for_selector("text=Contact point marked opted out.")
    jane.phone.refresh_from_db()
    assert jane.phone.opted_out
    assert "Contact point opted out" in page.locator("#timeline").inner_text()
    page.snap("contact-points")


def test_restrictions_added_by_a_specialist_and_ended_by_a_supervisor(
    page, live_server, jane, supervisor
):
    open_case(page, live_server, jane)
    page.click("#add-restriction > summary")
    page.select_option("#id_restriction-kind", "attorney_represented")
    page.select_option("#id_restriction-source", "attorney")
    page.click("#restriction-form button[type=submit]")
    page.wait_for_selector("#restriction-form >> text=Name the attorney.")
    page.fill("#id_restriction-attorney_name", "Saul Goodman")
    page.click("#restriction-form button[type=submit]")
    page.wait_for_selector("text=Restriction recorded.")
    restriction = CommunicationRestriction.objects.get(customer=jane.customer)
    assert page.locator(f"[data-restriction='{restriction.pk}'] summary").count() == 0
    page.snap("restriction-recorded")

    page.click("button:has-text('Log out')")
    open_case(page, live_server, jane, user="sue")
    page.click(f"[data-restriction='{restriction.pk}'] summary")
    page.fill(f"#restriction-{restriction.pk}-reason", "Attorney withdrew")
    page.click(f"#restriction-{restriction.pk}-end button[type=submit]")
    page.wait_for_selector("text=Restriction ended.")
    restriction.refresh_from_db()
    assert restriction.ended_at is not None and restriction.end_reason == "Attorney withdrew"
    assert "Restriction lifted" in page.locator("#timeline").inner_text()
    page.snap("restriction-ended")


def test_a_supervisor_resolves_a_dispute_and_cancels_a_plan(
    page, live_server, jane, specialist, supervisor
):
    dispute = dispute_open(account=jane, description="Not my card", by=specialist, now=NOW)
    plan = draft_plan(jane, specialist, now=NOW)
    open_case(page, live_server, jane, user="sue")

    page.click(f"[data-dispute='{dispute.pk}'] summary")
    page.select_option(f"#dispute-{dispute.pk}-status", "resolved")
    page.click(f"#dispute-{dispute.pk}-transition button[type=submit]")
    page.wait_for_selector("text=Say how it was resolved or why rejected.")
    page.fill(f"#dispute-{dispute.pk}-note", "Card statement shows the purchases")
    page.click(f"#dispute-{dispute.pk}-transition button[type=submit]")
    page.wait_for_selector("text=Dispute updated.")
    dispute.refresh_from_db()
    assert dispute.status == "resolved"
    assert f"Dispute {dispute.pk}: Resolved" in page.locator("#timeline").inner_text()
    page.snap("dispute-resolved")

    page.click(f"[data-plan='{plan.pk}'] summary")
    page.fill(f"#plan-{plan.pk}-reason", "Customer prefers a settlement")
    page.click(f"#plan-{plan.pk}-cancel button[type=submit]")
    page.wait_for_selector("text=Plan cancelled.")
    plan.refresh_from_db()
    assert plan.status == "cancelled"
    page.snap("plan-cancelled")


def test_callbacks_completed_and_rescheduled_and_a_recording_played(
    page, live_server, jane, specialist, tmp_path
):
    first = CallbackTask.objects.create(
        account=jane, assigned_to=specialist, due_at=NOW + timedelta(hours=2)
    )
    second = CallbackTask.objects.create(
        account=jane, assigned_to=specialist, due_at=NOW + timedelta(hours=4)
    )
    entry = ContactLogFactory(account=jane, user=specialist, occurred_at=NOW - timedelta(hours=1))
    open_case(page, live_server, jane)

    page.click(f"#callback-{first.pk}-complete button")
    page.wait_for_selector("text=Callback done.")
    first.refresh_from_db()
    assert first.status == "done"

    page.click(f"[data-callback='{second.pk}'] summary")
    page.fill(f"#callback-{second.pk}-due", "2026-11-24T22:30")
    page.click(f"#callback-{second.pk}-reschedule button[type=submit]")
    page.wait_for_selector(f"#callback-{second.pk}-reschedule >> text=Compliance does not allow")
    assert "2026-11-25 08:00" in page.locator(f"#callback-{second.pk}-reschedule").inner_text()
    page.snap("reschedule-blocked")
    page.fill(f"#callback-{second.pk}-due", "2026-11-24T09:30")
    page.click(f"#callback-{second.pk}-reschedule button[type=submit]")
    page.wait_for_selector("text=Callback rescheduled.")
    second.refresh_from_db()
    assert second.due_at == datetime(2026, 11, 24, 14, 30, tzinfo=UTC)
    assert "Callback moved from" in page.locator("#timeline").inner_text()

    recording = tmp_path / "call.ogg"
    recording.write_bytes(b"OggS\0\x02" + b"\0" * 256)
    page.click(f"#contact-{entry.pk}-attach > summary")  # fetches the upload form
    page.set_input_files(f"#contact-{entry.pk}-file", str(recording))
    page.click(f"#contact-{entry.pk}-recording button[type=submit]")
    page.wait_for_selector("text=Recording kept with the contact.")
    audio = page.locator("#timeline audio")
    assert audio.count() == 1
    assert audio.get_attribute("src").endswith(f"/contacts/{entry.pk}/attachment/")
    page.snap("recording")


def test_a_hardship_programme_is_arranged_then_ended(page, live_server, jane):
    from plans.models import HardshipArrangement

    open_case(page, live_server, jane)
    page.click("#arrange-hardship > summary")
    page.select_option("#id_hardship-kind", "reduced_payment")
    page.fill("#id_hardship-months", "3")
    page.fill("#id_hardship-reason", "Reduced hours until March.")
    page.click("#hardship-arrange")
    page.wait_for_selector("#hardship-form .errorlist")  # no amount: the service says so
    page.snap("hardship-refused")
    assert "A reduced payment needs the monthly amount." in page.locator("#hardship").inner_text()

    page.fill("#id_hardship-monthly_amount", "150.00")
    page.click("#hardship-arrange")
    page.wait_for_selector("text=Hardship arrangement recorded")
    arrangement = HardshipArrangement.objects.get()
    assert (arrangement.status, arrangement.monthly_amount) == ("active", 150)
    # The page shows what the service changed: the minimum due is the reduced payment now.
    assert "150.00" in page.locator("#account-facts").inner_text()
    assert "Hardship arrangement: Reduced payment for 3 months" in (
        page.locator("#timeline").inner_text()
    )
    page.snap("hardship-arranged")

    page.click(f"[data-hardship-arrangement='{arrangement.pk}'] details > summary")
    page.select_option(f"#hardship-{arrangement.pk}-outcome", "revert")
    page.fill(f"#hardship-{arrangement.pk}-note", "Back to full hours.")
    page.click(f"#hardship-{arrangement.pk}-end button[type=submit]")
    page.wait_for_selector("text=Hardship arrangement ended.")
    arrangement.refresh_from_db()
    assert (arrangement.status, arrangement.outcome) == ("ended", "revert")
    assert "Hardship arrangement ended: Reverted to the usual terms" in (
        page.locator("#timeline").inner_text()
    )
    page.snap("hardship-ended")
