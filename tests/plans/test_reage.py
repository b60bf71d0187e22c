"""Re-ageing: an account on a plan is measured against the plan (API.md, "The life of a case")."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts import delinquency
from accounts.models import Account, BucketHistory, ReAge, Stage
from plans import services
from plans.models import Installment, Plan
from plans.reage import plan_delinquent_since, plan_delinquent_since_subquery
from tests.plans.factories import NOW, active_plan, owing_account, pay

pytestmark = pytest.mark.django_db

ORIGINAL = date(2026, 8, 20)  # 95 days past due on NOW's business date: M4


def _on_plan(team, specialist):
    account = owing_account(team, delinquent_since=ORIGINAL)
    plan = active_plan(account, specialist)
    account.refresh_from_db()
    return account, plan


def _first(plan) -> Installment:
    return plan.installments.order_by("number").first()


def test_activating_a_plan_re_ages_the_account_and_keeps_the_original_date(team, specialist):
    account, plan = _on_plan(team, specialist)

    assert account.stage == Stage.ON_PLAN
    assert account.delinquent_since is None
    assert account.days_past_due(NOW.date()) == 0
    assert account.original_delinquent_since == ORIGINAL
    re_age = ReAge.objects.get(account=account)
    assert (re_age.reason, re_age.previous_delinquent_since, re_age.delinquent_since) == (
        ReAge.Reason.PLAN_ACTIVATED,
        ORIGINAL,
        None,
    )
    assert re_age.plan_id == plan.pk


def test_a_missed_installment_ages_the_account_from_its_due_date_and_a_rerun_changes_nothing(
    team, specialist
):
    account, plan = _on_plan(team, specialist)
    due = _first(plan).due_date

    assert services.plans_reage(as_of=due, now=NOW) == 0  # due today: not yet past due
    assert services.plans_reage(as_of=due + timedelta(days=5), now=NOW) == 1
    assert services.plans_reage(as_of=due + timedelta(days=5), now=NOW) == 0

    account.refresh_from_db()
    assert account.delinquent_since == due
    assert account.days_past_due(due + timedelta(days=5)) == 5
    assert account.original_delinquent_since == ORIGINAL  # the first re-age's date stays
    assert ReAge.objects.filter(account=account).latest("id").reason == "plan_installment_missed"


def test_paying_the_missed_installment_brings_the_account_current_again(team, specialist):
    account, plan = _on_plan(team, specialist)
    first = _first(plan)
    late = first.due_date + timedelta(days=3)
    services.plans_reage(as_of=late, now=NOW)

    pay(
        account, str(first.amount), reference="CATCH-UP", now=NOW.replace(month=1, year=2027, day=4)
    )

    account.refresh_from_db()
    assert account.delinquent_since is None
    assert ReAge.objects.filter(account=account).latest("id").reason == "plan_payment"


def test_a_broken_plan_restores_the_original_delinquency(team, specialist):
    account, plan = _on_plan(team, specialist)
    installments = list(plan.installments.order_by("number"))
    after_two = installments[1].due_date + timedelta(days=30)
    services.plans_reage(as_of=after_two, now=NOW)

    broken = services.plans_break_overdue(as_of=after_two, now=NOW)

    assert broken == [plan.pk]
    account.refresh_from_db()
    assert account.delinquent_since == ORIGINAL
    assert account.stage == Stage.LATE
    assert ReAge.objects.filter(account=account).latest("id").reason == "plan_ended"


def test_paying_everything_without_a_plan_closes_the_case_and_exits_its_bucket(team):
    account = owing_account(team, delinquent_since=ORIGINAL)
    as_of = NOW.date()
    delinquency.bucket_moves_record(as_of=as_of)
    stay = BucketHistory.objects.get(account=account, exited_on__isnull=True)

    pay(account, str(account.total_balance), reference="PAYOFF", now=NOW)

    account.refresh_from_db()
    assert (account.stage, account.delinquent_since) == (Stage.PAID, None)
    assert ReAge.objects.get(account=account).reason == "paid_off"
    assert Account.objects.open().filter(pk=account.pk).count() == 0
    summary = delinquency.bucket_moves_record(as_of=as_of + timedelta(days=1))
    stay.refresh_from_db()
    assert (summary.exited, stay.exited_to, stay.exit_balance) == (1, "paid", Decimal("0.00"))
    assert not BucketHistory.objects.filter(account=account, exited_on__isnull=True).exists()
    assert delinquency.bucket_moves_record(as_of=as_of + timedelta(days=2)).exited == 0


def test_re_ages_are_history_and_cannot_be_changed(team, specialist):
    account, _plan = _on_plan(team, specialist)
    with pytest.raises(PermissionError):
        ReAge.objects.filter(account=account).update(note="x")
    with pytest.raises(PermissionError):
        ReAge.objects.filter(account=account).delete()


# --- The rule: Python and SQL agree, and re-ageing never touches money -------------------------
dates = st.dates(min_value=date(2026, 11, 1), max_value=date(2027, 6, 30))
rows = st.lists(st.tuples(st.integers(0, 150), st.booleans()), min_size=1, max_size=8)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(paid=st.lists(st.booleans(), min_size=12, max_size=12), as_of=dates)
def test_the_python_and_sql_forms_agree_and_no_balance_changes(team, specialist, paid, as_of):
    account = owing_account(team, delinquent_since=ORIGINAL)
    plan = active_plan(account, specialist)
    for row, is_paid in zip(plan.installments.order_by("number")[1:], paid, strict=False):
        if is_paid:  # marked paid in place: the rule reads paid_amount against amount
            Installment.objects.filter(pk=row.pk).update(paid_amount=row.amount)
    account.refresh_from_db()
    money = (
        account.principal_balance,
        account.interest_balance,
        account.fee_balance,
        account.past_due_amount,
    )

    unpaid = [i.due_date for i in plan.installments.all() if i.paid_amount < i.amount]
    expected = plan_delinquent_since(unpaid, as_of)
    measured = (
        Account.objects.filter(pk=account.pk)
        .annotate(m=plan_delinquent_since_subquery(as_of))
        .values_list("m", flat=True)
        .get()
    )
    assert measured == expected

    services.plans_reage(as_of=as_of, now=NOW)
    account.refresh_from_db()
    assert account.delinquent_since == expected
    assert (
        account.principal_balance,
        account.interest_balance,
        account.fee_balance,
        account.past_due_amount,
    ) == money
    Plan.objects.filter(pk=plan.pk).update(status="cancelled")  # next example's account is free


def test_the_timeline_and_the_api_show_the_re_age(team, specialist, api):
    account, _plan = _on_plan(team, specialist)
    api.force_authenticate(specialist)

    detail = api.get(f"/api/v1/accounts/{account.pk}/").json()
    events = api.get(f"/api/v1/accounts/{account.pk}/timeline/?kind=re_age").json()["results"]

    assert (detail["delinquent_since"], detail["original_delinquent_since"]) == (
        None,
        ORIGINAL.isoformat(),
    )
    assert detail["days_past_due"] == 0
    assert [e["title"] for e in events] == ["Plan activated"]
    assert events[0]["detail"] == f"Delinquent since {ORIGINAL.isoformat()} → current"
