"""The nightly run on a small hand-built portfolio (SQLite and PostgreSQL), and the SQL risk."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.management import CommandError, call_command

from accounts import risk
from accounts.models import Account, BucketHistory, Stage
from contacts.models import CallbackTask, ContactLog
from plans.models import Payment, PlanStatus, PromiseStatus, PromiseToPay
from tests.factories import AccountFactory, ContactPointFactory
from tests.plans.factories import active_plan, owing_account
from workspace import nightly, risk_refresh
from workspace.tasks import nightly_run_task

pytestmark = pytest.mark.django_db

# The worked-example plan (first installment 2027-01-01, US policy: 10 grace days, 2 missed
# installments) breaks on 2027-02-12, so that is tonight's business date.
AS_OF = date(2027, 2, 12)
NOW = datetime(2027, 2, 12, 2, 0, tzinfo=UTC)


def days_ago(n: int) -> date:
    return AS_OF - timedelta(days=n)


def python_risk(account: Account) -> risk.RiskScore:
    """What risk_refresh.accounts_risk_refresh would store for ``account`` tonight."""
    history = risk_refresh.risk_histories({account.pk}, as_of=AS_OF)[account.pk]
    contactable = account.customer.contact_points.filter(
        kind__in=["phone", "email"], is_valid=True, opted_out=False
    ).exists()
    inputs = risk.risk_inputs(account, as_of=AS_OF, contactable=contactable, history=history)
    return risk.score(inputs)


@pytest.fixture
def portfolio(team, specialist):
    """alice rolls M1→M2 tonight; bob broke a promise; carol's plan breaks tonight; dave has a
    callback and a promise due today; erin is closed."""
    alice = AccountFactory(team=team, delinquent_since=days_ago(30))
    ContactPointFactory(customer=alice.customer)
    BucketHistory.objects.create(
        account=alice,
        bucket="M1",
        entered_on=days_ago(29),
        entry_balance=Decimal("1075.00"),
        entry_days_past_due=1,
    )
    ContactLog.objects.create(
        account=alice,
        customer=alice.customer,
        channel="call",
        direction="outbound",
        outcome="no_answer",
        occurred_at=NOW - timedelta(days=5),
    )
    bob = AccountFactory(team=team, delinquent_since=days_ago(45))
    PromiseToPay.objects.create(
        account=bob,
        amount=Decimal("100.00"),
        due_date=days_ago(10),
        created_at=NOW - timedelta(days=20),
    )
    carol = owing_account(team)
    plan = active_plan(carol, specialist)
    dave = AccountFactory(team=team, delinquent_since=days_ago(200))
    PromiseToPay.objects.create(
        account=dave, amount=Decimal("50.00"), due_date=AS_OF, created_at=NOW - timedelta(days=3)
    )
    CallbackTask.objects.create(account=dave, due_at=NOW + timedelta(hours=13))
    erin = AccountFactory(team=team, stage=Stage.CLOSED, delinquent_since=None)
    return {"alice": alice, "bob": bob, "carol": carol, "dave": dave, "erin": erin, "plan": plan}


def snapshot() -> dict[int, tuple]:
    return {
        a["id"]: a
        for a in Account.objects.values(
            "id", "updated_at", "risk_score", "risk_factors", "risk_scored_at", "queue_priority"
        )
    }


def run():
    return nightly.nightly_run(as_of=AS_OF, now=NOW, chunk_size=2)


@time_machine.travel(NOW, tick=False)
def test_it_moves_buckets_resolves_promises_breaks_plans_and_rescores(portfolio):
    summary = run()

    alice = portfolio["alice"]
    stays = list(alice.bucket_history.order_by("entered_on"))
    assert [(s.bucket, s.exited_on, s.exited_to) for s in stays] == [
        ("M1", AS_OF, "M2"),
        ("M2", None, ""),
    ]
    assert stays[1].entry_days_past_due == 30
    # Every other open account gets its first stay; the closed one none.
    assert summary.step("bucket_moves").changed == 4  # 1 move + first stays for bob, carol, dave
    assert not portfolio["erin"].bucket_history.exists()

    assert PromiseToPay.objects.get(account=portfolio["bob"]).status == PromiseStatus.BROKEN
    assert PromiseToPay.objects.get(account=portfolio["dave"]).status == PromiseStatus.PENDING
    assert summary.step("promises").changed == 1

    portfolio["plan"].refresh_from_db()
    assert portfolio["plan"].status == PlanStatus.BROKEN
    assert summary.step("plans").changed == 1

    for name in ("alice", "bob", "carol", "dave"):
        account = Account.objects.get(pk=portfolio[name].pk)
        expected = python_risk(account)
        assert (account.risk_score, account.risk_tier, account.risk_factors) == (
            expected.score,
            expected.tier,
            expected.factors_as_json(),
        ), name
        assert account.risk_scored_at == NOW
    codes = lambda name: {  # noqa: E731
        f["code"] for f in Account.objects.get(pk=portfolio[name].pk).risk_factors
    }
    assert "broken_promises" in codes("bob")  # tonight's broken promise counts tonight
    assert "broken_plans" in codes("carol")
    assert "contactability" not in codes("alice")
    assert Account.objects.get(pk=portfolio["erin"].pk).risk_scored_at is None


@time_machine.travel(NOW, tick=False)
def test_queue_priority_orders_callbacks_promises_and_risk(portfolio):
    run()
    accounts = {
        name: Account.objects.get(pk=portfolio[name].pk) for name in portfolio if name != "plan"
    }
    tier = nightly.TIER_POINTS
    # alice: M2 (2 buckets up), last spoken to 5 days ago.
    assert accounts["alice"].queue_priority == tier[accounts["alice"].risk_tier] + 20 + 15
    # bob: a promise broken 10 days ago, M2, never contacted.
    assert accounts["bob"].queue_priority == 200 + tier[accounts["bob"].risk_tier] + 20 + 40
    # dave: a callback and a promise due today, M6, never contacted.
    assert accounts["dave"].queue_priority == 500 + 300 + tier[accounts["dave"].risk_tier] + 60 + 40
    assert accounts["erin"].queue_priority == 0
    ranked = Account.objects.order_by("-queue_priority").values_list("pk", flat=True)
    assert ranked[0] == portfolio["dave"].pk


@time_machine.travel(NOW, tick=False)
def test_a_second_run_for_the_same_date_writes_nothing(portfolio):
    first = run()
    assert first.changed > 0
    before, history_rows = snapshot(), BucketHistory.objects.count()

    second = run()

    assert {s.name: s.changed for s in second.steps} == {
        "plans": 0,
        "re_age": 0,
        "paid_off": 0,
        "write_off": 0,
        "bucket_moves": 0,
        "promises": 0,
        "settlements": 0,
        "risk": 0,
        "propensity": 0,
        "queue": 0,
    }
    assert BucketHistory.objects.count() == history_rows
    assert snapshot() == before


@time_machine.travel(NOW, tick=False)
def test_the_next_day_only_rewrites_what_changed(portfolio):
    run()
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        summary = nightly.nightly_run(as_of=AS_OF + timedelta(days=1), now=NOW + timedelta(days=1))
    assert summary.step("bucket_moves").changed == 0  # nobody crosses a bucket edge
    assert summary.step("queue").changed >= 1
    dave = Account.objects.get(pk=portfolio["dave"].pk)
    # dave's promise fell due yesterday unpaid (broken: 200 instead of 300 for "due today");
    # his callback is still open, so still due (500), as the live queue counts it.
    tier = nightly.TIER_POINTS[dave.risk_tier]
    assert dave.queue_priority == 500 + 200 + tier + 60 + 40


@time_machine.travel(NOW, tick=False)
def test_progress_gets_every_step_and_the_summary(portfolio):
    messages = []
    nightly.nightly_run(as_of=AS_OF, now=NOW, progress=messages.append)
    text = "\n".join(messages)
    for step in ("bucket_moves", "promises", "plans", "risk", "queue", "total"):
        assert step in text


@time_machine.travel(NOW, tick=False)
def test_the_command_runs_a_date_and_prints_the_summary(portfolio):
    out = io.StringIO()
    call_command("run_nightly", "--date", AS_OF.isoformat(), "--quiet", stdout=out)
    assert "nightly run for 2027-02-12" in out.getvalue()
    assert "total" in out.getvalue()
    assert portfolio["alice"].bucket_history.filter(bucket="M2").exists()
    with pytest.raises(CommandError):
        call_command("run_nightly", "--date", "12/02/2027")


@time_machine.travel(NOW, tick=False)
def test_the_task_is_thin_and_named_for_the_beat_schedule(portfolio):
    assert nightly_run_task.name == "accounts.tasks.nightly_run_task"
    result = nightly_run_task(AS_OF.isoformat())
    assert result["as_of"] == "2027-02-12"
    assert result["steps"]["plans"]["changed"] == 1
    assert nightly_run_task(AS_OF.isoformat())["steps"]["queue"]["changed"] == 0


def test_an_empty_portfolio_runs():
    summary = nightly.nightly_run(as_of=AS_OF, now=NOW)
    assert summary.changed == 0


@pytest.mark.postgres
@time_machine.travel(NOW, tick=False)
def test_sql_risk_equals_python_risk_for_a_spread_of_inputs(team, specialist):
    accounts = []
    spread = [0, 1, 29, 30, 59, 60, 89, 90, 179, 180, 400]
    balances = ["0.00", "999.99", "1000.00", "4999.99", "5000.00", "19999.99", "20000.00", "1.5"]
    for i, dpd in enumerate(spread * 3):
        currency = "CNY" if i % 3 == 0 else "USD"
        principal = Decimal(balances[i % len(balances)])
        if currency == "CNY":
            principal *= 7
        account = AccountFactory(
            team=team,
            currency=currency,
            principal_balance=principal,
            interest_balance=Decimal("0.00") if i % 2 else Decimal("0.10"),
            fee_balance=Decimal("0.00"),
            delinquent_since=days_ago(dpd) if dpd else None,
            last_payment_date=days_ago(30 + 40 * (i % 3)) if i % 4 == 0 else None,
            hardship_declared_at=NOW if i % 5 == 0 else None,
        )
        if i % 3 != 1:
            ContactPointFactory(customer=account.customer, opted_out=i % 7 == 0)
        for n in range(i % 4):  # 0–3 payments, some older than 90 days
            Payment.objects.create(
                account=account,
                reference=f"P{i}-{n}",
                amount=Decimal("10.00"),
                received_at=NOW - timedelta(days=30 * n + i % 2 * 45),
                source="api",
            )
        for n in range(i % 5):  # 0–4 broken promises, some older than 180 days
            PromiseToPay.objects.create(
                account=account,
                amount=Decimal("10.00"),
                due_date=days_ago(60 * n),
                status=PromiseStatus.BROKEN,
            )
        accounts.append(account)
    for account in accounts[:4]:
        plan = active_plan(owing_account(team), specialist)
        type(plan).objects.filter(pk=plan.pk).update(account=account, status=PlanStatus.BROKEN)
    ids = [a.pk for a in accounts]
    sql = nightly.risk_scores_sql(lo=min(ids), hi=max(ids), as_of=AS_OF)
    tiers = set()
    for account in Account.objects.filter(pk__in=ids):
        expected = python_risk(account)
        assert sql[account.pk] == (expected.score, expected.tier, expected.factors_as_json())
        tiers.add(expected.tier)
    assert tiers == {"good", "general", "high"}


@time_machine.travel(NOW, tick=False)
def test_an_overdue_callback_is_urgent_in_the_live_queue_and_the_nightly_priority(team, specialist):
    """One rule for both: an open callback due yesterday still puts the case in front."""
    from workspace.queue import queue_annotate

    frank = AccountFactory(team=team, assigned_to=specialist, delinquent_since=days_ago(40))
    CallbackTask.objects.create(account=frank, due_at=NOW - timedelta(days=1))
    run()
    live = queue_annotate(Account.objects.filter(pk=frank.pk), as_of=AS_OF).get()
    frank.refresh_from_db()

    assert (live.callback_due, live.urgency) == (True, 500)
    # M2 (2 buckets up), never contacted, and the same 500 for the callback.
    assert frank.queue_priority == 500 + nightly.TIER_POINTS[frank.risk_tier] + 20 + 40


@time_machine.travel(NOW, tick=False)
def test_a_balance_the_feed_reports_paid_closes_the_case_overnight(team, specialist):
    zero = {"principal_balance": 0, "interest_balance": 0, "fee_balance": 0, "past_due_amount": 0}
    paid = AccountFactory(
        team=team, assigned_to=specialist, delinquent_since=days_ago(45), stage="late", **zero
    )
    BucketHistory.objects.create(
        account=paid, bucket="M2", entered_on=days_ago(10), entry_balance=Decimal("500.00")
    )
    owing = AccountFactory(team=team, assigned_to=specialist, delinquent_since=days_ago(45))

    summary = nightly.nightly_run(as_of=AS_OF, now=NOW)

    paid.refresh_from_db()
    assert (paid.stage, paid.delinquent_since) == (Stage.PAID, None)
    assert summary.step("paid_off").changed == 1
    stay = BucketHistory.objects.get(account=paid)
    assert (stay.exited_on, stay.exited_to) == (AS_OF, Stage.PAID)  # the same night
    assert Account.objects.get(pk=owing.pk).stage != Stage.PAID
    assert nightly.nightly_run(as_of=AS_OF, now=NOW).step("paid_off").changed == 0
