"""Champion/challenger: stable arms, each version's steps reaching its own arm, the lifecycle,
and the results per arm on a hand-built history with known answers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import Account, BucketHistory
from contacts import arms
from contacts.models import (
    Reminder,
    StrategyVersion,
    TreatmentStrategy,
    propensity_band_q,
    propensity_covers,
)
from contacts.services import (
    challenger_promote,
    challenger_start,
    challenger_stop,
    strategy_steps_update,
    strategy_version_copy,
)
from core.conflicts import DomainConflict
from dashboards import experiments
from outreach.reminders import reminders_generate
from outreach.strategies import templates_seed
from plans.models import Payment
from tests.factories import AccountFactory, ContactPointFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
START = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def default_templates(db):
    templates_seed()


def champion():
    return StrategyVersion.objects.get(status="champion")


# --- Arms ------------------------------------------------------------------------------------


def test_the_arm_of_an_account_is_stable_and_the_split_is_on_target():
    share = Decimal("0.20")
    first = [arms.arm(pk, salt=4321, share=share) for pk in range(1, 10_001)]
    again = [arms.arm(pk, salt=4321, share=share) for pk in range(1, 10_001)]
    assert first == again
    assert first.count(arms.CHALLENGER) == 2_000  # a permutation of every 10,000 ids
    some = [arms.arm(pk, salt=77, share=share) for pk in range(500, 3_500)]
    assert abs(some.count(arms.CHALLENGER) / len(some) - 0.20) < 0.01
    # another salt draws another split
    assert [arms.arm(pk, salt=77, share=share) for pk in range(1, 200)] != first[:199]


def test_the_sql_arm_bucket_is_the_python_one(team):
    accounts = AccountFactory.create_batch(40, team=team)
    rows = Account.objects.filter(pk__in=[a.pk for a in accounts]).annotate(
        b=arms.bucket_expression(987)
    )
    assert {a.pk: a.b for a in rows} == {a.pk: arms.bucket(a.pk, 987) for a in accounts}


# --- Lifecycle and steps ---------------------------------------------------------------------


def test_a_draft_is_copied_changed_started_and_promoted(supervisor):
    v1 = champion()
    draft = strategy_version_copy(source=v1, by=supervisor, name="Email first", note="M1: email")
    assert draft.status == "draft" and draft.number == v1.number + 1
    assert draft.steps.count() == v1.steps.count() > 0
    step = draft.steps.get(code=f"us-m1-sms-general-v{draft.number}")
    with pytest.raises(ValidationError) as error:
        strategy_steps_update(
            version=draft,
            by=supervisor,
            changes={step.pk: {"channel": "email", "template_code": "no-such-template"}},
        )
    assert "template_code" in error.value.message_dict
    strategy_steps_update(
        version=draft, by=supervisor, changes={step.pk: {"channel": "email", "cadence_days": 3}}
    )
    with pytest.raises(ValidationError):
        challenger_start(version=draft, by=supervisor, share=Decimal("0.80"), now=NOW)

    challenger_start(version=draft, by=supervisor, share=Decimal("0.25"), now=NOW)
    with pytest.raises(DomainConflict):  # running: its steps no longer change
        strategy_steps_update(version=draft, by=supervisor, changes={step.pk: {"cadence_days": 9}})
    other = strategy_version_copy(source=v1, by=supervisor, name="Letters")
    with pytest.raises(DomainConflict):  # one challenger at a time
        challenger_start(version=other, by=supervisor, share=Decimal("0.10"), now=NOW)

    challenger_promote(version=draft, by=supervisor, now=NOW)
    assert champion() == draft
    v1.refresh_from_db()
    assert v1.status == "retired"
    # the original step is kept as it was, for the record of what v1 sent
    assert v1.steps.get(code="us-m1-sms-general").channel == "sms"


def test_stopping_sends_every_account_back_to_the_champion(supervisor):
    draft = strategy_version_copy(source=champion(), by=supervisor, name="Try")
    challenger_start(version=draft, by=supervisor, share=Decimal("0.50"), now=NOW)
    assert arms.live_versions().challenger_id == draft.pk
    challenger_stop(version=draft, by=supervisor, now=NOW)
    assert arms.live_versions().challenger_id is None
    with pytest.raises(DomainConflict):
        challenger_promote(version=draft, by=supervisor, now=NOW)


def test_each_version_treats_only_its_own_arm(team, supervisor):
    accounts = [
        AccountFactory(team=team, risk_tier="general", delinquent_since=date(2026, 11, 10))
        for _ in range(30)
    ]
    for account in accounts:
        ContactPointFactory(customer=account.customer)
        ContactPointFactory(
            customer=account.customer, kind="email", value=f"c{account.pk}@example.com"
        )
    draft = strategy_version_copy(source=champion(), by=supervisor, name="Email for M1")
    step = draft.steps.get(code=f"us-m1-sms-general-v{draft.number}")
    strategy_steps_update(
        version=draft,
        by=supervisor,
        changes={step.pk: {"channel": "email", "template_code": step.template_code}},
    )
    challenger_start(version=draft, by=supervisor, share=Decimal("0.50"), now=NOW)
    live = arms.live_versions()

    reminders_generate(as_of=date(2026, 11, 23), now=NOW)

    sent = {r.account_id: r.channel for r in Reminder.objects.filter(kind="strategy")}
    assert set(sent) == {a.pk for a in accounts}
    for account in accounts:
        expected = "email" if live.arm_of(account.pk) == arms.CHALLENGER else "sms"
        assert sent[account.pk] == expected
    assert set(sent.values()) == {"sms", "email"}  # both arms are populated


# --- Results per arm ---------------------------------------------------------------------------


@pytest.fixture
def experiment(team, supervisor):
    """300 accounts delinquent on the start day; every challenger-arm account pays 100.00 in
    the window, every other champion-arm account 50.00 (so 25.00 per champion account)."""
    draft = strategy_version_copy(source=champion(), by=supervisor, name="Challenger")
    challenger_start(version=draft, by=supervisor, share=Decimal("0.50"), now=START)
    draft.refresh_from_db()
    accounts = AccountFactory.create_batch(300, team=team, delinquent_since=date(2026, 8, 1))
    BucketHistory.objects.bulk_create(
        BucketHistory(
            account=a, bucket="M2", entered_on=date(2026, 9, 1), entry_balance=a.total_balance
        )
        for a in accounts
    )
    payments, champions = [], 0
    for a in accounts:
        if arms.arm(a.pk, salt=draft.salt, share=draft.challenger_share) == arms.CHALLENGER:
            amount = Decimal("100.00")
        else:
            champions += 1
            if champions % 2:
                continue
            amount = Decimal("50.00")
        payments.append(
            Payment(
                account=a,
                reference=f"P{a.pk}",
                amount=amount,
                received_at=START + timedelta(days=10),
                source="api",
            )
        )
    Payment.objects.bulk_create(payments)
    # a payment before the start counts for no one
    Payment.objects.create(
        account=accounts[0],
        reference="EARLY",
        amount=Decimal("999.00"),
        received_at=START - timedelta(days=1),
        source="api",
    )
    return draft


def test_results_per_arm_on_a_known_history(experiment):
    with time_machine.travel(NOW, tick=False):
        result = experiments.results(experiment, currency="USD")

    counts = result.accounts
    assert counts[arms.CHAMPION] + counts[arms.CHALLENGER] == 300
    assert result.enough
    collected = next(m for m in result.metrics if m.code == "collected")
    assert collected.challenger == Decimal("100.0000")
    champion_accounts = counts[arms.CHAMPION]
    expected = (Decimal("50.00") * (champion_accounts // 2) / champion_accounts).quantize(
        Decimal("0.0001")
    )
    assert collected.champion == expected
    assert collected.low is not None and collected.low > 0 and collected.better is True
    assert "more per account" in result.verdict
    contacted = next(m for m in result.metrics if m.code == "contacted")
    assert contacted.champion == contacted.challenger == 0 and contacted.better is None


def test_too_few_accounts_is_not_enough_data_yet(experiment, monkeypatch):
    monkeypatch.setattr(experiments, "MIN_ACCOUNTS_PER_ARM", 1_000)
    with time_machine.travel(NOW, tick=False):
        result = experiments.results(experiment, currency="USD")
    assert not result.enough and result.verdict.startswith("Not enough data yet")
    assert all(m.better is None for m in result.metrics)


def test_the_strategy_pages(client, supervisor, specialist, experiment):
    client.force_login(specialist)
    assert client.get(reverse("dashboards:strategies")).status_code == 403
    client.force_login(supervisor)
    assert client.get(reverse("dashboards:strategies")).status_code == 200
    page = client.get(reverse("dashboards:strategy", args=[experiment.pk]))
    assert page.status_code == 200 and b'id="verdict"' in page.content
    client.post(reverse("dashboards:strategy", args=[experiment.pk]), {"action": "promote"})
    assert champion() == experiment
    assert TreatmentStrategy.objects.filter(version=experiment).exists()


# --- The propensity to pay in strategy rules ---------------------------------------------------


@pytest.mark.parametrize(
    ("start", "below"), [(None, None), (500, None), (None, 500), (200, 700), (0, 1000)]
)
def test_a_propensity_band_is_one_rule_in_python_and_sql(team, start, below):
    scores = [None, 0, 199, 200, 499, 500, 699, 700, 1000]
    accounts = [AccountFactory(team=team, propensity=score) for score in scores]
    admitted = set(
        Account.objects.filter(pk__in=[a.pk for a in accounts])
        .filter(propensity_band_q(start, below))
        .values_list("pk", flat=True)
    )
    if start is None and below is None:
        assert admitted == {a.pk for a in accounts}
    for account in accounts:
        in_python = propensity_covers(start, below, account.propensity)
        assert in_python == (account.pk in admitted), account.propensity


def test_a_step_with_a_band_reaches_only_the_accounts_scored_inside_it(team, supervisor):
    scored = {
        score: AccountFactory(
            team=team,
            risk_tier="general",
            delinquent_since=date(2026, 11, 10),
            propensity=score,
        )
        for score in (None, 150, 650)
    }
    for account in scored.values():
        ContactPointFactory(customer=account.customer)
        ContactPointFactory(
            customer=account.customer, kind="email", value=f"p{account.pk}@example.com"
        )
    sms = TreatmentStrategy.objects.get(code="us-m1-sms-general")
    # likely payers get the SMS; the unlikely ones an email instead
    TreatmentStrategy.objects.filter(pk=sms.pk).update(propensity_from=500)
    sms.pk = None
    sms.code, sms.channel, sms.propensity_from, sms.propensity_below = (
        "us-m1-email-unlikely",
        "email",
        None,
        500,
    )
    sms.save()

    reminders_generate(as_of=date(2026, 11, 23), now=NOW)

    sent = {(r.account_id, r.channel) for r in Reminder.objects.filter(kind="strategy")}
    assert sent == {(scored[650].pk, "sms"), (scored[150].pk, "email")}  # unscored: neither
