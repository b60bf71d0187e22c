"""Propensity to pay (``workspace.propensity``): trained on the demo portfolio's history,
deterministic, better than chance on a held-out month; one feature definition for training and
scoring, the SQL score equal to the Python one; the points tier alone without a model."""

from __future__ import annotations

import io
import math
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from accounts.models import Account, BucketHistory, PropensityModel
from contacts.models import ContactLog
from plans.models import Payment, PromiseStatus, PromiseToPay
from tests.factories import AccountFactory
from workspace import nightly, propensity
from workspace.queue import QueueFilters, work_queue

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _pinned(settings):
    settings.BUSINESS_DATE = AS_OF.isoformat()
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def demo(db):
    """The demo portfolio of 600 accounts with its six months of contacts and payments."""
    call_command(
        "seed_demo",
        accounts=600,
        seed=7,
        as_of=AS_OF,
        no_progress=True,
        no_activity=True,
        stdout=io.StringIO(),
    )


def train() -> PropensityModel:
    return propensity.propensity_train(as_of=AS_OF, now=NOW).model


def test_the_held_out_month_is_the_last_whose_30_days_have_passed():
    assert propensity.holdout_month(date(2026, 11, 23)) == date(2026, 9, 1)
    assert propensity.holdout_month(date(2026, 12, 1)) == date(2026, 10, 1)
    assert propensity.holdout_month(date(2026, 1, 15)) == date(2025, 11, 1)


def test_training_on_the_demo_beats_chance_on_the_held_out_month(demo):
    model = train()
    assert model.status == PropensityModel.Status.ACTIVE
    assert model.holdout_month == date(2026, 9, 1)
    assert model.train_samples >= propensity.MIN_SAMPLES
    assert 0 < model.train_positives < model.train_samples
    assert 0 < model.holdout_positives < model.holdout_samples
    assert model.auc > 0.6
    coef = dict(zip(model.features, model.coefficients, strict=True))
    # The demo's payers are reached, paid recently and are less far behind.
    assert coef["payments_90d"] > 0 and coef["conversations_90d"] > 0
    assert coef["days_past_due"] < 0
    assert propensity.active_model() == model


def test_training_is_deterministic(demo):
    first, second = train(), train()
    assert (first.coefficients, first.intercept, first.means, first.scales, first.auc) == (
        second.coefficients,
        second.intercept,
        second.means,
        second.scales,
        second.auc,
    )
    # The newer one is active; the first retired, not deleted.
    first.refresh_from_db()
    assert (first.status, second.status) == ("retired", "active")
    assert second.version == first.version + 1


def test_the_command_prints_samples_positives_month_and_auc(demo):
    out = io.StringIO()
    call_command("propensity_train", date=AS_OF.isoformat(), score=True, stdout=out)
    model = propensity.active_model()
    text = out.getvalue()
    assert f"training samples {model.train_samples}, positives {model.train_positives}" in text
    assert "held-out month 2026-09" in text
    assert f"held-out AUC {model.auc:.3f}" in text
    assert "scored open accounts:" in text
    assert Account.objects.open().filter(propensity__isnull=False).exists()


def test_too_little_history_leaves_no_model_and_the_tier_alone(team):
    account = AccountFactory(team=team, propensity=700, propensity_inputs={"payments_90d": 1})
    ContactLog.objects.create(
        account=account,
        customer=account.customer,
        channel="call",
        direction="outbound",
        outcome="no_answer",
        occurred_at=datetime(2026, 8, 3, 15, 0, tzinfo=UTC),
    )
    model = train()
    assert model.status == PropensityModel.Status.TOO_LITTLE_HISTORY
    assert "fewer than 500" in model.note
    assert model.coefficients == [] and model.auc is None
    assert propensity.active_model() is None
    # The nightly step clears stale scores: the queue falls back to tier, bucket and recency.
    summary = nightly.nightly_run(as_of=AS_OF, now=NOW)
    assert summary.step("propensity").changed == 1
    account.refresh_from_db()
    assert account.propensity is None and account.propensity_inputs is None
    out = io.StringIO()
    call_command("propensity_train", date=AS_OF.isoformat(), stdout=out)
    assert "too_little_history" in out.getvalue() and "held-out AUC n/a" in out.getvalue()


def test_a_failed_training_keeps_the_active_model(demo):
    model = train()
    # Years later the held-out month and the twelve before it hold no contacts.
    later = propensity.propensity_train(as_of=date(2028, 6, 1), now=NOW).model
    assert later.status == PropensityModel.Status.TOO_LITTLE_HISTORY
    assert propensity.active_model() == model


