"""The specialist workspace pages: the work queue and the case page."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from accounts.models import Account
from compliance.models import ComplianceDecision
from contacts.models import CallbackTask, ContactLog
from plans.models import PromiseToPay
from tests.factories import AccountFactory, ContactPointFactory, UserFactory

pytestmark = pytest.mark.django_db

AS_OF = "2026-11-23"
# A Monday, 15:00 UTC = 10:00 in New York: inside the US contact window.
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
QUEUE = reverse("accounts:queue")


@pytest.fixture(autouse=True)
def _pinned(settings):
    settings.BUSINESS_DATE = AS_OF
    with time_machine.travel(NOW, tick=False):
        yield


def promise(account, *, due, status="pending", amount="100.00"):
    return PromiseToPay.objects.create(
        account=account, amount=Decimal(amount), due_date=due, status=status
    )


def callback(account, *, due_at, user=None):
    return CallbackTask.objects.create(account=account, assigned_to=user, due_at=due_at)


def names(response) -> list[str]:
    return [row["account"].customer.name for row in response.context["rows"]]


# --- Queue -----------------------------------------------------------------------------------
def test_queue_puts_callbacks_then_promises_due_then_broken_promises_first(
    client, specialist, team
):
    mine = {"team": team, "assigned_to": specialist}
    AccountFactory(**mine, customer__name="Routine Rita", queue_priority=150)
    broken = AccountFactory(**mine, customer__name="Broken Bob", queue_priority=10)
    due = AccountFactory(**mine, customer__name="Promise Pat", queue_priority=10)
    called = AccountFactory(**mine, customer__name="Callback Cal", queue_priority=0)
    promise(broken, due=date(2026, 11, 18), status="broken")
    promise(due, due=date(2026, 11, 23))
    callback(called, due_at=NOW + timedelta(hours=2), user=specialist)

    client.force_login(specialist)
    response = client.get(QUEUE)

    assert response.status_code == 200
    assert names(response) == ["Callback Cal", "Promise Pat", "Broken Bob", "Routine Rita"]
    reasons = [[code for code, _ in row["reasons"]] for row in response.context["rows"]]
    assert reasons == [["callback_due"], ["promise_due"], ["promise_broken"], []]
    html = response.content.decode()
    assert "Callback due" in html and "Promise due today" in html and "Broken promise" in html
    counts = response.context["counts"]
    assert (counts["total"], counts["callback_due"], counts["promise_due"]) == (4, 1, 1)
    assert counts["promise_broken"] == 1


def test_queue_orders_the_rest_by_nightly_priority_then_days_past_due(client, specialist, team):
    mine = {"team": team, "assigned_to": specialist}
    AccountFactory(**mine, customer__name="Low", queue_priority=10)
    AccountFactory(**mine, customer__name="High", queue_priority=90)
    AccountFactory(
        **mine, customer__name="Older", queue_priority=10, delinquent_since=date(2026, 6, 1)
    )
    client.force_login(specialist)
    assert names(client.get(QUEUE)) == ["High", "Older", "Low"]


def test_specialist_sees_only_their_own_open_cases(client, specialist, team, other_team):
    AccountFactory(team=team, assigned_to=specialist, customer__name="Mine")
    AccountFactory(team=team, assigned_to=specialist, customer__name="Closed", stage="closed")
    colleague = UserFactory(username="colleague", team=team)
    AccountFactory(team=team, assigned_to=colleague, customer__name="Colleague's")
    AccountFactory(team=other_team, customer__name="Other team")
    client.force_login(specialist)
    assert names(client.get(QUEUE)) == ["Mine"]


def test_supervisor_sees_the_team_and_filters_by_specialist(
    client, supervisor, specialist, team, other_team
):
    AccountFactory(team=team, assigned_to=specialist, customer__name="Sam's")
    AccountFactory(team=team, customer__name="Unassigned")
    AccountFactory(team=other_team, customer__name="Other team")
    client.force_login(supervisor)
    response = client.get(QUEUE)
    assert sorted(names(response)) == ["Sam's", "Unassigned"]
    assert "sam" in response.content.decode()  # the specialist filter lists the team
    assert names(client.get(QUEUE, {"specialist": specialist.pk})) == ["Sam's"]


def test_queue_filters_by_reason_bucket_and_tier(client, specialist, team):
    mine = {"team": team, "assigned_to": specialist}
    due = AccountFactory(**mine, customer__name="Due", risk_tier="high")
    AccountFactory(**mine, customer__name="Old", delinquent_since=date(2026, 1, 1))
    promise(due, due=date(2026, 11, 23))
    client.force_login(specialist)
    assert names(client.get(QUEUE, {"reason": "promise_due"})) == ["Due"]
    assert names(client.get(QUEUE, {"bucket": "M6"})) == ["Old"]
    assert names(client.get(QUEUE, {"risk_tier": "high"})) == ["Due"]


def test_queue_search_by_name_or_last_digits_shows_numbers_masked(client, specialist, team):
    mine = {"team": team, "assigned_to": specialist}
    AccountFactory(**mine, customer__name="Jane Roe", number="4111222233334444")
    AccountFactory(**mine, customer__name="John Doe", number="4111222233335555")
    client.force_login(specialist)
    assert names(client.get(QUEUE, {"q": "jane"})) == ["Jane Roe"]
    response = client.get(QUEUE, {"q": "5555"})
    assert names(response) == ["John Doe"]
    html = response.content.decode()
    assert "4111222233335555" not in html and "5555" in html


def test_queue_paginates_and_counts_every_case(client, specialist, team):
    AccountFactory.create_batch(30, team=team, assigned_to=specialist)
    client.force_login(specialist)
    first = client.get(QUEUE)
    assert len(first.context["rows"]) == 25
    assert first.context["counts"]["total"] == 30
    assert "Page 1 of 2" in first.content.decode()
    assert len(client.get(QUEUE, {"page": 2}).context["rows"]) == 5


def test_queue_pages_run_from_the_urgent_head_into_the_rest_without_gaps(
    client, specialist, team, supervisor
):
    """The urgent head and the index-ordered rest join seamlessly across pages, and the
    reason filter and counts see only the urgent cases."""
    mine = {"team": team, "assigned_to": specialist}
    accounts = [
        AccountFactory(
            **mine,
            customer__name=f"C{i:02d}",
            queue_priority=(i * 37) % 11,
            delinquent_since=date(2026, 1, 1) + timedelta(days=i % 4),
        )
        for i in range(40)
    ]
    urgent = accounts[5:30:4]  # 7 urgent cases, scattered through the priorities
    for account in urgent:
        promise(account, due=date(2026, 11, 18), status="broken")
    callback(urgent[-1], due_at=NOW + timedelta(hours=1), user=specialist)
    rest = sorted(
        (a for a in accounts if a not in urgent),
        key=lambda a: (-a.queue_priority, a.delinquent_since, a.pk),
    )
    head = [urgent[-1]] + sorted(
        urgent[:-1], key=lambda a: (-a.queue_priority, a.delinquent_since, a.pk)
    )
    expected = [a.customer.name for a in head + rest]

    client.force_login(specialist)
    first = client.get(QUEUE)
    seen = names(first) + names(client.get(QUEUE, {"page": 2}))
    assert seen == expected
    assert first.context["counts"]["total"] == 40
    assert (first.context["counts"]["promise_broken"], first.context["counts"]["callback_due"]) == (
        7,
        1,
    )
    broken = client.get(QUEUE, {"reason": "promise_broken"})
    assert names(broken) == [a.customer.name for a in head]
    assert broken.context["counts"]["total"] == 7
    # A supervisor's scope (the team) reads the same order.
    client.force_login(supervisor)
    assert names(client.get(QUEUE)) == expected[:25]


def test_queue_shows_last_contact_and_next_allowed_call(client, specialist, team):
    contacted = AccountFactory(team=team, assigned_to=specialist, customer__name="Talked")
    ContactLog.objects.create(
        account=contacted,
        customer=contacted.customer,
        channel="call",
        direction="outbound",
        occurred_at=NOW - timedelta(days=2),
        outcome="conversation",
    )
    AccountFactory(team=team, assigned_to=specialist, customer__name="Fresh")
    client.force_login(specialist)
    response = client.get(QUEUE)
    rows = {row["account"].customer.name: row for row in response.context["rows"]}
    # A conversation two days ago: no call for 7 days (1006.14(b)(2)); the fresh one: now.
    assert rows["Fresh"]["call_now"] is True
    assert rows["Talked"]["call_now"] is False
    assert rows["Talked"]["next_call"] > NOW + timedelta(days=4)
    assert "2\xa0days ago" in response.content.decode()
    assert ComplianceDecision.objects.count() == 0  # the preview stores nothing


def test_queue_runs_a_bounded_number_of_queries(
    client, specialist, team, django_assert_max_num_queries
):
    for i in range(40):
        account = AccountFactory(team=team, assigned_to=specialist)
        ContactPointFactory(customer=account.customer)
        promise(account, due=date(2026, 11, 23) if i % 2 else date(2026, 11, 10), status="broken")
        callback(account, due_at=NOW + timedelta(hours=1), user=specialist)
    client.force_login(specialist)
    client.get(QUEUE)  # warm caches (session, content types)
    with django_assert_max_num_queries(14):
        response = client.get(QUEUE)
    assert len(response.context["rows"]) == 25


def test_queue_needs_a_login_and_a_role(client, db):
    assert client.get(QUEUE).status_code == 302
    client.force_login(UserFactory(username="norole"))
    assert client.get(QUEUE).status_code == 403


def test_nav_links_to_the_queue(client, specialist):
    client.force_login(specialist)
    assert f'href="{QUEUE}"' in client.get("/").content.decode()


# --- Case page ---------------------------------------------------------------------------------
def test_case_page_shows_restrictions_promises_and_the_contact_form(client, specialist, team):
    from compliance.services import restriction_create

    account = AccountFactory(team=team, assigned_to=specialist)
    point = ContactPointFactory(customer=account.customer, value="+12125550123")
    restriction_create(
        by=specialist,
        account=account,
        kind="channel_opt_out",
        source="customer_verbal",
        contact_point=point,
        now=NOW,
    )
    promise(account, due=date(2026, 11, 30), amount="150.00")
    client.force_login(specialist)
    html = client.get(reverse("accounts:detail", args=[account.pk])).content.decode()
    assert "Active restrictions" in html and "Channel or address opt-out" in html
    assert "closed by restriction" in html
    assert "+12125550123" not in html and "0123" in html
    assert "150.00" in html and "Open promises" in html
    assert reverse("contacts:log", args=[account.pk]) in html
    assert reverse("contacts:check", args=[account.pk]) in html
    assert reverse("plans:new", args=[account.pk]) in html


def test_case_page_runs_a_bounded_number_of_queries(
    client, specialist, team, django_assert_max_num_queries
):
    account = AccountFactory(team=team, assigned_to=specialist)
    for i in range(30):
        ContactLog.objects.create(
            account=account,
            customer=account.customer,
            channel="call",
            direction="outbound",
            occurred_at=NOW - timedelta(days=40 + i),
            outcome="no_answer",
        )
        promise(account, due=date(2026, 10, 1) + timedelta(days=i), status="broken")
    for _ in range(5):
        ContactPointFactory(customer=account.customer)
    client.force_login(specialist)
    url = reverse("accounts:detail", args=[account.pk])
    client.get(url)
    # A fixed number: the sections, the timeline's sources and the case's action forms.
    # (34: the letters' timeline source is one of them; 35: the account's write-offs.)
    with django_assert_max_num_queries(35):
        assert client.get(url).status_code == 200


def test_another_teams_case_and_its_forms_are_403_by_url(client, specialist, other_team):
    theirs = AccountFactory(team=other_team)
    client.force_login(specialist)
    for url in (
        reverse("accounts:detail", args=[theirs.pk]),
        reverse("contacts:log", args=[theirs.pk]),
        reverse("plans:new", args=[theirs.pk]),
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("contacts:check", args=[theirs.pk])).status_code == 403
    assert Account.objects.filter(pk=theirs.pk).exists()


def test_logging_a_call_with_a_promise_from_the_case_page(client, specialist, team):
    account = AccountFactory(team=team, assigned_to=specialist)
    point = ContactPointFactory(customer=account.customer)
    client.force_login(specialist)
    response = client.post(
        reverse("contacts:log", args=[account.pk]),
        {
            "channel": "call",
            "direction": "outbound",
            "contact_point": point.pk,
            "occurred_at": "2026-11-23T09:30",  # New York time
            "outcome": "conversation",
            "disposition": "promise_to_pay",
            "promise_amount": "120.00",
            "promise_date": "2026-11-30",
        },
    )
    assert response.status_code == 302
    entry = ContactLog.objects.get(account=account)
    assert entry.occurred_at == datetime(2026, 11, 23, 14, 30, tzinfo=UTC)
    assert entry.decision_id is not None
    assert PromiseToPay.objects.get(account=account).amount == Decimal("120.00")


def test_plan_builder_creates_a_plan_from_the_case(client, specialist, team):
    from plans.models import Plan

    account = AccountFactory(team=team, assigned_to=specialist)
    client.force_login(specialist)
    response = client.post(
        reverse("plans:new", args=[account.pk]),
        {
            "method": "equal_installment",
            "annual_rate": "12",
            "frequency": "monthly",
            "installments": "6",
            "down_payment": "0",
            "waived_interest": "0",
            "waived_fees": "0",
            "acceptance_channel": "recorded_call",
            "action": "submit",
        },
    )
    plan = Plan.objects.get(account=account)
    assert response.status_code == 302
    assert plan.status == "active" and plan.installment_count == 6
