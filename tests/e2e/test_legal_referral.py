"""A supervisor refers a case to legal in a real browser and works the case: reasons and a
document, the case opened within authority, a hearing date and a court fee; the account leaves
the specialist's queue. Screenshots in ``test-artifacts/<test name>/``."""

from __future__ import annotations

from datetime import date

import pytest

from accounts.models import Account
from legal.models import LegalCase
from tests.e2e.conftest import login
from tests.plans.factories import owing_account

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def test_a_supervisor_refers_a_case_to_legal_and_records_the_hearing(
    page, live_server, settings, tmp_path, team, specialist, supervisor
):
    settings.BUSINESS_DATE = "2026-11-23"
    settings.MEDIA_ROOT = tmp_path
    account = owing_account(
        team, assigned_to=specialist, stage="late", delinquent_since=date(2026, 5, 1)
    )
    login(page, live_server, "sue")

    page.goto(f"{live_server.url}/accounts/{account.pk}/")
    page.get_by_role("link", name="Refer to legal").click()
    page.locator("#referral-form").wait_for()
    page.get_by_label("Able to pay but refuses (恶意拖欠)").check()
    page.get_by_label("Assets or income to enforce against").check()
    page.fill("#id_note", "Owns a car; refused three plans.")
    page.set_input_files(
        "#id_documents",
        files=[{"name": "agreement.pdf", "mimeType": "application/pdf", "buffer": PDF}],
    )
    page.snap("referral-form")
    page.get_by_role("button", name="Refer to legal").click()

    page.locator("#case-status").wait_for()
    assert "Preparing the claim" in page.locator("#case-status").inner_text()
    assert "agreement.pdf" in page.locator("#documents").inner_text()
    case = LegalCase.objects.get(account=account)
    assert Account.objects.get(pk=account.pk).stage == "legal"

    page.select_option("#id_step-kind", "hearing")
    page.fill("#id_step-due_on", "2026-11-26")
    page.get_by_role("button", name="Add the step").click()
    page.locator("[data-step]").wait_for()
    page.select_option("#id_cost-kind", "court_fee")
    page.fill("#id_cost-amount", "150.00")
    page.fill("#id_cost-incurred_on", "2026-11-23")
    page.check("#id_cost-recoverable")
    page.get_by_role("button", name="Record the cost").click()
    page.locator("#costs-recoverable").wait_for()
    assert page.locator("#costs-recoverable").inner_text() == "150.00"
    page.snap("legal-case")
    assert case.steps.get().due_on == date(2026, 11, 26)

    # The hearing is a legal date at the front of the supervisor's queue …
    page.goto(f"{live_server.url}/accounts/queue/?reason=legal_date")
    assert account.customer.name in page.locator("main").inner_text()
    page.snap("supervisor-queue")
    # … and the account has left the specialist's.
    page.context.clear_cookies()
    login(page, live_server, "sam")
    page.goto(f"{live_server.url}/accounts/queue/")
    assert account.customer.name not in page.locator("main").inner_text()
