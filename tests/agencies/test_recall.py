"""Recalling a placement on demand and by date: the account comes back to collections."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django_celery_beat.models import PeriodicTask

from accounts.models import Account
from agencies.models import Placement
from agencies.services import PlacementEnded, placement_recall
from agencies.tasks import placements_recall_due_task
from tests.agencies.factories import NOW, TODAY, agency, place
from tests.factories import AccountFactory
from tests.plans.factories import pay

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _pinned(settings):
    settings.BUSINESS_DATE = ""
    with time_machine.travel(NOW, tick=False):
        yield


def _placed(team, supervisor, *, delinquent_since=date(2026, 10, 1), recall_on=None):
    account = AccountFactory(team=team, delinquent_since=delinquent_since)
    batch = place([account], agency(f"ag{account.pk}"), supervisor, recall_on=recall_on)
    return batch.placements.get()


def test_a_recalled_account_returns_early_with_the_reason_kept(team, supervisor):
    placement = _placed(team, supervisor)  # 53 DPD

    placement_recall(placement=placement, by=supervisor, reason="Agency not working it")

    placement.refresh_from_db()
    assert placement.status == "recalled"
    assert (placement.recalled_by, placement.recall_reason) == (supervisor, "Agency not working it")
    assert placement.recalled_at == NOW
    assert Account.objects.get(pk=placement.account_id).stage == "early"


def test_a_recalled_account_past_60_days_returns_late(team, supervisor):
    placement = _placed(team, supervisor, delinquent_since=date(2026, 8, 1))  # placed from early
    assert placement.stage_before == "early"
    placement_recall(placement=placement, by=supervisor, reason="Back in house")
    assert Account.objects.get(pk=placement.account_id).stage == "late"


def test_recalling_needs_a_reason_and_happens_once(team, supervisor):
    placement = _placed(team, supervisor)
    with pytest.raises(ValidationError) as excinfo:
        placement_recall(placement=placement, by=supervisor, reason="  ")
    assert "reason" in excinfo.value.message_dict
    placement_recall(placement=placement, by=supervisor, reason="Done")
    with pytest.raises(PlacementEnded):
        placement_recall(placement=placement, by=supervisor, reason="Again")


def test_only_a_lead_of_the_accounts_team_recalls(team, other_team, supervisor, specialist):
    from tests.conftest import _user

    placement = _placed(team, supervisor)
    with pytest.raises(PermissionDenied):
        placement_recall(placement=placement, by=specialist, reason="Mine now")
    stranger = _user("supervisor", other_team, "zhou")
    with pytest.raises(PermissionDenied):
        placement_recall(placement=placement, by=stranger, reason="Mine now")
    assert Placement.objects.get(pk=placement.pk).status == "placed"


def test_the_daily_task_recalls_what_is_due_once(team, supervisor):
    due = _placed(team, supervisor, recall_on=TODAY + timedelta(days=30))
    later = _placed(team, supervisor, recall_on=TODAY + timedelta(days=31))

    with time_machine.travel(NOW + timedelta(days=29), tick=False):
        assert placements_recall_due_task() == 0
    with time_machine.travel(NOW + timedelta(days=30), tick=False):
        assert placements_recall_due_task() == 1
        assert placements_recall_due_task() == 0  # a rerun finds nothing left

    due.refresh_from_db()
    assert (due.status, due.recall_reason, due.recalled_by) == (
        "recalled",
        "Recall date reached",
        None,
    )
    assert Account.objects.get(pk=due.account_id).stage == "late"  # 83 DPD by then
    assert Placement.objects.get(pk=later.pk).status == "placed"
    assert Account.objects.get(pk=later.account_id).stage == "placed"


def test_a_placement_ends_closed_when_its_account_is_paid_off(team, supervisor):
    placement = _placed(team, supervisor)
    pay(placement.account, "1075.00", reference="PAID-1", now=NOW + timedelta(hours=1))
    assert Account.objects.get(pk=placement.account_id).stage == "paid"

    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        assert placements_recall_due_task() == 1

    placement.refresh_from_db()
    assert placement.status == "closed"
    assert Account.objects.get(pk=placement.account_id).stage == "paid"  # not reopened


def test_a_recalled_account_may_be_placed_again(team, supervisor):
    placement = _placed(team, supervisor)
    placement_recall(placement=placement, by=supervisor, reason="Moving agency")
    again = place([placement.account_id], agency("second"), supervisor)
    assert again.placements.get().balance_at_placement == Decimal("1075.00")


def test_the_recall_runs_daily_from_beat():
    task = PeriodicTask.objects.get(task="agencies.tasks.placements_recall_due_task")
    assert task.enabled and (task.crontab.hour, task.crontab.minute) == ("2", "30")


def test_the_recall_date_is_the_business_date(team, supervisor, settings):
    placement = _placed(team, supervisor, recall_on=TODAY + timedelta(days=2))
    # 23:30 UTC on the recall date's eve is already the recall date in Asia/Shanghai.
    settings.BUSINESS_TIME_ZONE = "Asia/Shanghai"
    eve = datetime.combine(TODAY + timedelta(days=1), datetime.min.time(), tzinfo=NOW.tzinfo)
    with time_machine.travel(eve + timedelta(hours=23, minutes=30), tick=False):
        assert placements_recall_due_task() == 1
    assert Placement.objects.get(pk=placement.pk).status == "recalled"
