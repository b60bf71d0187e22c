"""The strategy lab in a real browser: a supervisor copies the champion into a draft, sends
M1 general accounts email instead of SMS, starts it as the challenger on half the accounts,
comes back a month later (clock pinned) to both arms' results, and promotes the winner.
Screenshots in ``test-artifacts/<test name>/``."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from importlib import import_module

import pytest
import time_machine
from django.apps import apps

from accounts.models import BucketHistory
from contacts import arms
from contacts.models import StrategyVersion
from outreach.strategies import templates_seed
from plans.models import Payment
from tests.e2e.conftest import login
from tests.factories import AccountFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

START = datetime(2027, 4, 1, 14, 0, tzinfo=UTC)
A_MONTH_LATER = START + timedelta(days=31)


@pytest.fixture
def strategies(db):
    """The seeded strategies and their champion version (data migrations the flush removed)."""
    import_module("contacts.migrations.0008_reminder_defaults").strategies_create(apps, None)
    import_module("contacts.migrations.0018_strategy_versions").forwards(apps, None)
    templates_seed()


def _a_month_of_history(version: StrategyVersion, team) -> None:
    """240 accounts delinquent on the start day; the challenger's arm pays 120.00 each, the
    champion's every other account 40.00."""
    accounts = AccountFactory.create_batch(240, team=team, delinquent_since=date(2027, 1, 10))
    BucketHistory.objects.bulk_create(
        BucketHistory(
            account=a, bucket="M3", entered_on=date(2027, 3, 11), entry_balance=a.total_balance
        )
        for a in accounts
    )
    payments = []
    for n, a in enumerate(accounts):
        challenger = arms.arm(a.pk, salt=version.salt, share=version.challenger_share)
        if challenger == arms.CHAMPION and n % 2:
            continue
        amount = Decimal("120.00") if challenger == arms.CHALLENGER else Decimal("40.00")
        payments.append(
            Payment(
                account=a,
                reference=f"M{a.pk}",
                amount=amount,
                received_at=START + timedelta(days=12),
                source="api",
            )
        )
    Payment.objects.bulk_create(payments)


def test_a_supervisor_runs_a_challenger_and_promotes_the_winner(
    page, live_server, settings, team, supervisor, strategies, request
):
    settings.BUSINESS_DATE = ""
    with time_machine.travel(START, tick=True) as clock:
        login(page, live_server, "sue")
        page.goto(f"{live_server.url}/dashboards/strategies/")
        page.fill("#new-name", "Email first for M1")
        page.fill("#new-note", "M1 general: email instead of SMS")
        page.get_by_role("button", name="Copy the champion (v1) into a draft").click()
        page.locator("#version-status").wait_for()
        assert page.locator("#version-status").inner_text() == "Draft"
        draft = StrategyVersion.objects.get(status="draft")
        page.get_by_label(f"Channel us-m1-sms-general-v{draft.number}").select_option("email")
        page.get_by_role("button", name="Save the steps").click()
        page.fill("#share", "50")
        page.snap("draft")
        page.get_by_role("button", name="Start the challenger").click()
        assert page.locator("#version-status").inner_text() == "Challenger (running)"
        draft.refresh_from_db()
        assert draft.status == "challenger" and draft.challenger_share == Decimal("0.50")
        assert draft.steps.get(code=f"us-m1-sms-general-v{draft.number}").channel == "email"

        _a_month_of_history(draft, team)
        clock.move_to(A_MONTH_LATER)
        page.context.clear_cookies()
        login(page, live_server, "sue")
        page.goto(f"{live_server.url}/dashboards/strategies/{draft.pk}/")
        verdict = page.locator("#verdict").inner_text()
        assert "more per account" in verdict and "winning" in verdict
        collected = page.locator('tr[data-metric="collected"]')
        assert "120.00" in collected.inner_text()
        page.locator("#results").screenshot(path=page_shots(request) / "results.png")
        page.snap("results")

        page.get_by_role("button", name="Promote to champion").click()
        assert page.locator("#version-status").inner_text() == "Champion"
        assert StrategyVersion.objects.get(status="champion") == draft
        assert StrategyVersion.objects.get(number=1).status == "retired"
        page.goto(f"{live_server.url}/dashboards/strategies/")
        page.snap("versions")


def page_shots(request):
    from tests.e2e.conftest import ARTIFACTS

    return ARTIFACTS / request.node.name
