"""A supervisor in a real browser: opens the dashboard, filters by team, exports a CSV,
approves a plan from the approvals queue."""

from datetime import date
from pathlib import Path

import pytest

from dashboards.facts import facts_refresh
from plans.models import PlanStatus
from tests.dashboards.conftest import portfolio  # noqa: F401  (the hand-built portfolio)
from tests.e2e.conftest import login

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def test_supervisor_filters_exports_and_approves(page, live_server, supervisor, team, portfolio):  # noqa: F811
    facts_refresh(day=date(2026, 11, 23), activity_days=30, roll_months=3)
    login(page, live_server, "sue")
    page.wait_for_selector("nav >> text=Dashboard")
    page.click("nav >> text=Dashboard")
    page.wait_for_selector("h1:has-text('Supervisor dashboard')")
    assert "Figures as of" in page.locator("#as-of").inner_text()
    page.snap("dashboard")

    page.fill("#id_date_from", "2026-10-01")
    page.select_option("#id_team", str(team.pk))
    page.click("#dashboard-filters button[type=submit]")
    page.wait_for_url(f"**/dashboards/?*team={team.pk}*")
    assert page.locator("#roll table.heatmap").count() == 1
    assert "66.7%" in page.locator("#rates").inner_text()  # contact rate of us-east
    page.snap("filtered-by-team")

    with page.expect_download() as download_info:
        page.click("#specialists a.export")
    download = download_info.value
    assert download.suggested_filename == "specialists-2026-11-23.csv"
    content = Path(download.path()).read_text(encoding="utf-8")
    assert content.splitlines()[0].startswith("Specialist,Workload")
    assert "sam" in content
    page.snap("exported")

    pending = portfolio["pending"]
    page.click("nav >> text=Approvals")
    row = page.locator(f"#plan-{pending.pk}")
    row.locator("textarea[name=reason]").fill("Hardship documented on the call")
    page.snap("approval-reason")
    row.locator("button[value=approve]").click()
    page.wait_for_selector(f"text=Plan {pending.pk} approved.")
    page.snap("approved")
    pending.refresh_from_db()
    assert pending.status == PlanStatus.ACTIVE
    assert pending.approved_by == supervisor
