"""plans_break_overdue: missed installments past their grace days break a plan (as_of dates)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from accounts.models import Stage
from plans import services
from plans.models import Installment, PlanPolicy, PlanStatus
from tests.plans.factories import NOW, active_plan, owing_account, pay

pytestmark = pytest.mark.django_db

# The worked example's installments fall due on the 1st of each month from 2027-01-01; the US
# policy has 10 grace days and breaks a plan at 2 missed installments.
SECOND_DUE = date(2027, 2, 1)


def test_a_plan_breaks_the_day_after_its_second_missed_installments_grace(team, specialist):
    account = owing_account(team)
    plan = active_plan(
        account, specialist, waived_fees=Decimal("300.00"), concessions_conditional=True
    )
    grace_ends = SECOND_DUE + timedelta(days=10)

    assert services.plans_break_overdue(as_of=grace_ends, now=NOW) == []
    assert Installment.objects.get(plan=plan, number=1).status == "missed"
    assert Installment.objects.get(plan=plan, number=2).status == "due"

    assert services.plans_break_overdue(as_of=grace_ends + timedelta(days=1), now=NOW) == [plan.pk]
    plan.refresh_from_db()
    assert plan.status == PlanStatus.BROKEN
    assert plan.broken_at == NOW
    event = plan.events.last()
    assert (event.action, event.from_status, event.to_status, event.by) == (
        "broken",
        "active",
        "broken",
        None,
    )
    assert "Installment(s) 1, 2 unpaid after 10 grace days" in event.note
    assert "reinstated" in event.note
    account.refresh_from_db()
    assert account.fee_balance == Decimal("300.00")  # the conditional waiver is undone
    assert account.stage == Stage.LATE  # back to collections: 134 days past due on as_of
    # Running again changes nothing.
    assert services.plans_break_overdue(as_of=grace_ends + timedelta(days=2), now=NOW) == []
    assert plan.events.filter(action="broken").count() == 1


def test_an_account_that_was_current_returns_to_early_collections(team, specialist):
    account = owing_account(team, delinquent_since=None)
    active_plan(account, specialist)
    services.plans_break_overdue(as_of=date(2027, 3, 1), now=NOW.replace(year=2027, month=3))
    account.refresh_from_db()
    assert account.stage == Stage.EARLY


def test_a_partly_paid_installment_still_counts_as_missed(team, specialist):
    account = owing_account(team)
    plan = active_plan(account, specialist)
    pay(account, "888.48", reference="ALMOST")  # a cent short of installment 1
    assert services.plans_break_overdue(as_of=date(2027, 2, 12), now=NOW) == [plan.pk]


def test_paid_installments_do_not_count(team, specialist):
    account = owing_account(team)
    plan = active_plan(account, specialist)
    pay(account, "888.49", reference="FIRST")
    assert services.plans_break_overdue(as_of=date(2027, 2, 12), now=NOW) == []
    assert Installment.objects.get(plan=plan, number=1).status == "paid"
    assert Installment.objects.get(plan=plan, number=2).status == "missed"


def test_grace_days_and_the_count_are_policy(team, specialist):
    PlanPolicy.objects.filter(jurisdiction="US").update(
        grace_days=0, missed_installments_to_break=1
    )
    plan = active_plan(owing_account(team), specialist)
    assert services.plans_break_overdue(as_of=date(2027, 1, 1), now=NOW) == []
    assert services.plans_break_overdue(as_of=date(2027, 1, 2), now=NOW) == [plan.pk]


def test_other_jurisdictions_use_their_own_policy(team, specialist):
    PlanPolicy.objects.filter(jurisdiction="CN").update(grace_days=30)
    us_plan = active_plan(owing_account(team), specialist)
    cn_account = owing_account(team)
    cn_account.customer.jurisdiction = "CN"
    cn_account.customer.save()
    cn_plan = active_plan(cn_account, specialist)
    broken = services.plans_break_overdue(as_of=date(2027, 2, 12), now=NOW)
    assert broken == [us_plan.pk]
    assert cn_plan.pk not in broken


def test_only_active_plans_break(team, specialist):
    plan = active_plan(owing_account(team), specialist, waived_interest=Decimal("700.00"))
    assert plan.status == PlanStatus.PENDING_APPROVAL
    assert services.plans_break_overdue(as_of=date(2027, 6, 1), now=NOW) == []
    assert not Installment.objects.filter(plan=plan, status="missed").exists()