def test_the_sql_score_equals_the_python_score(demo):
    model = train()
    ids = list(Account.objects.open().order_by("id").values_list("id", flat=True))
    sql = propensity.scores_sql(lo=ids[0], hi=ids[-1], as_of=AS_OF, now=NOW)
    features = propensity.account_features(ids, as_of=AS_OF, now=NOW)
    assert len(sql) == len(ids) == len(features)
    assert len({p for p, _inputs in sql.values()}) > 20  # really spread, not one value
    for pk in ids:
        p, inputs = sql[pk]
        assert inputs == features[pk]
        assert p == propensity.per_mille(propensity.probability(model, features[pk])), pk
    # The nightly step stores exactly that, then writes nothing on a rerun.
    assert propensity.propensity_refresh(as_of=AS_OF, now=NOW, chunk_size=100) == len(ids)
    stored = dict(Account.objects.filter(pk__in=ids).values_list("pk", "propensity"))
    assert stored == {pk: sql[pk][0] for pk in ids}
    assert propensity.propensity_refresh(as_of=AS_OF, now=NOW, chunk_size=100) == 0


# --- One feature definition, read at a contact or at the nightly run ---------------------------
@pytest.fixture
def history(team):
    """An account 75 days past due at a contact on 2026-11-01: two payments before it (one
    older than 90 days), one after; a promise broken before it and one after; three earlier
    attempts of which one reached the customer; hardship declared before it."""
    at = datetime(2026, 11, 1, 15, 0, tzinfo=UTC)
    account = AccountFactory(
        team=team,
        delinquent_since=date(2026, 8, 18),
        hardship_declared_at=at - timedelta(days=3),
    )
    for bucket, entered, dpd, balance in (
        ("M1", date(2026, 8, 19), 1, "900.00"),
        ("M2", date(2026, 9, 17), 30, "1000.00"),
        ("M3", date(2026, 10, 17), 60, "6000.00"),
    ):
        BucketHistory.objects.create(
            account=account,
            bucket=bucket,
            entered_on=entered,
            entry_balance=Decimal(balance),
            entry_days_past_due=dpd,
            exited_on=None if bucket == "M3" else entered + timedelta(days=29),
        )
    for n, when in enumerate(
        (at - timedelta(days=100), at - timedelta(days=20), at + timedelta(1))
    ):
        Payment.objects.create(
            account=account,
            reference=f"P{n}",
            amount=Decimal("50.00"),
            received_at=when,
            source="api",
        )
    for due, resolved in (
        (date(2026, 10, 10), at - timedelta(days=20)),
        (date(2026, 11, 5), at + timedelta(5)),
    ):
        PromiseToPay.objects.create(
            account=account,
            amount=Decimal("50.00"),
            due_date=due,
            status=PromiseStatus.BROKEN,
            resolved_at=resolved,
        )

    def log(when, outcome, direction="outbound"):
        return ContactLog.objects.create(
            account=account,
            customer=account.customer,
            channel="call",
            direction=direction,
            outcome=outcome,
            occurred_at=when,
        )

    log(at - timedelta(days=30), "no_answer")
    log(at - timedelta(days=14), "conversation")
    log(at - timedelta(days=7), "voicemail")
    log(at - timedelta(days=2), "conversation", direction="inbound")  # the customer called
    log(at - timedelta(days=95), "conversation")  # outside the window
    contact = log(at, "no_answer")
    log(at + timedelta(days=3), "conversation")  # after: never seen
    return account, contact, at


EXPECTED = {
    "days_past_due": 60,
    "balance_band": 2,  # 6,000 USD: from 5,000, under 20,000
    "payments_90d": 1,
    "broken_promises_180d": 1,
    "contacts_90d": 3,
    "conversations_90d": 1,
    "hardship": 1,
}


def test_the_features_at_a_contact_see_only_its_past(history):
    account, contact, at = history
    frame = propensity.Frame(account="account_id", account_prefix="account__")
    row = (
        ContactLog.objects.filter(pk=contact.pk)
        .annotate(**propensity.feature_expressions(frame), paid=propensity.paid_within_label())
        .values(*propensity.FEATURE_CODES, "paid")
        .get()
    )
    assert row == {**EXPECTED, "paid": True}  # the payment the day after


def test_the_scoring_reads_the_same_features_at_its_instant(history):
    account, _contact, at = history
    features = propensity.account_features([account.pk], as_of=at.date(), now=at)
    assert features == {account.pk: EXPECTED}


def test_no_payment_within_30_days_is_a_negative(history):
    account, _contact, at = history
    Payment.objects.filter(received_at__gt=at).update(received_at=at + timedelta(days=31))
    row = (
        ContactLog.objects.filter(occurred_at=at)
        .annotate(paid=propensity.paid_within_label())
        .values_list("paid", flat=True)
        .get()
    )
    assert row is False


# --- Factors -----------------------------------------------------------------------------------
def hand_model(**coefficients) -> PropensityModel:
    codes = list(propensity.FEATURE_CODES)
    return PropensityModel(
        version=1,
        trained_at=NOW,
        as_of=AS_OF,
        status=PropensityModel.Status.ACTIVE,
        features=codes,
        coefficients=[coefficients.get(code, 0.0) for code in codes],
        intercept=-0.5,
        means=[30.0, 1.0, 0.5, 0.2, 3.0, 0.5, 0.05],
        scales=[40.0, 1.0, 0.8, 0.5, 2.0, 0.7, 0.2],
    )


