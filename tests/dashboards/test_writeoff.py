"""Write-offs on the supervisor pages: the approvals queue, and the KPIs (written off and the
post-write-off recoveries) on a hand-built history with known answers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.models import Account
from dashboards import kpis
from dashboards.facts import facts_refresh
from dashboards.models import DailyActivity
from dashboards.tables import collections_table
from plans import services
from plans.models import WriteOff, WriteOffStatus
from tests.factories import UserFactory
from tests.plans.factories import owing_account, pay

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def _pinned(settings):
    settings.BUSINESS_DATE = TODAY.isoformat()
    with time_machine.travel(NOW, tick=False):
        yield


def small(team, specialist, **extra):
    extra.setdefault("delinquent_since", date(2026, 8, 1))
    return owing_account(
        team,
        assigned_to=specialist,
        principal="1000.00",
        interest="50.00",
        fees="25.00",
        **extra,
    )


@pytest.fixture
def other_supervisor(team):
    user = UserFactory(username="sid", team=team, is_staff=True)
    user.groups.add(Group.objects.get(name="supervisor"))
    return user


# --- Approvals ---------------------------------------------------------------------------------
def decide(client, write_off, **data):
    return client.post(reverse("dashboards:write_off_approval_decide", args=[write_off.pk]), data)


def test_a_supervisor_approves_write_offs_where_plans_are_approved(
    client, team, specialist, supervisor, other_supervisor, other_team, other_specialist
):
    mine = services.write_off_propose(
        account=small(team, specialist), by=specialist, reason="Deceased", now=NOW
    )
    own = services.write_off_propose(
        account=small(team, specialist), by=supervisor, reason="Mine", now=NOW
    )
    theirs = services.write_off_propose(
        account=small(other_team, other_specialist), by=other_specialist, reason="x", now=NOW
    )
    client.force_login(supervisor)
    html = client.get(reverse("dashboards:approvals")).content.decode()
    assert f'id="write-off-{mine.pk}"' in html and f'id="write-off-{own.pk}"' in html
    assert f'id="write-off-{theirs.pk}"' not in html
    assert "2 write-offs wait for a decision." in html

    assert decide(client, mine, action="approve", reason=" ").status_code == 400
    refused = decide(client, own, action="approve", reason="Please")
    assert refused.status_code == 400
    assert "another supervisor or an admin must approve" in refused.content.decode()
    assert decide(client, theirs, action="approve", reason="x").status_code == 404

    assert decide(client, mine, action="approve", reason="Death certificate").status_code == 302
    mine.refresh_from_db()
    assert (mine.status, mine.decided_by, mine.decision_note) == (
        WriteOffStatus.APPLIED,
        supervisor,
        "Death certificate",
    )
    assert Account.objects.get(pk=mine.account_id).charge_off_date == TODAY

    client.force_login(other_supervisor)
    assert decide(client, own, action="reject", reason="Keep collecting").status_code == 302
    own.refresh_from_db()
    assert own.status == WriteOffStatus.REJECTED
    assert Account.objects.get(pk=own.account_id).charge_off_date is None


def test_a_specialist_cannot_approve_a_write_off(client, team, specialist, supervisor):
    proposal = services.write_off_propose(
        account=small(team, specialist), by=supervisor, reason="x", now=NOW
    )
    client.force_login(specialist)
    assert decide(client, proposal, action="approve", reason="ok").status_code == 403
    assert client.get(reverse("dashboards:approvals")).status_code == 403
    proposal.refresh_from_db()
    assert proposal.status == WriteOffStatus.PROPOSED


# --- KPIs --------------------------------------------------------------------------------------
def at(day: date, hour: int = 15) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


@pytest.fixture
def history(team, specialist, supervisor):
    """Charged off on 10 Nov (1,075.00 USD): paid 40.00 on 9 Nov (before), 25.00 on 10 Nov and
    35.00 on 20 Nov (after). Another USD account paid 60.00 on 15 Nov and is never charged off.
    A CNY account charged off by the bank on 1 Nov (no write-off here) paid 88.00 on 12 Nov."""
    charged = small(team, specialist)
    pay(charged, "40.00", reference="H-1", received_at=at(date(2026, 11, 9)), now=NOW)
    charge_day = date(2026, 11, 10)
    proposal = services.write_off_propose(
        account=charged, by=specialist, reason="x", now=at(charge_day, 9)
    )
    # The balance when applied (1,035.00 after the first payment) is what is written off.
    services.write_off_approve(write_off=proposal, by=supervisor, now=at(charge_day, 10))
    pay(charged, "25.00", reference="H-2", received_at=at(charge_day, 16), now=NOW)
    pay(charged, "35.00", reference="H-3", received_at=at(date(2026, 11, 20)), now=NOW)
    other = small(team, specialist)
    pay(other, "60.00", reference="H-4", received_at=at(date(2026, 11, 15)), now=NOW)
    bank = small(
        team,
        specialist,
        currency="CNY",
        customer__jurisdiction="CN",
        customer__time_zone="Asia/Shanghai",
        charge_off_date=date(2026, 11, 1),
    )
    pay(bank, "88.00", reference="H-5", received_at=at(date(2026, 11, 12)), now=NOW)
    facts_refresh(day=TODAY, activity_days=30)
    return {"charged": charged, "write_off": proposal}


def test_recoveries_are_the_payments_from_the_charge_off_date_on(history):
    rows = {
        r["currency"]: r
        for r in kpis.collections(kpis.Filters(date_from=date(2026, 11, 1), date_to=TODAY))
    }
    usd = rows["USD"]
    assert (usd["payments"], usd["collected"]) == (4, Decimal("160.00"))
    assert (usd["recoveries"], usd["recovered"]) == (2, Decimal("60.00"))  # not the 40.00
    assert (usd["written_off_accounts"], usd["written_off"]) == (1, Decimal("1035.00"))
    cny = rows["CNY"]
    assert (cny["recoveries"], cny["recovered"]) == (1, Decimal("88.00"))
    assert (cny["written_off_accounts"], cny["written_off"]) == (0, Decimal("0"))


def test_the_range_picks_the_days(history):
    after = kpis.collections(kpis.Filters(date_from=date(2026, 11, 11), date_to=TODAY))
    usd = next(r for r in after if r["currency"] == "USD")
    assert (usd["recoveries"], usd["recovered"]) == (1, Decimal("35.00"))
    assert usd["written_off"] == Decimal("0")
    facts = DailyActivity.objects.filter(metric="written_off")
    assert [(f.day, f.count, f.amount) for f in facts] == [
        (date(2026, 11, 10), 1, Decimal("1035.00"))
    ]


def test_the_collections_table_and_csv_show_them(history, client, supervisor):
    header, rows = collections_table(kpis.Filters(date_from=date(2026, 11, 1), date_to=TODAY))
    usd = dict(zip(header, next(r for r in rows if r[0] == "USD"), strict=True))
    assert usd["Written off"] == "1035.00" and usd["Accounts written off"] == 1
    assert usd["Post-write-off recoveries"] == 2
    assert usd["Recovered after write-off"] == "60.00"
    client.force_login(supervisor)
    query = "?date_from=2026-11-01&date_to=2026-11-23"
    csv = client.get(reverse("dashboards:export", args=["collections"]) + query)
    assert csv.status_code == 200
    body = csv.content.decode()
    assert "Post-write-off recoveries" in body and "1035.00" in body and "60.00" in body
    page = client.get(reverse("dashboards:dashboard") + query).content.decode()
    assert 'data-kpi="recovered">60.00' in page


def test_a_policy_write_off_counts_as_written_off(team, specialist):
    account = small(team, specialist, delinquent_since=TODAY - timedelta(days=200))
    assert services.write_offs_apply_policy(as_of=TODAY, now=NOW) == 1
    facts_refresh(day=TODAY, activity_days=3)
    [row] = kpis.collections(kpis.Filters(date_from=TODAY, date_to=TODAY))
    assert (row["written_off_accounts"], row["written_off"]) == (1, account.total_balance)
    assert WriteOff.objects.get(account=account).kind == "policy"
