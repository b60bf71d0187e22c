"""Every KPI on the hand-built portfolio (conftest.py) equals its hand-computed answer.

The KPIs read the refreshed facts; the expected numbers below are worked out from the source
rows by hand, so the facts and the definitions are checked together.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from accounts.models import Stage
from dashboards import kpis
from dashboards.facts import facts_refresh, roll_months_ending, roll_rows
from dashboards.models import DailyActivity, PortfolioSnapshot, RollFact
from tests.dashboards.conftest import stay
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 23)
NOVEMBER = {"date_from": date(2026, 11, 1), "date_to": TODAY}


@pytest.fixture
def refreshed(portfolio):
    facts_refresh(day=TODAY, activity_days=30, roll_months=3)
    return portfolio


def f(**kw) -> kpis.Filters:
    return kpis.Filters(**{**NOVEMBER, **kw})


def test_roll_months_are_the_last_ended_month_pairs():
    assert roll_months_ending(date(2026, 11, 23), 3) == [
        date(2026, 7, 1),
        date(2026, 8, 1),
        date(2026, 9, 1),
    ]
    assert roll_months_ending(date(2026, 11, 30), 1) == [date(2026, 10, 1)]


def test_portfolio_by_bucket_and_tier(refreshed, team):
    result = kpis.portfolio(f(team_id=team.pk, product="credit_card"))
    assert result.day == TODAY
    assert [
        (r["bucket"], r["tier"], r["currency"], r["accounts"], r["balance"]) for r in result.rows
    ] == [
        ("M0", "good", "USD", 1, Decimal("1075.00")),
        ("M1", "general", "USD", 1, Decimal("1075.00")),
        ("M2", "high", "USD", 1, Decimal("1075.00")),
    ]  # the closed account is left out


def test_portfolio_keeps_currencies_apart(refreshed):
    rows = kpis.portfolio(f(jurisdiction="CN")).by_bucket
    assert rows == [
        {"bucket": "M1", "currency": "CNY", "accounts": 1, "balance": Decimal("1075.00")}
    ]


def test_roll_rate_matrix_and_cure_rate(refreshed, team):
    window = {"date_from": date(2026, 10, 1), "date_to": TODAY}
    everyone = kpis.roll_rates(kpis.Filters(**window))
    assert [m.month for m in everyone] == [date(2026, 9, 1)]  # the pair ending 31 Oct
    matrix = everyone[0]
    assert (matrix.start_day, matrix.end_day) == (date(2026, 9, 30), date(2026, 10, 31))
    third = Decimal("0.3333")
    assert matrix.rate("M0", "M0") == Decimal("1.0000")
    assert [matrix.rate("M1", b) for b in ("M0", "M1", "M2", "M3")] == [
        third,
        Decimal("0.0000"),
        third,
        third,
    ]
    assert matrix.row_total("M1") == 3
    assert matrix.rate("M2", "M2") is None  # nobody in M2 on 30 Sep
    assert matrix.cure_rate == third
    assert kpis.cure_rate(everyone) == {"delinquent": 3, "cured": 1, "rate": third}

    ours = kpis.roll_rates(kpis.Filters(**window, team_id=team.pk))[0]
    assert ours.rate("M1", "M0") == Decimal("0.5000")
    assert ours.rate("M1", "M2") == Decimal("0.5000")
    assert ours.rate("M1", "M3") == Decimal("0.0000")
    assert ours.cure_rate == Decimal("0.5000")


def test_roll_rate_matrix_includes_every_pair_ending_in_the_range(refreshed):
    months = kpis.roll_rates(kpis.Filters(date(2026, 8, 15), TODAY))
    assert [m.month for m in months] == [date(2026, 7, 1), date(2026, 8, 1), date(2026, 9, 1)]
    # Only a1 was in a bucket on 31 Jul and 31 Aug.
    assert months[0].counts == {("M0", "M0"): 1}
    assert months[0].cure_rate is None


def test_contact_and_right_party_contact_rates(refreshed, team):
    result = kpis.contact_rates(f(team_id=team.pk))
    assert (result["attempts"], result["contacts"], result["rpc"]) == (6, 4, 3)
    assert result["contact_rate"] == Decimal("0.6667")
    assert result["rpc_rate"] == Decimal("0.5000")
    everyone = kpis.contact_rates(f())
    assert (everyone["attempts"], everyone["contacts"], everyone["rpc"]) == (7, 5, 4)


def test_promise_rate_and_promise_kept_rate(refreshed, team):
    result = kpis.promise_rates(f(team_id=team.pk))
    assert result["promises_made"] == 2  # the promise of 20 Oct is outside November
    assert result["promise_rate"] == Decimal("0.6667")  # 2 promises / 3 right-party contacts
    assert (
        result["promises_kept"],
        result["promises_partially_kept"],
        result["promises_broken"],
    ) == (1, 1, 1)
    assert result["kept_rate"] == Decimal("0.3333")


def test_amount_collected_and_recovery_rate(refreshed, team):
    rows = kpis.collections(f(team_id=team.pk, product="credit_card"))
    assert rows == [
        {
            "currency": "USD",
            "payments": 2,
            "collected": Decimal("150.00"),
            "delinquent_balance": Decimal("2150.00"),  # a2 + a3 on the snapshot of 23 Nov
            "base_day": TODAY,
            "recovery_rate": Decimal("0.0698"),  # 150 / 2150 = 0.06977
            # Nothing charged off here (tests/dashboards/test_writeoff.py has the cases).
            "written_off_accounts": 0,
            "written_off": Decimal("0"),
            "recoveries": 0,
            "recovered": Decimal("0"),
        }
    ]
    both = kpis.collections(f())
    assert [(r["currency"], r["collected"]) for r in both] == [
        ("CNY", Decimal("300.00")),
        ("USD", Decimal("150.00")),
    ]


def test_plans_active_completed_and_broken_rate(refreshed, team):
    result = kpis.plan_rates(f(team_id=team.pk))
    assert result["active"] == 1
    assert (result["plans_completed"], result["plans_broken"]) == (1, 2)
    assert result["plans_activated"] == 1  # the one activated on 2 Nov
    assert result["broken_rate"] == Decimal("0.6667")


def test_complaint_rate_per_thousand_right_party_contacts(refreshed, team):
    result = kpis.complaint_rate(f(team_id=team.pk))
    assert (result["complaints"], result["rpc"]) == (1, 3)
    assert result["per_1000_rpc"] == Decimal("333.33")


def test_reasons_for_delinquency(refreshed, team):
    assert kpis.reasons(f(team_id=team.pk)) == [
        {"reason": "unemployment", "count": 2, "share": Decimal("0.6667")},
        {"reason": "illness", "count": 1, "share": Decimal("0.3333")},
    ]


def test_compliance_blocks_by_rule(refreshed):
    assert kpis.blocks(f()) == {
        "total": 2,
        "by_rule": [
            {"rule": "us_time_of_day", "count": 2},
            {"rule": "us_frequency", "count": 1},
        ],
    }


def test_per_specialist_table(refreshed, team, specialist):
    rows = kpis.specialists(f(team_id=team.pk, product="credit_card"))
    sam = next(r for r in rows if r["specialist_id"] == specialist.pk)
    assert sam["workload"] == 3
    assert sam["balance"] == {"USD": Decimal("3225.00")}
    assert (
        sam["attempts"],
        sam["rpc"],
        sam["promises_made"],
        sam["promises_kept"],
        sam["complaints"],
    ) == (6, 3, 2, 1, 1)
    assert sam["collected"] == {"USD": Decimal("150.00")}


def test_a_supervisor_scope_hides_other_teams(refreshed, team):
    scoped = f(team_ids=(team.pk,))
    assert kpis.collections(scoped)[0]["currency"] == "USD"
    assert len(kpis.collections(scoped)) == 1
    assert kpis.contact_rates(scoped)["attempts"] == 6


def test_refresh_is_idempotent(refreshed):
    counts = (
        PortfolioSnapshot.objects.count(),
        DailyActivity.objects.count(),
        RollFact.objects.count(),
    )
    facts_refresh(day=TODAY, activity_days=30, roll_months=3)
    assert (
        PortfolioSnapshot.objects.count(),
        DailyActivity.objects.count(),
        RollFact.objects.count(),
    ) == counts


def test_a_past_day_refresh_keeps_the_snapshot_and_updates_activity(refreshed):
    before = PortfolioSnapshot.objects.count()
    facts_refresh(day=date(2026, 11, 22), activity_days=1)
    assert PortfolioSnapshot.objects.count() == before
    assert not PortfolioSnapshot.objects.filter(day=date(2026, 11, 22)).exists()


def test_the_command_and_the_task_refresh_the_business_date(portfolio):
    from django.core.management import call_command

    from dashboards.models import RefreshRun
    from dashboards.tasks import facts_refresh_task

    call_command("refresh_dashboards", "--date", "2026-11-23", "--activity-days", "30")
    assert PortfolioSnapshot.objects.filter(day=TODAY).exists()
    result = facts_refresh_task()  # default: the business date
    assert result["day"] == "2026-11-23"
    assert RefreshRun.objects.count() == 2
    assert kpis.contact_rates(f())["attempts"] == 7  # nothing counted twice


def test_a_bad_date_is_a_command_error(db):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("refresh_dashboards", "--date", "23/11/2026")


def test_beat_refreshes_intraday_and_after_the_nightly_run(db):
    from django_celery_beat.models import PeriodicTask

    tasks = {
        t.name: (t.task, t.crontab.minute, t.crontab.hour)
        for t in PeriodicTask.objects.filter(name__startswith="Dashboards:")
    }
    assert tasks == {
        "Dashboards: refresh intraday": ("dashboards.tasks.facts_refresh_task", "*/30", "*"),
        "Dashboards: refresh after the nightly run": (
            "dashboards.tasks.facts_refresh_task",
            "45",
            "3",
        ),
    }


@pytest.mark.django_db
def test_an_account_that_left_collections_is_an_exit_not_a_stay_and_paying_off_cures(team):
    """A settled account's stay ends with an exit to the stage: the matrix shows where it went,
    and paying off or settling counts as cured; a write-off does not."""
    settled = AccountFactory(team=team, stage=Stage.SETTLED)
    written_off = AccountFactory(team=team, stage=Stage.WRITTEN_OFF)
    still = AccountFactory(team=team)
    stay(settled, "M2", date(2026, 9, 1), date(2026, 10, 20), "settled")
    stay(written_off, "M2", date(2026, 9, 1), date(2026, 10, 20), "written_off")
    stay(still, "M2", date(2026, 9, 1))

    counts = {(r.from_bucket, r.to_bucket): r.accounts for r in roll_rows(date(2026, 9, 1))}
    matrix = kpis.RollMatrix(month=date(2026, 9, 1), buckets=["M0", "M1", "M2"], counts=counts)

    assert counts == {("M2", "settled"): 1, ("M2", "written_off"): 1, ("M2", "M2"): 1}
    assert matrix.columns == ["M0", "M1", "M2", "settled", "written_off"]
    assert matrix.rate("M2", "M2") == Decimal("0.3333")  # the settled one no longer stays
    assert (matrix.cured, matrix.delinquent_at_start) == (1, 3)