def test_the_top_factors_are_the_largest_terms_as_sentences():
    model = hand_model(days_past_due=-0.8, payments_90d=0.9, conversations_90d=0.4, hardship=-0.1)
    inputs = {**EXPECTED, "days_past_due": 180, "payments_90d": 2, "conversations_90d": 0}
    factors = propensity.top_factors(model, inputs)
    assert [(f.text, f.raises) for f in factors] == [
        ("180+ days past due", False),  # -0.8 × (180 − 30) / 40 = −3.0
        ("Paid 2 times in the last 90 days", True),  # 0.9 × 1.5 / 0.8 ≈ 1.69
        ("Hardship declared", False),  # −0.1 × 0.95 / 0.2 = −0.475
    ]
    p = propensity.probability(model, inputs)
    terms = propensity.contributions(model, inputs)
    assert p == pytest.approx(1 / (1 + math.exp(0.5 - sum(terms.values()))))


def test_the_case_page_shows_the_chance_and_its_factors(client, specialist, demo):
    train()
    propensity.propensity_refresh(as_of=AS_OF, now=NOW)
    account = Account.objects.open().exclude(propensity=None).order_by("-propensity").first()
    account.assigned_to = specialist
    account.team = specialist.team
    account.save()
    client.force_login(specialist)
    page = client.get(reverse("accounts:detail", args=[account.pk])).content.decode()
    percent = math.floor(account.propensity / 10 + 0.5)
    assert f"{percent}% likely to pay within 30 days" in page
    model = propensity.active_model()
    for factor in propensity.top_factors(model, account.propensity_inputs):
        assert factor.text in page


def test_the_case_page_without_a_model_shows_no_chance(client, specialist, team):
    account = AccountFactory(team=team, assigned_to=specialist)
    client.force_login(specialist)
    page = client.get(reverse("accounts:detail", args=[account.pk])).content.decode()
    assert "likely to pay within 30 days" not in page


# --- The queue ---------------------------------------------------------------------------------
def test_within_a_reason_the_likelier_payer_comes_first(team, specialist):
    cases = {}
    for name, chance in (("none", None), ("low", 200), ("high", 800)):
        account = AccountFactory(
            team=team, assigned_to=specialist, propensity=chance, delinquent_since=date(2026, 10, 1)
        )
        PromiseToPay.objects.create(account=account, amount=Decimal("50.00"), due_date=AS_OF)
        cases[name] = account.pk
    rows = work_queue(specialist, as_of=AS_OF, filters=QueueFilters(reason="promise_due"))[0:10]
    assert [a.pk for a in rows] == [cases["high"], cases["low"], cases["none"]]


def test_the_nightly_priority_gives_a_point_per_ten_percent(team):
    low = AccountFactory(team=team, propensity=None)
    high = AccountFactory(team=team, propensity=870)
    nightly.queue_refresh(as_of=AS_OF)
    low.refresh_from_db()
    high.refresh_from_db()
    assert high.queue_priority - low.queue_priority == 8


# --- Admin -------------------------------------------------------------------------------------
def test_admins_see_the_auc_and_coefficients(client, admin_user, demo):
    model = train()
    client.force_login(admin_user)
    listing = client.get("/admin/accounts/propensitymodel/").content.decode()
    assert f"{model.auc:.3f}" in listing
    page = client.get(f"/admin/accounts/propensitymodel/{model.pk}/change/").content.decode()
    assert "payments_90d" in page and f"{model.coefficients[2]:+.4f}" in page


def test_the_weekly_task_trains_and_beat_has_its_schedule(demo):
    from django_celery_beat.models import PeriodicTask

    from workspace.tasks import propensity_train_task

    result = propensity_train_task(AS_OF.isoformat())
    model = propensity.active_model()
    assert result == {"version": model.version, "status": "active", "auc": model.auc}
    beat = PeriodicTask.objects.get(task="workspace.tasks.propensity_train_task")
    assert (beat.crontab.day_of_week, beat.crontab.hour, beat.enabled) == ("0", "1", True)


def test_the_chance_costs_the_case_page_one_query(client, specialist, team):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    model = hand_model(payments_90d=0.9)
    model.save()
    account = AccountFactory(team=team, assigned_to=specialist)
    client.force_login(specialist)
    url = reverse("accounts:detail", args=[account.pk])
    client.get(url)  # warm caches (session, content types)
    with CaptureQueriesContext(connection) as without:
        client.get(url)
    Account.objects.filter(pk=account.pk).update(propensity=640, propensity_inputs=EXPECTED)
    with CaptureQueriesContext(connection) as with_chance:
        page = client.get(url).content.decode()
    assert "64% likely to pay within 30 days" in page
    assert "Paid 1 time in the last 90 days" in page
    assert len(with_chance) == len(without) + 1
