"""The nightly tasks call the services with the business date."""

from datetime import date, datetime
from decimal import Decimal

import pytest

from plans import services
from plans.models import PlanStatus
from plans.tasks import plans_break_overdue_task, promises_resolve_task
from tests.plans.factories import NOW, active_plan, owing_account

pytestmark = pytest.mark.django_db


def test_the_nightly_tasks_break_plans_and_resolve_promises(team, specialist, settings):
    account = owing_account(team)
    plan = active_plan(account, specialist)
    other = owing_account(team)
    promise = services.promise_create(
        account=other, amount=Decimal("10.00"), due_date=date(2026, 11, 30), by=specialist, now=NOW
    )
    settings.BUSINESS_DATE = "2027-02-12"

    assert plans_break_overdue_task.apply().get() == [plan.pk]
    assert promises_resolve_task.apply().get() == 1
    plan.refresh_from_db()
    promise.refresh_from_db()
    assert plan.status == PlanStatus.BROKEN
    assert promise.status == "broken"
    assert isinstance(plan.broken_at, datetime)
