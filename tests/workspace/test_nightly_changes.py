"""The nightly run's bucket-move and risk steps look only at what changed (``accounts.changes``)
and end where a full run would.

Each write here commits on its own (``transaction=True``): change detection reads the
transaction that wrote each row, so one test transaction around everything would make every
row "written since".
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import override_settings

from accounts import changes, delinquency, risk
from accounts.models import Account, BucketHistory, ContactPoint, NightlyMark
from plans.models import Payment
from tests.factories import AccountFactory, ContactPointFactory, TeamFactory
from workspace import nightly

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

DAY = date(2027, 3, 2)  # a Tuesday
NEXT = DAY + timedelta(days=1)
NOW = datetime(2027, 3, 2, 2, 0, tzinfo=UTC)
NEVER = -1  # no weekly full sweep in these tests


def stored(account: Account) -> tuple:
    account.refresh_from_db()
    return account.risk_score, account.risk_tier, account.risk_factors


def recomputed(ids: list[int], as_of: date) -> dict[int, tuple]:
    return nightly.risk_scores_sql(lo=min(ids), hi=max(ids), as_of=as_of)


def risk_window(as_of: date) -> changes.Window:
    return changes.window_open(
        "risk", as_of=as_of, rules=changes.rules_fingerprint(nightly._risk_select_sql())
    )


def risk_candidates(as_of: date) -> list[int] | None:
    window = risk_window(as_of)
    previous = nightly._risk_windows(window.previous or as_of)
    return changes.account_ids_to_look_at(
        window,
        nightly._risk_changed_sql(),
        {**nightly._risk_windows(as_of), "previous_paid_from": previous["paid_from"]},
    )


@pytest.fixture(autouse=True)
def _small_portfolio(monkeypatch):
    """Four accounts: one written is already a quarter; list them rather than fall back."""
    monkeypatch.setattr(changes, "MOSTLY_WRITTEN", 1.0)


@pytest.fixture
def accounts():
    """Four open accounts, each with a usable phone, scored tonight by a first (full) run."""
    team = TeamFactory(code="us-east", jurisdiction="US")
    made = {}
    # quiet stays at 45 days past due, far from every edge; edge turns 60 tomorrow (a points
    # limit is 59); paid has a payment about to leave the 90 days; phone will opt out.
    for name, since in [
        ("quiet", DAY - timedelta(days=45)),
        ("edge", DAY - timedelta(days=59)),
        ("paid", DAY - timedelta(days=40)),
        ("phone", DAY - timedelta(days=45)),
    ]:
        account = AccountFactory(team=team, delinquent_since=since)
        ContactPointFactory(customer=account.customer)
        made[name] = account
    Payment.objects.create(
        account=made["paid"],
        reference="P-1",
        amount=Decimal("25.00"),
        received_at=datetime.combine(DAY - timedelta(days=90), datetime.min.time(), tzinfo=UTC)
        + timedelta(hours=12),
        source="file",
    )
    return made


@override_settings(SETTLE_NIGHTLY_FULL_WEEKDAY=NEVER)
def test_the_first_run_looks_at_everything_and_leaves_a_mark(accounts):
    assert risk_window(DAY).full
    nightly.risk_refresh(as_of=DAY, now=NOW, incremental=True)
    mark = NightlyMark.objects.get(step="risk")
    assert (mark.as_of, mark.full) == (DAY, True)
    assert not risk_window(NEXT).full


@override_settings(SETTLE_NIGHTLY_FULL_WEEKDAY=NEVER)
def test_the_next_night_looks_only_at_written_rows_and_crossed_edges(accounts):
    nightly.risk_refresh(as_of=DAY, now=NOW, incremental=True)
    # The run wrote all four scores itself: nothing written since, same date, nothing to do.
    assert risk_candidates(DAY) == []
    # Another writer of the same column is seen.
    Account.objects.filter(pk=accounts["quiet"].pk).update(risk_score=0)
    assert risk_candidates(DAY) == [accounts["quiet"].pk]
    nightly.risk_refresh(as_of=DAY, now=NOW, incremental=True)
    assert stored(accounts["quiet"])[0] != 0
    assert risk_candidates(DAY) == []

    # Tomorrow: edge crosses a days-past-due limit and paid's payment leaves the window, with
    # nothing written; phone's number opts out through a bare UPDATE (no save(), no signal).
    ContactPoint.objects.filter(customer=accounts["phone"].customer).update(opted_out=True)
    expected = sorted(accounts[n].pk for n in ("edge", "paid", "phone"))
    assert risk_candidates(NEXT) == expected

    before = stored(accounts["quiet"])
    nightly.risk_refresh(as_of=NEXT, now=NOW + timedelta(days=1), incremental=True)
    ids = [a.pk for a in accounts.values()]
    # Every account ends where a full rescoring puts it …
    assert {pk: stored(Account(pk=pk)) for pk in ids} == recomputed(ids, NEXT)
    # … the ones that changed did, and the quiet one was not rewritten.
    assert stored(accounts["quiet"]) == before
    codes = {f["code"] for f in stored(accounts["phone"])[2]}
    assert "contactability" in codes
    payment = next(f for f in stored(accounts["paid"])[2] if f["code"] == "payment_history")
    assert payment["params"]["count"] == 0


@override_settings(SETTLE_NIGHTLY_FULL_WEEKDAY=NEVER)
def test_a_balance_written_by_any_path_is_seen(accounts):
    nightly.risk_refresh(as_of=DAY, now=NOW, incremental=True)
    nightly.risk_refresh(as_of=DAY, now=NOW, incremental=True)
    with connection.cursor() as cursor:  # as a feed's raw SQL would
        cursor.execute(
            "UPDATE accounts_account SET principal_balance = 40000 WHERE id = %s",
            [accounts["quiet"].pk],
        )
    assert risk_candidates(DAY) == [accounts["quiet"].pk]
    nightly.risk_refresh(as_of=DAY, now=NOW, incremental=True)
    balance = next(f for f in stored(accounts["quiet"])[2] if f["code"] == "balance")
    assert balance["params"]["amount"] == "40075.00"  # with interest 50 and fees 25


@override_settings(SETTLE_NIGHTLY_FULL_WEEKDAY=NEVER)
def test_a_changed_rule_a_long_gap_an_earlier_date_or_the_weekly_backstop_look_at_all(
    accounts, monkeypatch
):
    nightly.risk_refresh(as_of=DAY, now=NOW, incremental=True)
    assert not risk_window(NEXT).full
    assert risk_window(DAY - timedelta(days=1)).full
    assert risk_window(DAY + timedelta(days=changes.MAX_GAP_DAYS + 1)).full
    with override_settings(SETTLE_NIGHTLY_FULL_WEEKDAY=NEXT.weekday()):
        assert risk_window(NEXT).full
    monkeypatch.setattr(risk, "DPD_POINTS_BEYOND", risk.DPD_POINTS_BEYOND + 1)
    assert risk_window(NEXT).full


@override_settings(SETTLE_NIGHTLY_FULL_WEEKDAY=NEVER)
def test_bucket_moves_look_only_at_edges_and_writes_and_match_a_full_run(accounts):
    delinquency.bucket_moves_record(as_of=DAY, incremental=True)
    delinquency.bucket_moves_record(as_of=DAY, incremental=True)  # (stays are not account rows)
    assert BucketHistory.objects.filter(exited_on__isnull=True).count() == 4
    buckets = delinquency.configured_buckets()
    # The first day of M3 (60 days past due): edge, untouched, moves tomorrow.
    m3 = next(b for b in buckets if b.code == "M3")
    assert (NEXT - accounts["edge"].delinquent_since).days == m3.min_days
    # cured by a bare UPDATE: leaves its bucket for M0.
    Account.objects.filter(pk=accounts["paid"].pk).update(delinquent_since=None)

    summary = delinquency.bucket_moves_record(as_of=NEXT, incremental=True)
    assert summary.examined == 2
    stays = dict(
        BucketHistory.objects.filter(exited_on__isnull=True).values_list("account_id", "bucket")
    )
    assert stays[accounts["edge"].pk] == "M3"
    assert stays[accounts["paid"].pk] == "M0"
    # A full run for the same date finds nothing left to move.
    assert delinquency.bucket_moves_record(as_of=NEXT).examined == 0


@override_settings(SETTLE_NIGHTLY_FULL_WEEKDAY=NEVER)
def test_when_most_accounts_were_written_it_reads_them_all_in_ranges(accounts, monkeypatch):
    nightly.risk_refresh(as_of=DAY, now=NOW, incremental=True)
    nightly.risk_refresh(as_of=DAY, now=NOW, incremental=True)
    Account.objects.filter(pk__in=[accounts["quiet"].pk, accounts["edge"].pk]).update(
        fee_balance=Decimal("30.00")
    )
    assert risk_candidates(DAY) == sorted([accounts["quiet"].pk, accounts["edge"].pk])
    monkeypatch.setattr(changes, "MOSTLY_WRITTEN", 0.25)  # two of four: more than a quarter
    assert risk_candidates(DAY) is None


@pytest.mark.parametrize("stage", ["early", "late", "paid"])
def test_a_new_accounts_priority_in_sql_is_the_queue_expressions(stage):
    """What the feed stores for an account it creates equals the nightly expression for it."""
    team = TeamFactory(code="us-east", jurisdiction="US")
    made = [
        AccountFactory(
            team=team, stage=stage, risk_tier=tier, delinquent_since=since, queue_priority=-1
        )
        for tier in ("high", "general", "good")
        for since in (None, DAY, DAY - timedelta(days=1), DAY - timedelta(days=75))
        + tuple(DAY - timedelta(days=b.min_days) for b in delinquency.configured_buckets())
    ]
    expected = dict(
        Account.objects.annotate(p=nightly.queue_priority_expression(DAY)).values_list("id", "p")
    )
    sql = nightly.new_account_priority_sql(
        tier="risk_tier", delinquent_since="delinquent_since", stage="stage"
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, {sql} FROM accounts_account", {"as_of": DAY})  # noqa: S608
        assert dict(cursor.fetchall()) == expected
    assert len(expected) == len(made)
    if stage != "paid":
        assert len(set(expected.values())) > 5  # tiers and buckets tell them apart


@override_settings(SETTLE_NIGHTLY_FULL_WEEKDAY=NEVER)
def test_the_queue_step_looks_only_at_moved_accounts_and_matches_a_full_run(accounts):
    from contacts.models import ContactLog

    # Contacted four days before tomorrow: leaves the "no contact for 3 days" window tonight.
    ContactLog.objects.create(
        account=accounts["quiet"],
        customer=accounts["quiet"].customer,
        channel="call",
        direction="outbound",
        occurred_at=NOW - timedelta(days=3),
        outcome="no_answer",
    )
    nightly.queue_refresh(as_of=DAY, incremental=True)
    nightly.queue_refresh(as_of=DAY, incremental=True)
    Account.objects.filter(pk=accounts["phone"].pk).update(risk_tier="high")

    window = changes.window_open("queue", as_of=NEXT, rules=nightly._queue_rules(), full=False)
    looked_at = nightly._queue_accounts_to_look_at(window)
    # quiet (a contact leaves a window), edge (crosses into M3), phone (tier written); not paid.
    assert looked_at == sorted(accounts[n].pk for n in ("quiet", "edge", "phone"))

    nightly.queue_refresh(as_of=NEXT, incremental=True)
    ids = [a.pk for a in accounts.values()]
    expected = dict(
        Account.objects.filter(pk__in=ids)
        .annotate(p=nightly.queue_priority_expression(NEXT))
        .values_list("id", "p")
    )
    assert dict(Account.objects.filter(pk__in=ids).values_list("id", "queue_priority")) == expected
