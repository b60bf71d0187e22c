"""The queue reasons of a case's later life: a plan installment missed, a settlement offer
expiring, a hardship review due. One rule (``workspace.urgency``) for the live queue and the
nightly priority."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from accounts.models import Account
from plans import services
from plans.models import HardshipArrangement, Settlement
from tests.plans.factories import active_plan, owing_account
from workspace import nightly, urgency
from workspace.queue import queue_annotate

pytestmark = pytest.mark.django_db

AS_OF = date(2027, 1, 12)  # the worked example's first installment fell due on 1 January
NOW = datetime(2027, 1, 12, 15, 0, tzinfo=UTC)
QUEUE = reverse("accounts:queue")


@pytest.fixture(autouse=True)
def _pinned(settings):
    settings.BUSINESS_DATE = AS_OF.isoformat()
    with time_machine.travel(NOW, tick=False):
        yield


def live(account) -> Account:
    return queue_annotate(Account.objects.filter(pk=account.pk), as_of=AS_OF).get()


def case(team, specialist, name, **extra):
    return owing_account(team, assigned_to=specialist, customer__name=name, **extra)


def offered(account, by, *, expires_on):
    return Settlement.objects.create(
        account=account,
        status="offered",
        currency=account.currency,
        balance=account.total_balance,
        amount=Decimal("8000.00"),
        discount=account.total_balance - Decimal("8000.00"),
        first_due_date=expires_on,
        expires_on=expires_on,
        proposed_by=by,
    )


def hardship(account, by, *, review_on):
    return HardshipArrangement.objects.create(
        account=account,
        kind="interest_freeze",
        months=3,
        starts_on=AS_OF - timedelta(days=60),
        ends_on=AS_OF + timedelta(days=30),
        review_on=review_on,
        reason="Illness.",
        created_by=by,
    )


def test_each_reason_holds_exactly_when_its_rule_does(team, specialist):
    missed = case(team, specialist, "Missed")
    active_plan(missed, specialist)  # START 2026-12-01: installment 1 due 2027-01-01, unpaid
    paid = case(team, specialist, "Paid")
    plan = active_plan(paid, specialist)
    first = plan.installments.get(number=1)
    services.payment_post(
        account=paid,
        amount=first.amount,
        received_at=NOW,
        reference="P-1",
        by=None,
        now=NOW,
    )
    expiring = case(team, specialist, "Expiring")
    offered(expiring, specialist, expires_on=AS_OF + timedelta(days=7))
    later = case(team, specialist, "Later")
    offered(later, specialist, expires_on=AS_OF + timedelta(days=8))
    review = case(team, specialist, "Review")
    hardship(review, specialist, review_on=AS_OF)
    not_yet = case(team, specialist, "Not yet")
    hardship(not_yet, specialist, review_on=AS_OF + timedelta(days=1))

    flags = {
        a.customer.name: {name for name in urgency.URGENCY_POINTS if getattr(live(a), name)}
        for a in (missed, paid, expiring, later, review, not_yet)
    }
    assert flags == {
        "Missed": {"installment_missed"},
        "Paid": set(),
        "Expiring": {"settlement_expiring"},
        "Later": set(),
        "Review": {"hardship_review"},
        "Not yet": set(),
    }
    assert live(missed).urgency == urgency.INSTALLMENT_MISSED_POINTS


def test_the_expiry_window_is_a_setting(settings, team, specialist):
    account = case(team, specialist, "Expiring")
    offered(account, specialist, expires_on=AS_OF + timedelta(days=8))
    assert not live(account).settlement_expiring
    settings.SETTLE_SETTLEMENT_EXPIRING_DAYS = 8
    assert live(account).settlement_expiring


def test_the_queue_shows_filters_and_counts_the_new_reasons(client, team, specialist):
    active_plan(case(team, specialist, "Missed"), specialist)
    offered(case(team, specialist, "Expiring"), specialist, expires_on=AS_OF)
    hardship(case(team, specialist, "Review"), specialist, review_on=AS_OF - timedelta(days=3))
    case(team, specialist, "Routine")

    client.force_login(specialist)
    response = client.get(QUEUE)
    rows = [
        (row["account"].customer.name, [code for code, _ in row["reasons"]])
        for row in response.context["rows"]
    ]
    assert rows == [
        ("Missed", ["installment_missed"]),
        ("Expiring", ["settlement_expiring"]),
        ("Review", ["hardship_review"]),
        ("Routine", []),
    ]
    html = response.content.decode()
    for label in ("Plan installment missed", "Settlement offer expiring", "Hardship review due"):
        assert label in html
    counts = response.context["counts"]
    assert (counts["installment_missed"], counts["settlement_expiring"]) == (1, 1)
    assert counts["hardship_review"] == 1 and 'data-count="hardship_review">1<' in html
    for code, name in (
        ("installment_missed", "Missed"),
        ("settlement_expiring", "Expiring"),
        ("hardship_review", "Review"),
    ):
        filtered = client.get(QUEUE, {"reason": code}).context["rows"]
        assert [row["account"].customer.name for row in filtered] == [name]


def test_the_nightly_priority_gives_the_same_points(team, specialist):
    quiet = case(team, specialist, "Quiet")
    review = case(team, specialist, "Review")
    hardship(review, specialist, review_on=AS_OF)
    missed = case(team, specialist, "Missed")
    active_plan(missed, specialist)
    on_time = case(team, specialist, "On time")
    plan = active_plan(on_time, specialist)
    first = plan.installments.get(number=1)
    services.payment_post(
        account=on_time, amount=first.amount, received_at=NOW, reference="P-1", by=None, now=NOW
    )

    nightly.queue_refresh(as_of=AS_OF)
    for account in (quiet, review, missed, on_time):
        account.refresh_from_db()
    # Same tier, bucket and contact history (none): the difference is the reason's points.
    assert review.queue_priority - quiet.queue_priority == urgency.HARDSHIP_REVIEW_POINTS
    assert missed.queue_priority - on_time.queue_priority == urgency.INSTALLMENT_MISSED_POINTS
    assert live(review).urgency == urgency.HARDSHIP_REVIEW_POINTS


def test_a_case_on_a_plan_has_no_collection_strategy_as_its_next_action(client, team, specialist):
    missed = case(team, specialist, "Missed", risk_tier="general")
    active_plan(missed, specialist)
    services.plans_reage(as_of=AS_OF, now=NOW)  # installment 1 unpaid since 1 January: M1
    case(
        team,
        specialist,
        "Off plan",
        risk_tier="general",
        delinquent_since=AS_OF - timedelta(days=11),
    )

    client.force_login(specialist)
    rows = {row["account"].customer.name: row for row in client.get(QUEUE).context["rows"]}

    assert [rows[name]["account"].bucket_code for name in ("Missed", "Off plan")] == ["M1", "M1"]
    assert rows["Off plan"]["action"] == "SMS"  # the US M1 strategy for the general tier
    assert rows["Missed"]["action"] == ""  # the plan's own reminders are its messages
