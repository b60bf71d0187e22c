"""A supervisor places ten accounts with an agency in a real browser (Debian's Chromium).

Sue opens the placement page, narrows it to the agency's accounts, ticks ten, sets the recall
date and places them; the batch page shows the ten and the export link, the download is
recorded, the accounts are placed and the agency's page lists them with a recall button.
Screenshots of each step land in ``test-artifacts/<test name>/``.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from accounts.models import Account
from agencies.models import ExportDownload, PlacementBatch
from tests.agencies.factories import agency
from tests.e2e.conftest import login
from tests.factories import AccountFactory, CustomerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _pinned(settings):
    settings.BUSINESS_DATE = "2026-11-23"
    with time_machine.travel(NOW, tick=True):
        yield


def test_a_supervisor_places_ten_accounts_with_an_agency(page, live_server, team, supervisor):
    acme = agency("acme", rate="18.00", max_placement_days=120)
    accounts = [AccountFactory(team=team, customer__name=f"Customer {n:02d}") for n in range(12)]
    AccountFactory(team=team, customer=CustomerFactory(name="Wang Wei", jurisdiction="CN"))

    login(page, live_server, "sue")
    page.wait_for_selector("nav >> text=Agencies")
    page.click("nav >> text=Agencies")
    page.wait_for_selector("#agencies")
    page.snap("agencies")

    page.click("text=Place accounts")
    page.wait_for_selector("#placement-filters")
    page.select_option("#placement-filters select[name=agency]", str(acme.pk))
    page.click("#placement-filters button[type=submit]")
    page.wait_for_selector("#eligible-accounts")
    assert "Wang Wei" not in page.locator("#eligible-accounts").inner_text()  # CN: not Acme's
    boxes = page.locator("#eligible-accounts input[type=checkbox]")
    assert boxes.count() == 12
    for n in range(10):
        boxes.nth(n).check()
    page.select_option("#place-form select[name=agency]", str(acme.pk))
    page.fill("#place-form input[name=recall_on]", "2027-02-26")
    page.snap("ten-selected")

    page.click("#place")
    page.wait_for_selector("#batch")
    assert page.locator("#batch-count").inner_text() == "10"
    assert page.locator("#batch-placements tbody tr").count() == 10
    assert page.locator("#export-link").is_visible()
    page.snap("batch")

    batch = PlacementBatch.objects.get()
    with page.expect_download() as download:
        page.click("#export-link")
    assert download.value.suggested_filename == f"placement-{batch.pk}-acme.csv"
    assert ExportDownload.objects.filter(batch=batch, user=supervisor).count() == 1

    placed = set(Account.objects.filter(stage="placed").values_list("pk", flat=True))
    assert len(placed) == 10 and placed <= {a.pk for a in accounts}

    page.click("#batch >> text=Acme Recoveries")
    page.wait_for_selector("#placements")
    assert page.locator("#placements tbody tr").count() == 10
    assert page.locator("#placements button:has-text('Recall')").count() == 10
    assert "10" in page.locator("#agency-kpis").inner_text()
    page.snap("agency")
