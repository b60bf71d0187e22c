from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group

from accounts import risk
from accounts.assignment import distribute
from accounts.models import Account
from accounts.services import accounts_assign_unassigned
from tests.factories import AccountFactory, ContactPointFactory, UserFactory


def inputs(**overrides):
    base = {
        "days_past_due": 10,
        "total_balance": Decimal("800"),
        "currency": "USD",
        "payments_last_90_days": 2,
        "contactable": True,
    }
    return risk.RiskInputs(**{**base, **overrides})


def test_a_recent_payer_early_in_delinquency_is_good():
    result = risk.score(inputs())
    assert result.tier == "good"
    assert {f.code for f in result.factors} >= {"days_past_due", "balance", "payment_history"}


def test_long_delinquency_without_payment_or_contact_is_high_risk():
    result = risk.score(
        inputs(
            days_past_due=200,
            payments_last_90_days=0,
            contactable=False,
            broken_promises_last_180_days=2,
        )
    )
    assert result.tier == "high"
    assert sum(f.points for f in result.factors) == result.score


def test_every_factor_explains_itself():
    result = risk.score(inputs(days_past_due=95, hardship=True, broken_plans=1))
    details = {f.code: f.detail for f in result.factors}
    assert details["days_past_due"] == "90–179 days past due"  # the band, not the day count
    assert details["hardship"] == "hardship declared"
    assert details["broken_plans"] == "1 broken plans"


def test_balance_bands_follow_the_currency():
    usd = risk.score(inputs(total_balance=Decimal("6000"), currency="USD"))
    cny = risk.score(inputs(total_balance=Decimal("6000"), currency="CNY"))
    points = {r: next(f.points for f in r.factors if f.code == "balance") for r in (usd, cny)}
    assert points[usd] > points[cny]


def test_distribute_always_picks_the_least_loaded():
    assert list(distribute([(1, 3), (2, 0), (3, 1)], 5)) == [2, 2, 3, 2, 3]


@pytest.mark.django_db
def test_unassigned_accounts_spread_evenly_across_the_team(team):
    group = Group.objects.get(name="specialist")
    agents = [UserFactory(username=f"a{i}", team=team) for i in range(3)]
    for agent in agents:
        agent.groups.add(group)
    AccountFactory.create_batch(9, team=team)
    assert accounts_assign_unassigned(team=team) == 9
    loads = sorted(Account.objects.filter(assigned_to=a).count() for a in agents)
    assert loads == [3, 3, 3]


@pytest.mark.django_db
def test_account_without_usable_contact_points_is_not_contactable(team):
    from workspace.risk_refresh import account_risk_refresh

    account = AccountFactory(team=team, delinquent_since=date(2026, 11, 1))
    ContactPointFactory(customer=account.customer, opted_out=True)
    account_risk_refresh(account=account, as_of=date(2026, 11, 23))
    assert "contactability" in {f["code"] for f in account.risk_factors}


@pytest.mark.django_db
def test_broken_promises_and_plans_raise_the_score(team):
    from plans.models import PromiseToPay
    from workspace.risk_refresh import account_risk_refresh

    account = AccountFactory(team=team, delinquent_since=date(2026, 11, 1))
    ContactPointFactory(customer=account.customer)
    account_risk_refresh(account=account, as_of=date(2026, 11, 23))
    before = account.risk_score
    PromiseToPay.objects.bulk_create(
        PromiseToPay(
            account=account, amount=Decimal("50.00"), due_date=date(2026, 11, d), status="broken"
        )
        for d in (5, 12)
    )
    account_risk_refresh(account=account, as_of=date(2026, 11, 23))
    factors = {f["code"]: f for f in account.risk_factors}
    assert factors["broken_promises"]["points"] == 20
    assert account.risk_score == before + 20
