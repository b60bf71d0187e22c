"""Settle's own reminders stop while an account is placed: the agency contacts it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import time_machine

from contacts.models import ContactLog, MessageTemplate, Reminder
from outreach.reminders import reminders_generate, reminders_send_due
from outreach.strategies import templates_seed
from plans.models import PromiseToPay
from tests.agencies.factories import NOW, TODAY, agency, place
from tests.factories import AccountFactory, ContactPointFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _setup(settings, tmp_path):
    settings.BUSINESS_DATE = TODAY.isoformat()
    settings.SETTLE_OUTBOX_DIR = str(tmp_path / "outbox")
    settings.SETTLE_CHANNEL_BACKENDS = {
        "sms": "outreach.backends.FileBackend",
        "email": "outreach.backends.FileBackend",
        "letter": "outreach.backends.FileBackend",
    }
    templates_seed()
    with time_machine.travel(NOW, tick=False):
        yield


def _m1_account(team, phone):
    """M1 × general: the seeded SMS strategy works it."""
    account = AccountFactory(team=team, risk_tier="general", delinquent_since=date(2026, 11, 10))
    ContactPointFactory(customer=account.customer, value=phone)
    return account


def test_no_strategy_or_promise_reminder_is_generated_for_a_placed_account(team, supervisor):
    in_house = _m1_account(team, "+12125550170")
    placed = _m1_account(team, "+12125550171")
    for account in (in_house, placed):
        PromiseToPay.objects.create(account=account, amount=Decimal("50.00"), due_date=TODAY)
    place([placed], agency(), supervisor)

    reminders_generate(as_of=TODAY, now=NOW)

    assert Reminder.objects.filter(account=in_house, kind="strategy").exists()
    assert Reminder.objects.filter(account=in_house, kind="promise_due").exists()
    assert not Reminder.objects.filter(account=placed).exists()


def test_a_reminder_made_before_the_placement_is_cancelled_not_sent(team, supervisor):
    account = _m1_account(team, "+12125550172")
    reminders_generate(as_of=TODAY, now=NOW)
    reminder = Reminder.objects.get(account=account, kind="strategy")
    assert MessageTemplate.objects.filter(pk=reminder.template_id).exists()
    place([account], agency(), supervisor)

    reminders_send_due(now=NOW, worker_id="w1")

    reminder.refresh_from_db()
    assert (reminder.status, reminder.last_error) == ("cancelled", "account placed")
    assert not ContactLog.objects.filter(account=account).exists()
