"""The UI shell in a real browser: log in, navigate by role, switch language, 403 by URL."""

import pytest

from tests.e2e.conftest import login
from tests.factories import AccountFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def test_specialist_logs_in_opens_a_case_and_switches_to_chinese(
    page, live_server, specialist, team, settings
):
    settings.BUSINESS_DATE = "2026-11-23"
    account = AccountFactory(team=team, customer__name="Jane Roe", assigned_to=specialist)
    page.goto(live_server.url + "/")
    assert "/login/" in page.url
    page.snap("login")

    login(page, live_server, "sam")
    page.wait_for_selector("text=accounts assigned to you")
    assert page.locator("nav a", has_text="Admin").count() == 0  # not staff
    page.snap("home")

    page.click("nav >> text=Accounts")
    page.click("text=Jane Roe")
    page.wait_for_url(f"**/accounts/{account.pk}/")
    assert page.locator("h1").inner_text().startswith("Jane Roe")
    assert account.number not in page.content()  # masked
    page.snap("case")

    page.select_option("#language", "zh-hans")
    page.wait_for_selector("text=退出")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    page.snap("case-zh")


def test_another_teams_case_is_refused_in_the_browser(page, live_server, specialist, other_team):
    theirs = AccountFactory(team=other_team)
    login(page, live_server, "sam")
    page.wait_for_selector("text=accounts assigned to you")
    response = page.goto(f"{live_server.url}/accounts/{theirs.pk}/")
    assert response.status == 403
    assert "another team" in page.content()
    page.snap("forbidden")


def test_supervisor_reveals_personal_data_with_htmx(page, live_server, supervisor, team):
    account = AccountFactory(team=team, customer__national_id="900-31-4159")
    login(page, live_server, "sue")
    page.goto(f"{live_server.url}/accounts/{account.pk}/")
    assert "900-31-4159" not in page.content()
    page.click("text=Reveal personal data")
    page.wait_for_selector("text=900-31-4159")
    page.snap("revealed")
