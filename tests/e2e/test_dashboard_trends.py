"""The supervisor's dashboard in a real browser: the weekly trend charts, read without
JavaScript under the Content-Security-Policy, screenshotted (``test-artifacts/<test name>/``).

Ten weeks of hand-built history for team us-east, ending Sunday 22 November 2026: each week a
few more calls reach someone, one promise is kept or broken, and a payment arrives.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from contacts.models import ContactLog
from dashboards.facts import facts_refresh
from dashboards.models import Target
from plans.models import Payment, PromiseToPay
from tests.dashboards.conftest import stay
from tests.e2e.conftest import ARTIFACTS, login
from tests.factories import AccountFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

END = date(2026, 11, 22)  # a Sunday
WEEKS = 10


@pytest.fixture
def history(settings, team, specialist, supervisor):
    settings.BUSINESS_DATE = "2026-11-23"
    accounts = [
        AccountFactory(team=team, assigned_to=specialist, delinquent_since=date(2026, 8, 1))
        for _ in range(6)
    ]
    first = END - timedelta(days=7 * WEEKS - 1)  # a Monday
    for i, account in enumerate(accounts):
        cured = first + timedelta(days=7 * (i + 2) + 2)
        stay(account, "M1", date(2026, 8, 1), cured, "M0")
        stay(account, "M0", cured)
    for week in range(WEEKS):
        monday = first + timedelta(days=7 * week)
        when = datetime(monday.year, monday.month, monday.day, 15, tzinfo=UTC) + timedelta(days=1)
        for n in range(10):
            ContactLog.objects.create(
                account=accounts[n % 6],
                customer=accounts[n % 6].customer,
                channel="call",
                direction="outbound",
                occurred_at=when,
                outcome="conversation" if n < 3 + week // 2 else "no_answer",
                user=specialist,
            )
        PromiseToPay.objects.create(
            account=accounts[week % 6],
            amount=Decimal("50.00"),
            due_date=monday + timedelta(days=2),
            status="kept" if week % 3 else "broken",
            created_by=specialist,
            created_at=when - timedelta(days=3),
        )
        Payment.objects.create(
            account=accounts[week % 6],
            reference=f"W{week}",
            amount=Decimal(100 + 25 * week),
            received_at=when,
            source="api",
        )
    Target.objects.create(
        month=date(2026, 11, 1),
        team=team,
        specialist=specialist,
        metric="collected",
        value=Decimal("1500.00"),
        currency="USD",
    )
    facts_refresh(day=END, activity_days=7 * WEEKS + 7, snapshot=True)


def test_a_supervisor_reads_the_weekly_trends(page, live_server, history, request):
    login(page, live_server, "sue")
    page.goto(f"{live_server.url}/dashboards/?date_to={END.isoformat()}")
    trends = page.locator("#trends")
    trends.wait_for()
    charts = trends.locator("figure[data-trend]")
    assert charts.count() == 5
    assert charts.locator("svg").first.is_visible()
    # The latest week (W47) is labelled and its contact rate (7 of 10) printed as the latest.
    contact = trends.locator('figure[data-trend="contact_rate"]')
    assert contact.locator("text.latest-value").text_content() == "70.0%"
    assert "2026-W47" in contact.inner_text()
    shots = ARTIFACTS / request.node.name
    trends.screenshot(path=shots / "trends.png")
    # The weekly figures open without JavaScript (<details>).
    trends.locator("details.trend-table summary").click()
    assert trends.locator("details.trend-table table tbody tr").count() == 26
    trends.screenshot(path=shots / "trends-table.png")
    page.locator("#attainment").screenshot(path=shots / "attainment.png")
    page.snap("dashboard")
