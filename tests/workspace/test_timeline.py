"""The case timeline merges every kind of event in time order with a bounded query count."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from accounts.models import BucketHistory
from contacts.models import ContactLog
from plans.models import Payment, PromiseToPay
from tests.factories import AccountFactory
from workspace.timeline import SOURCE_RECORDS, SOURCES, account_timeline

pytestmark = pytest.mark.django_db
START = datetime(2026, 1, 1, 15, tzinfo=UTC)


@pytest.fixture
def busy_account(team):
    account = AccountFactory(team=team)
    ContactLog.objects.bulk_create(
        ContactLog(
            account=account,
            customer=account.customer,
            channel="call",
            direction="outbound",
            outcome="no_answer",
            source="history",
            occurred_at=START + timedelta(hours=i),
        )
        for i in range(600)
    )
    Payment.objects.bulk_create(
        Payment(
            account=account,
            reference=f"P{i}",
            amount=Decimal("10.00"),
            source="file",
            received_at=START + timedelta(hours=i, minutes=30),
        )
        for i in range(150)
    )
    # One pending promise at most per account: 99 broken ones (made and resolved: 2 events
    # each) and the current one.
    PromiseToPay.objects.bulk_create(
        PromiseToPay(
            account=account,
            amount=Decimal("50.00"),
            due_date=date(2026, 3, 1),
            created_at=START + timedelta(hours=i, minutes=10),
            status="pending" if i == 99 else "broken",
            resolved_at=None if i == 99 else START + timedelta(hours=i, minutes=20),
        )
        for i in range(100)
    )
    BucketHistory.objects.bulk_create(
        BucketHistory(
            account=account,
            bucket=f"M{i % 7}",
            entered_on=date(2026, 1, 1) + timedelta(days=i),
            entry_balance=Decimal("1000.00"),
            exited_on=None if i == 50 else date(2026, 1, 2) + timedelta(days=i),
        )
        for i in range(51)
    )
    return account


def test_a_thousand_events_take_a_bounded_number_of_queries(
    busy_account, django_assert_max_num_queries
):
    with django_assert_max_num_queries(15):  # one per source, and the contact points named
        events = account_timeline(busy_account)
    assert len(events) == 1000
    assert [e.at for e in events] == sorted((e.at for e in events), reverse=True)
    assert {e.kind for e in events} == {"contact", "payment", "promise", "bucket"}


def test_the_timeline_api_pages_and_filters(
    api, specialist, busy_account, django_assert_max_num_queries
):
    client = api.as_user(specialist)
    with django_assert_max_num_queries(18):
        page = client.get(f"/api/v1/accounts/{busy_account.pk}/timeline/?page_size=100")
    assert page.status_code == 200
    body = page.json()
    assert (body["count"], len(body["results"])) == (1000, 100)
    payments = client.get(f"/api/v1/accounts/{busy_account.pk}/timeline/?kind=payment").json()
    assert payments["count"] == 150


def test_the_case_page_shows_the_timeline_in_bounded_queries(
    client, specialist, busy_account, django_assert_max_num_queries
):
    client.force_login(specialist)
    # One more with the letters on the timeline (34), one more for the write-offs (35).
    with django_assert_max_num_queries(35):
        response = client.get(f"/accounts/{busy_account.pk}/")
    assert response.status_code == 200
    assert b"Entered bucket M1" in response.content  # the newest events come first


def test_the_timeline_merges_restrictions_and_disputes(api, specialist, supervisor, team):
    from outreach.services import dispute_open

    account = AccountFactory(team=team)
    dispute_open(
        account=account,
        description="Not mine",
        by=specialist,
        now=datetime(2026, 11, 20, 15, tzinfo=UTC),
    )
    kinds = [e.kind for e in account_timeline(account)]
    assert "dispute" in kinds and "restriction" in kinds


def test_another_teams_timeline_is_forbidden(api, other_specialist, busy_account):
    response = api.as_user(other_specialist).get(f"/api/v1/accounts/{busy_account.pk}/timeline/")
    assert response.status_code == 403


def test_settlement_offers_and_hardship_arrangements_show_each_step(team, specialist, supervisor):
    from plans import services
    from tests.plans.factories import NOW, owing_account, pay

    with time_machine.travel(NOW, tick=False):
        account = owing_account(team, delinquent_since=date(2026, 8, 20), assigned_to=specialist)
        hardship = services.hardship_create(
            account=account,
            by=specialist,
            kind="reduced_payment",
            monthly_amount=Decimal("150.00"),
            months=2,
            reason="Reduced hours.",
            now=NOW,
        )
        services.hardship_end(
            arrangement=hardship,
            by=specialist,
            outcome="revert",
            note="Back to full hours.",
            now=NOW + timedelta(days=1),
        )
        offer = services.settlement_create(
            account=account,
            by=specialist,
            amount=Decimal("8500.00"),
            installments=1,
            first_due_date=date(2026, 12, 15),
            expires_on=date(2026, 12, 10),
            now=NOW + timedelta(days=2),
        )
        pay(account, "8500.00", reference="LUMP", received_at=NOW + timedelta(days=3))

    events = account_timeline(account, kinds={"settlement", "hardship"})

    titles = [e.title for e in reversed(events)]  # oldest first
    assert titles == [
        "Hardship arrangement: Reduced payment for 2 months, review on 2027-01-23"
        " · 150.00 USD a month",
        "Hardship arrangement ended: Reverted to the usual terms",
        f"Settlement {offer.pk} proposed: 8500.00 USD (discount 1500.00)",
        f"Settlement {offer.pk} offered, open until 2026-12-10",
        f"Settlement {offer.pk} accepted (first payment received)",
        f"Settlement {offer.pk} paid: 1500.00 USD written off",
    ]
    assert events[-1].detail == "Reduced hours." and events[-2].detail == "Back to full hours."


def test_a_limited_timeline_is_the_newest_events_of_the_whole(busy_account, team, specialist):
    # Promises made long ago but resolved lately must come with the newest events.
    PromiseToPay.objects.filter(account=busy_account, status="broken").update(
        resolved_at=START + timedelta(days=400)
    )
    whole = account_timeline(busy_account)
    for limit in (1, 50, 151, 999):
        newest = account_timeline(busy_account, limit=limit)
        assert [(e.kind, e.ref, e.at, e.title) for e in newest] == [
            (e.kind, e.ref, e.at, e.title) for e in whole[:limit]
        ]


def test_the_case_page_reads_a_page_of_the_timeline_not_the_history(
    client, specialist, busy_account
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(specialist)
    with CaptureQueriesContext(connection) as queries:
        first = client.get(f"/accounts/{busy_account.pk}/")
    assert len(first.context["timeline"].events) == 50 and first.context["timeline"].has_next
    # Every source reads at most a page and one row more (is there an older page?); the sources
    # of what the page found none of (plans, callbacks, settlements, hardship) are not read.
    assert sum("LIMIT 51" in q["sql"] for q in queries) == len(SOURCES) - 4
    third = client.get(f"/accounts/{busy_account.pk}/?page=3")
    whole = account_timeline(busy_account)
    assert [e.ref for e in third.context["timeline"]] == [e.ref for e in whole[100:150]]
    assert "Older" in third.content.decode() and "Newer" in third.content.decode()
    last = client.get(f"/accounts/{busy_account.pk}/?page=20")
    assert len(last.context["timeline"].events) == 50 and not last.context["timeline"].has_next
    assert client.get(f"/accounts/{busy_account.pk}/?page=junk").status_code == 200


def test_kinds_the_caller_found_none_of_are_not_queried_and_change_nothing(
    busy_account, django_assert_num_queries
):
    absent = ["plans", "callbacks", "settlements", "hardship"]  # busy_account has none
    whole = account_timeline(busy_account, limit=60)
    with django_assert_num_queries(len(SOURCES) + 1 - len(absent)):  # + the contact points
        skipping = account_timeline(busy_account, limit=60, absent=absent)
    assert [(e.kind, e.ref, e.at) for e in skipping] == [(e.kind, e.ref, e.at) for e in whole]
    assert set(SOURCE_RECORDS) >= set(absent)
