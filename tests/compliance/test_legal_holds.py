"""Legal holds: a bankruptcy stays all collection until lifted (11 U.S.C. 362(a)), including a
reminder already queued and the open callbacks; military service caps a plan's cost at 6 % a
year (SCRA, 50 U.S.C. 3937) without stopping contact."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from compliance.models import RestrictionSource
from compliance.services import contact_check, restriction_create, restriction_end
from contacts.models import CallbackTask, MessageTemplate, Reminder
from outreach.callbacks import callback_create
from outreach.reminders import reminders_send_due
from outreach.strategies import templates_seed
from plans.services import plan_create
from tests.conftest import _user
from tests.factories import ContactPointFactory, TeamFactory, UserFactory
from tests.plans.factories import owing_account

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # 10:00 in New York


@pytest.fixture
def account():
    return owing_account(TeamFactory())


def _hold(account, kind, **extra):
    return restriction_create(
        by=None,
        account=account,
        kind=kind,
        source=RestrictionSource.COURT,
        effective_from=date(2026, 11, 20),
        now=NOW,
        **extra,
    )


def test_a_bankruptcy_stays_every_channel_with_its_citation(account):
    _hold(account, "bankruptcy")
    for channel in ("call", "sms", "email", "letter", "visit"):
        decision = contact_check(account=account, channel=channel, at=NOW)
        assert not decision.allowed
        [violation] = [v for v in decision.violations if v.rule == "bankruptcy"]
        assert violation.citation == "11 U.S.C. 362(a) (automatic stay)"
        assert decision.next_allowed_at is None  # waiting does not help until it is lifted


def test_a_bankruptcy_hold_stops_a_reminder_already_queued(account, settings, tmp_path):
    settings.SETTLE_OUTBOX_DIR = str(tmp_path)
    settings.SETTLE_CHANNEL_BACKENDS = dict.fromkeys(
        ("sms", "email", "letter"), "outreach.backends.FileBackend"
    )
    templates_seed()
    point = ContactPointFactory(customer=account.customer)
    reminder = Reminder.objects.create(
        account=account,
        kind=Reminder.Kind.STRATEGY,
        channel="sms",
        contact_point=point,
        template=MessageTemplate.objects.filter(channel="sms", language="en").first(),
        idempotency_key="queued-before-the-stay",
        due_at=NOW,
        next_attempt_at=NOW,
    )
    _hold(account, "bankruptcy")  # filed after the reminder was queued
    summary = reminders_send_due(now=NOW, worker_id="w")
    reminder.refresh_from_db()
    assert summary.sent == 0 and reminder.status == Reminder.Status.BLOCKED
    assert "bankruptcy" in reminder.last_error
    assert not (tmp_path / "sms.jsonl").exists()


def test_a_bankruptcy_hold_cancels_the_open_callbacks_and_lifting_it_allows_contact(account):
    specialist = UserFactory(username="spec-holds")
    callback_create(account=account, due_at=NOW + timedelta(days=1), by=specialist, now=NOW)
    hold = _hold(account, "bankruptcy")
    assert CallbackTask.objects.get(account=account).status == "cancelled"
    restriction_end(restriction=hold, by=None, reason="Stay lifted by the court", now=NOW)
    assert contact_check(account=account, channel="call", at=NOW + timedelta(hours=1)).allowed


def test_military_service_caps_a_plans_cost_at_six_percent(account):
    specialist = _user("specialist", account.team, "spec-scra")
    _hold(account, "military_service")
    terms = {"method": "equal_installment", "installments": 12, "start_date": date(2026, 12, 1)}
    with pytest.raises(ValidationError) as refused:
        plan_create(account=account, by=specialist, annual_rate=Decimal("0.12"), now=NOW, **terms)
    assert "50 U.S.C. 3937" in refused.value.message_dict["annual_rate"][0]
    plan = plan_create(
        account=account, by=specialist, annual_rate=Decimal("0.06"), now=NOW, **terms
    )
    assert plan.apr <= Decimal("0.06")
    # Contact is not stopped by it.
    assert contact_check(account=account, channel="call", at=NOW).allowed


def test_without_the_hold_the_rate_is_the_policys_business(account):
    specialist = _user("specialist", account.team, "spec-free")
    plan = plan_create(
        account=account,
        by=specialist,
        method="equal_installment",
        installments=12,
        start_date=date(2026, 12, 1),
        annual_rate=Decimal("0.12"),
        now=NOW,
    )
    assert plan.apr > Decimal("0.06")
