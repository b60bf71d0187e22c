"""The supervisor pages: roles and teams, filters, CSV, approvals, reassign, rebalance,
exceptions, and bounded query counts."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.urls import reverse

from accounts.models import Account
from compliance.models import ComplianceDecision
from contacts.models import Complaint, Dispute
from dashboards.facts import facts_refresh
from plans.models import PlanEvent, PlanStatus
from tests.conftest import _user
from tests.dashboards.conftest import at, contact
from tests.factories import AccountFactory
from tests.plans.factories import active_plan, owing_account

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 23)
PAGES = [
    ("dashboards:dashboard", {}),
    ("dashboards:export", {"table": "rates"}),
    ("dashboards:approvals", {}),
    ("dashboards:workload", {}),
    ("dashboards:exceptions", {}),
]
POSTS = [
    ("dashboards:approval_decide", {"pk": 1}),
    ("dashboards:reassign", {}),
    ("dashboards:rebalance", {}),
]


@pytest.fixture
def refreshed(portfolio):
    facts_refresh(day=TODAY, activity_days=30, roll_months=3)
    return portfolio


def rows_of(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


@pytest.mark.parametrize(("name", "kwargs"), PAGES + POSTS)
def test_specialists_get_403_on_every_supervisor_page(client, specialist, name, kwargs):
    client.force_login(specialist)
    url = reverse(name, kwargs=kwargs)
    response = client.post(url) if (name, kwargs) in POSTS else client.get(url)
    assert response.status_code == 403


def test_anonymous_users_are_sent_to_log_in(client):
    response = client.get(reverse("dashboards:dashboard"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_nav_shows_the_supervisor_pages(client, supervisor, specialist):
    client.force_login(supervisor)
    html = client.get(reverse("home")).content.decode()
    for label in ("Dashboard", "Approvals", "Workload", "Exceptions"):
        assert f">{label}</a>" in html
    client.force_login(specialist)
    assert ">Approvals</a>" not in client.get(reverse("home")).content.decode()


def test_dashboard_shows_definitions_numbers_and_as_of(client, supervisor, refreshed):
    client.force_login(supervisor)
    response = client.get(reverse("dashboards:dashboard"), {"date_from": "2026-10-01"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Figures as of" in html
    assert "all outbound call and visit attempts" in html  # the contact-rate definition
    assert "<svg" in html and "heatmap" in html
    # Own team only: us-east made 6 attempts, 4 reached (66.7 %).
    assert "66.7%" in html


def test_a_supervisor_cannot_filter_on_another_team(client, supervisor, other_team, refreshed):
    client.force_login(supervisor)
    response = client.get(reverse("dashboards:dashboard"), {"team": other_team.pk})
    assert response.status_code == 400
    export = client.get(reverse("dashboards:export", args=["rates"]), {"team": other_team.pk})
    assert export.status_code == 400


def test_supervisor_numbers_exclude_other_teams(client, supervisor, refreshed):
    client.force_login(supervisor)
    response = client.get(reverse("dashboards:export", args=["collections"]))
    assert [r[0] for r in rows_of(response)[1:]] == ["USD"]  # no CNY from cn-sh


def test_admin_filters_by_team(client, admin_user, other_team, refreshed):
    client.force_login(admin_user)
    url = reverse("dashboards:export", args=["rates"])
    everyone = rows_of(client.get(url, {"date_from": "2026-11-01"}))
    theirs = rows_of(client.get(url, {"date_from": "2026-11-01", "team": other_team.pk}))
    assert everyone[1][:3] == ["Contact rate", "5", "7"]
    assert theirs[1][:3] == ["Contact rate", "1", "1"]


@pytest.mark.parametrize(
    "params",
    [
        {"date_from": "yesterday"},
        {"date_from": "2026-11-20", "date_to": "2026-11-01"},
        {"date_from": "2020-01-01"},
        {"product": "boat"},
    ],
)
def test_bad_filters_are_a_400_with_the_error(client, supervisor, params):
    client.force_login(supervisor)
    response = client.get(reverse("dashboards:dashboard"), params)
    assert response.status_code == 400
    assert 'class="error"' in response.content.decode()


def test_every_table_exports_csv_with_a_dated_filename(client, supervisor, refreshed):
    from dashboards.tables import TABLES

    client.force_login(supervisor)
    for table in TABLES:
        response = client.get(
            reverse("dashboards:export", args=[table]), {"date_from": "2026-10-01"}
        )
        assert response.status_code == 200, table
        assert response["Content-Type"].startswith("text/csv")
        assert f'filename="{table}-2026-11-23.csv"' in response["Content-Disposition"]
    roll = rows_of(
        client.get(reverse("dashboards:export", args=["roll"]), {"date_from": "2026-10-01"})
    )
    assert ["2026-09-30", "2026-10-31", "M1", "M0", "1", "2", "50.0%"] in roll
    assert client.get("/dashboards/export/nope.csv").status_code == 404


def test_dashboard_queries_are_bounded(
    client, supervisor, refreshed, django_assert_max_num_queries
):
    client.force_login(supervisor)
    with django_assert_max_num_queries(40):
        assert client.get(reverse("dashboards:dashboard")).status_code == 200


# --- Approvals -------------------------------------------------------------------------------
def test_approvals_queue_lists_pending_plans_with_proposer(client, supervisor, portfolio):
    client.force_login(supervisor)
    html = client.get(reverse("dashboards:approvals")).content.decode()
    assert f'id="plan-{portfolio["pending"].pk}"' in html
    assert "sam" in html and "700.00" in html


def test_approving_needs_a_reason_and_is_audited(client, supervisor, portfolio):
    plan = portfolio["pending"]
    client.force_login(supervisor)
    url = reverse("dashboards:approval_decide", args=[plan.pk])
    missing = client.post(url, {"action": "approve", "reason": " "})
    assert missing.status_code == 400
    plan.refresh_from_db()
    assert plan.status == PlanStatus.PENDING_APPROVAL

    response = client.post(url, {"action": "approve", "reason": "Hardship documented"})
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.status == PlanStatus.ACTIVE and plan.approved_by == supervisor
    event = plan.events.get(action=PlanEvent.Action.APPROVED)
    assert (event.by, event.note) == (supervisor, "Hardship documented")


def test_rejecting_records_the_reason(client, supervisor, portfolio):
    plan = portfolio["pending"]
    client.force_login(supervisor)
    client.post(
        reverse("dashboards:approval_decide", args=[plan.pk]),
        {"action": "reject", "reason": "Income not verified"},
    )
    plan.refresh_from_db()
    assert plan.status == PlanStatus.CANCELLED and plan.cancel_reason == "Income not verified"
    assert plan.events.filter(action=PlanEvent.Action.REJECTED, by=supervisor).exists()


def test_a_refusal_by_the_plan_service_is_shown(client, team, supervisor, specialist):
    # Concessions above the supervisor's own authority: plans.services refuses, page says why.
    plan = active_plan(
        owing_account(team, principal="20000.00", interest="6000.00"),
        specialist,
        waived_interest=Decimal("6000.00"),
    )
    assert plan.status == PlanStatus.PENDING_APPROVAL
    client.force_login(supervisor)
    response = client.post(
        reverse("dashboards:approval_decide", args=[plan.pk]), {"action": "approve", "reason": "ok"}
    )
    assert response.status_code == 400
    assert "exceed your authority" in response.content.decode()


def test_another_teams_plan_is_not_found(client, supervisor, other_team, other_specialist):
    plan = active_plan(
        owing_account(other_team), other_specialist, waived_interest=Decimal("700.00")
    )
    client.force_login(supervisor)
    assert (
        f'id="plan-{plan.pk}"' not in client.get(reverse("dashboards:approvals")).content.decode()
    )
    response = client.post(
        reverse("dashboards:approval_decide", args=[plan.pk]), {"action": "approve", "reason": "x"}
    )
    assert response.status_code == 404


def test_approvals_queries_are_bounded(
    client, team, supervisor, specialist, django_assert_max_num_queries
):
    for _ in range(6):
        active_plan(owing_account(team), specialist, waived_interest=Decimal("700.00"))
    client.force_login(supervisor)
    with django_assert_max_num_queries(15):
        assert client.get(reverse("dashboards:approvals")).status_code == 200


# --- Workload --------------------------------------------------------------------------------
@pytest.fixture
def bea(team):
    return _user("specialist", team, "bea")


def test_workload_shows_each_specialists_load(
    client, supervisor, specialist, bea, team, django_assert_max_num_queries
):
    for _ in range(3):
        AccountFactory(team=team, assigned_to=specialist)
    client.force_login(supervisor)
    with django_assert_max_num_queries(20):
        response = client.get(reverse("dashboards:workload"))
    loads = {row["user"].username: row["open"] for row in response.context["loads"]}
    assert loads == {"bea": 0, "sam": 3}


def test_reassigning_selected_cases_is_audited(client, supervisor, specialist, bea, team):
    accounts = [AccountFactory(team=team, assigned_to=specialist) for _ in range(3)]
    client.force_login(supervisor)
    response = client.post(
        reverse("dashboards:reassign"),
        {"team": team.pk, "to": bea.pk, "accounts": [accounts[0].pk, accounts[1].pk]},
    )
    assert response.status_code == 302
    assert list(Account.objects.filter(assigned_to=bea).order_by("id")) == accounts[:2]
    entry = LogEntry.objects.get_for_object(accounts[0]).latest("timestamp")
    assert entry.actor == supervisor
    assert entry.changes == {"assigned_to": [str(specialist.pk), str(bea.pk)]}


def test_reassigning_to_another_teams_specialist_is_refused(
    client, supervisor, specialist, other_specialist, team
):
    account = AccountFactory(team=team, assigned_to=specialist)
    client.force_login(supervisor)
    response = client.post(
        reverse("dashboards:reassign"),
        {"team": team.pk, "to": other_specialist.pk, "accounts": [account.pk]},
    )
    assert response.status_code == 400
    account.refresh_from_db()
    assert account.assigned_to == specialist


def test_reassigning_another_teams_accounts_is_forbidden(client, supervisor, bea, team, other_team):
    theirs = AccountFactory(team=other_team)
    client.force_login(supervisor)
    response = client.post(
        reverse("dashboards:reassign"), {"team": team.pk, "to": bea.pk, "accounts": [theirs.pk]}
    )
    assert response.status_code in (400, 403)
    theirs.refresh_from_db()
    assert theirs.assigned_to is None
    assert client.get(reverse("dashboards:workload"), {"team": other_team.pk}).status_code == 403


def test_rebalance_evens_out_open_cases_and_audits_each_move(
    client, supervisor, specialist, bea, team
):
    for _ in range(6):
        AccountFactory(team=team, assigned_to=specialist)
    AccountFactory(team=team, assigned_to=None)
    AccountFactory(team=team, assigned_to=specialist, stage="closed")  # closed: stays put
    client.force_login(supervisor)
    response = client.post(reverse("dashboards:rebalance"), {"team": team.pk})
    assert response.status_code == 302
    open_ = Account.objects.filter(team=team).exclude(stage="closed")
    counts = sorted(open_.filter(assigned_to=u).count() for u in (specialist, bea))
    assert counts == [3, 4] and not open_.filter(assigned_to=None).exists()
    entries = LogEntry.objects.filter(additional_data__reason="rebalance")
    # 7 open cases, cap 4: two of sam's and the unassigned one go to bea.
    assert entries.count() == 3 and {e.actor_id for e in entries} == {supervisor.pk}
    # A second run has nothing to move.
    client.post(reverse("dashboards:rebalance"), {"team": team.pk})
    assert LogEntry.objects.filter(additional_data__reason="rebalance").count() == 3


# --- Exceptions ------------------------------------------------------------------------------
def test_exceptions_lists_blocked_consent_complaints_and_overdue_disputes(
    client, supervisor, specialist, refreshed, settings, django_assert_max_num_queries
):
    a2, a3 = refreshed["a2"], refreshed["a3"]
    contact(
        a3,
        specialist,
        when=at(11, 22),
        outcome="conversation",
        consent_to_call_until=at(11, 22, 23),
    )
    Dispute.objects.create(
        account=a3,
        customer=a3.customer,
        description="Not mine",
        opened_at=at(10, 1),
        due_date=date(2026, 10, 31),
    )
    Dispute.objects.create(
        account=a2,
        customer=a2.customer,
        description="Amount",
        opened_at=at(11, 20),
        due_date=date(2026, 12, 20),
    )  # not yet due
    client.force_login(supervisor)
    url = reverse("dashboards:exceptions")
    with django_assert_max_num_queries(15):
        blocked = client.get(url, {"tab": "blocked"})
    assert blocked.context["page"].paginator.count == 2
    only_frequency = client.get(url, {"tab": "blocked", "rule": "us_frequency"})
    assert only_frequency.context["page"].paginator.count == 1
    assert client.get(url, {"tab": "consent"}).context["page"].paginator.count == 1
    assert client.get(url, {"tab": "complaints"}).context["page"].paginator.count == 1
    assert client.get(url, {"tab": "disputes"}).context["page"].paginator.count == 1
    export = client.get(url, {"tab": "blocked", "format": "csv"})
    assert 'filename="exceptions-blocked-2026-11-23.csv"' in export["Content-Disposition"]
    assert len(rows_of(export)) == 3
    assert client.get(url, {"tab": "nope"}).status_code == 404
    assert client.get(url, {"date_from": "x"}).status_code == 400


def test_exceptions_hide_other_teams(client, supervisor, other_specialist, refreshed):
    a4 = refreshed["a4"]
    ComplianceDecision.objects.create(
        account=a4,
        customer=a4.customer,
        channel="call",
        at=at(11, 22),
        allowed=False,
        violations=[{"rule": "cn_night"}],
        jurisdiction="CN",
        purpose="contact_log",
    )
    Complaint.objects.create(
        account=a4,
        customer=a4.customer,
        description="x",
        opened_at=at(11, 20),
        due_date=date(2026, 12, 5),
    )
    client.force_login(supervisor)
    url = reverse("dashboards:exceptions")
    assert client.get(url, {"tab": "blocked"}).context["page"].paginator.count == 2
    assert client.get(url, {"tab": "complaints"}).context["page"].paginator.count == 1


def test_csv_cells_a_spreadsheet_would_run_as_formulas_are_neutralised():
    from dashboards.views import spreadsheet_safe

    assert spreadsheet_safe('=HYPERLINK("http://x","y")') == '\'=HYPERLINK("http://x","y")'
    assert spreadsheet_safe("@SUM(A1)") == "'@SUM(A1)"
    assert spreadsheet_safe("-12.50") == "-12.50"
    assert spreadsheet_safe("Jane Roe") == "Jane Roe"
    assert spreadsheet_safe(7) == 7


# --- Settlement offers waiting for approval ---------------------------------------------------
def _offer(team, specialist, amount):
    from plans import services
    from tests.plans.factories import NOW

    account = owing_account(team, delinquent_since=date(2026, 8, 20), assigned_to=specialist)
    return services.settlement_create(
        account=account,
        by=specialist,
        amount=Decimal(amount),
        installments=1,
        first_due_date=date(2026, 12, 15),
        expires_on=date(2026, 12, 10),
        now=NOW,
    )


@pytest.fixture
def pinned(settings):
    import time_machine

    from tests.plans.factories import NOW

    settings.BUSINESS_DATE = ""
    with time_machine.travel(NOW, tick=False):
        yield


def test_settlement_offers_are_approved_or_rejected_with_a_reason(
    client, pinned, team, supervisor, specialist, other_team, other_specialist
):
    within = _offer(team, specialist, "7000.00")  # 30 % off in M4: a supervisor's authority
    beyond = _offer(team, specialist, "5000.00")  # 50 %: an admin's
    elsewhere = _offer(other_team, other_specialist, "7000.00")
    assert {within.status, beyond.status} == {"pending_approval"}
    client.force_login(supervisor)
    html = client.get(reverse("dashboards:approvals")).content.decode()
    assert f'id="settlement-{within.pk}"' in html and f'id="settlement-{beyond.pk}"' in html
    assert f'id="settlement-{elsewhere.pk}"' not in html
    assert "2 settlement offers wait for a decision." in html

    def decide(offer, **data):
        url = reverse("dashboards:settlement_approval_decide", args=[offer.pk])
        return client.post(url, data)

    assert decide(within, action="approve", reason=" ").status_code == 400
    refused = decide(beyond, action="approve", reason="Long-standing customer")
    assert refused.status_code == 400
    assert "exceeds your authority in bucket M4" in refused.content.decode()
    assert decide(elsewhere, action="approve", reason="x").status_code == 404

    assert decide(within, action="approve", reason="Lump sum from family").status_code == 302
    assert decide(beyond, action="reject", reason="Too deep a discount").status_code == 302
    within.refresh_from_db()
    beyond.refresh_from_db()
    assert (within.status, within.approved_by, within.decision_note) == (
        "offered",
        supervisor,
        "Lump sum from family",
    )
    assert (beyond.status, beyond.end_reason) == ("rejected", "Too deep a discount")
    assert (
        "No settlement offer is waiting for approval."
        in client.get(reverse("dashboards:approvals")).content.decode()
    )


def test_the_roll_rate_view_shows_the_latest_month_with_earlier_ones_a_click_away(
    client, supervisor, refreshed
):
    client.force_login(supervisor)
    response = client.get(reverse("dashboards:dashboard"), {"date_from": "2026-08-01"})
    html = response.content.decode()
    roll = html[html.index('id="roll"') : html.index('id="rates"')]
    shown, _, folded = roll.partition('<details class="earlier-months">')
    assert 'data-month="2026-09"' in shown  # end of Sep → end of Oct, the latest pair
    assert 'data-month="2026-08"' not in shown and 'data-month="2026-07"' not in shown
    assert "Earlier month pairs (2)" in folded
    assert folded.index('data-month="2026-08"') < folded.index('data-month="2026-07"')


def test_one_month_pair_has_nothing_folded(client, supervisor, refreshed):
    client.force_login(supervisor)
    html = client.get(reverse("dashboards:dashboard"), {"date_from": "2026-10-15"}).content
    roll = html.decode()[html.decode().index('id="roll"') :]
    assert 'data-month="2026-09"' in roll and "earlier-months" not in roll
