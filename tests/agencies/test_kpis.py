"""KPIs per agency on a hand-built history whose answers are worked out below."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine

from accounts.models import Account
from agencies.kpis import agency_figures
from agencies.services import agency_commission_record, placement_recall
from tests.agencies.factories import NOW, agency, place
from tests.factories import AccountFactory, CustomerFactory
from tests.plans.factories import pay

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


def _account(team, principal, currency="USD", **extra):
    return AccountFactory(
        team=team,
        currency=currency,
        principal_balance=Decimal(principal),
        interest_balance=Decimal("0"),
        fee_balance=Decimal("0"),
        past_due_amount=Decimal("0"),
        **extra,
    )


@pytest.fixture
def history(team, other_team, supervisor, admin_user, settings):
    """Acme (20 %):
    - one: owes 1,300; pays 300 before it is placed (not counted), placed owing 1,000, then
      pays 500 through Acme (commission 100 by default);
    - two: placed owing 3,000, pays 1,000 to the bank while placed, recalled, then pays 200
      (not counted);
    - three (CNY): placed owing 2,000, nothing paid;
    - theirs: another team's, placed owing 4,000, pays 4,000 (a team supervisor doesn't see it).
    USD: placed 2, balance 4,000, collected 1,500, recovery 37.5 %, commission 100, net 1,400.
    """
    settings.BUSINESS_DATE = ""
    acme, idle = agency("acme", jurisdictions=["US", "CN"]), agency("idle")
    one, two = _account(team, "1300.00"), _account(team, "3000.00")
    three = _account(team, "2000.00", "CNY", customer=CustomerFactory(jurisdiction="CN"))
    theirs = _account(other_team, "4000.00")
    with time_machine.travel(NOW - 5 * DAY, tick=False):
        pay(one, "300.00", reference="before", received_at=NOW - 5 * DAY, now=NOW - 5 * DAY)
    with time_machine.travel(NOW, tick=False):
        batch = place([one, two, three], acme, supervisor, now=NOW)
        place([theirs], acme, admin_user, now=NOW)
    with time_machine.travel(NOW + 3 * DAY, tick=False):
        through_acme = pay(one, "500.00", reference="acme-1", received_at=NOW + DAY)
        agency_commission_record(
            payment=through_acme.payment,
            placement=batch.placements.get(account=one),
            amount=None,
            by=None,
        )
        pay(two, "1000.00", reference="bank-1", received_at=NOW + 2 * DAY)
        pay(theirs, "4000.00", reference="theirs", received_at=NOW + 2 * DAY)
        placement_recall(
            placement=batch.placements.get(account=two),
            by=supervisor,
            reason="Back",
            now=NOW + 3 * DAY,
        )
    with time_machine.travel(NOW + 5 * DAY, tick=False):
        pay(two, "200.00", reference="after", received_at=NOW + 4 * DAY)
    return acme, idle


def test_each_agencys_figures_per_currency(history, supervisor, django_assert_num_queries):
    acme, idle = history
    with django_assert_num_queries(3):  # one query per figure set, whatever the size
        figures = agency_figures(Account.objects.visible_to(supervisor))

    assert idle.pk not in figures
    cny, usd = figures[acme.pk]
    assert (usd.currency, usd.placed, usd.open) == ("USD", 2, 1)
    assert usd.balance_placed == Decimal("4000.00")
    assert usd.collected == Decimal("1500.00")
    assert usd.recovery_rate == Decimal("0.375") and usd.recovery_percent == Decimal("37.5")
    assert (usd.commission, usd.net) == (Decimal("100.00"), Decimal("1400.00"))
    assert (cny.currency, cny.placed, cny.balance_placed) == ("CNY", 1, Decimal("2000.00"))
    assert (cny.collected, cny.recovery_percent) == (Decimal("0"), Decimal("0.0"))


def test_an_admin_sees_every_teams_placements(history):
    acme, _ = history
    usd = [f for f in agency_figures()[acme.pk] if f.currency == "USD"][0]
    assert (usd.placed, usd.balance_placed, usd.collected) == (
        3,
        Decimal("8000.00"),
        Decimal("5500.00"),
    )
    assert usd.open == 2  # "theirs" is paid off: its placement ends at the next daily sweep
