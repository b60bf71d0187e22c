"""Reminders: generation is idempotent; sending goes through compliance and logs once."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection

from compliance.models import ComplianceDecision, RestrictionKind, RestrictionSource
from compliance.services import restriction_create
from contacts.models import ContactLog, MessageTemplate, Reminder, TreatmentStrategy
from outreach.backends import ChannelError, FileBackend
from outreach.reminders import (
    reminders_claim,
    reminders_generate,
    reminders_send_batch,
    reminders_send_due,
)
from outreach.reminders.claiming import reminders_claim_rows, rows_read
from outreach.strategies import templates_seed
from plans.models import PromiseToPay
from tests.factories import AccountFactory, ContactPointFactory
from tests.plans.factories import active_plan, owing_account

# 10:00 in New York: inside the 08:00–21:00 window.
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
LATE = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)  # 22:00 in New York


@pytest.fixture(autouse=True)
def default_templates(db):
    templates_seed()


@pytest.fixture(autouse=True)
def outbox(settings, tmp_path):
    settings.SETTLE_OUTBOX_DIR = str(tmp_path / "outbox")
    settings.SETTLE_CHANNEL_BACKENDS = {
        "sms": "outreach.backends.FileBackend",
        "email": "outreach.backends.FileBackend",
        "letter": "outreach.backends.FileBackend",
    }
    return tmp_path / "outbox"


def _lines(outbox, channel="sms"):
    path = outbox / f"{channel}.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def _reminder(account, *, key="k1", channel="sms", due_at=NOW, kind=None, **extra):
    template = MessageTemplate.objects.get(
        code="payment-due", channel=channel, language="en", tone="general"
    )
    point = ContactPointFactory(customer=account.customer) if channel == "sms" else None
    return Reminder.objects.create(
        account=account,
        kind=kind or Reminder.Kind.INSTALLMENT_DUE,
        channel=channel,
        contact_point=point,
        template=template,
        idempotency_key=key,
        amount=Decimal("250.00"),
        due_date=date(2026, 11, 26),
        due_at=due_at,
        next_attempt_at=due_at,
        **extra,
    )


class FailingBackend:
    def __init__(self):
        self.calls = 0

    def send(self, message):
        self.calls += 1
        raise ChannelError("gateway down")


# --- Generation -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_generating_twice_creates_nothing_new(team, specialist):
    account = owing_account(team, risk_tier="general", delinquent_since=date(2026, 11, 10))
    ContactPointFactory(customer=account.customer)
    ContactPointFactory(customer=account.customer, kind="email", value="pat@example.com")
    plan = active_plan(account, specialist)
    first_due = plan.installments.order_by("due_date").first().due_date
    PromiseToPay.objects.create(
        account=account, amount=Decimal("50.00"), due_date=first_due - timedelta(days=2)
    )
    as_of = first_due - timedelta(days=3)
    off_plan = owing_account(team, risk_tier="general", delinquent_since=as_of - timedelta(days=10))
    ContactPointFactory(customer=off_plan.customer, value="+12125550177")

    first = reminders_generate(as_of=as_of, now=NOW)
    second = reminders_generate(as_of=as_of, now=NOW)

    keys = set(Reminder.objects.values_list("idempotency_key", flat=True))
    assert first.created == len(keys) > 0
    assert second.created == 0
    inst = plan.installments.order_by("due_date").first()
    assert f"inst:{inst.pk}:{first_due.isoformat()}:sms:d-3" in keys
    assert any(k.startswith("promise:") for k in keys)
    # M1 × general: SMS, for the account off plan only (a plan's account gets the plan's own)
    assert {k.split(":")[2] for k in keys if k.startswith("strategy:")} == {str(off_plan.pk)}


@pytest.mark.django_db
def test_strategy_reminder_is_one_per_cadence_period(team):
    account = AccountFactory(team=team, risk_tier="general", delinquent_since=date(2026, 11, 10))
    ContactPointFactory(customer=account.customer)
    strategy = TreatmentStrategy.objects.get(code="us-m1-sms-general")

    for day in range(7):
        reminders_generate(as_of=date(2026, 11, 16) + timedelta(days=day), now=NOW)

    periods = Reminder.objects.filter(
        account=account, idempotency_key__startswith=f"strategy:{strategy.pk}:"
    )
    assert periods.count() in (1, 2)  # a 7-day window crosses at most one period boundary
    assert all(r.channel == "sms" for r in periods)


@pytest.mark.django_db
def test_call_strategies_make_no_reminders(team):
    account = AccountFactory(team=team, risk_tier="general", delinquent_since=date(2026, 9, 10))
    ContactPointFactory(customer=account.customer)

    reminders_generate(as_of=date(2026, 11, 23), now=NOW)  # 74 DPD: M3, calls only

    assert not Reminder.objects.filter(account=account).exists()


# --- Sending ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_allowed_reminder_is_sent_and_logged_with_its_decision(team, outbox):
    account = AccountFactory(team=team)
    reminder = _reminder(account)

    summary = reminders_send_due(now=NOW, worker_id="w1")

    reminder.refresh_from_db()
    assert summary.sent == 1
    assert reminder.status == Reminder.Status.SENT
    entry = ContactLog.objects.get(pk=reminder.contact_id)
    assert entry.channel == "sms"
    assert entry.direction == "outbound"
    assert entry.outcome == "delivered"
    assert entry.source == "system"
    assert entry.user is None
    assert "250.00" in entry.message
    assert "Reply STOP" in entry.message
    decision = ComplianceDecision.objects.get(pk=entry.decision_id)
    assert decision.allowed
    assert decision.purpose == "reminder"
    assert [line["key"] for line in _lines(outbox)] == ["k1"]


@pytest.mark.django_db
def test_reminder_outside_the_contact_window_is_deferred_to_the_next_allowed_time(team):
    account = AccountFactory(team=team, customer__time_zone="America/New_York")
    reminder = _reminder(account, due_at=LATE)

    summary = reminders_send_due(now=LATE, worker_id="w1")

    reminder.refresh_from_db()
    assert summary.deferred == 1
    assert reminder.status == Reminder.Status.DEFERRED
    assert reminder.next_attempt_at == datetime(2026, 11, 24, 13, 0, tzinfo=UTC)  # 08:00 EST
    assert reminder.last_error == "contact_window"
    assert not ContactLog.objects.filter(account=account).exists()

    reminders_send_due(now=datetime(2026, 11, 24, 13, 0, tzinfo=UTC), worker_id="w2")

    reminder.refresh_from_db()
    assert reminder.status == Reminder.Status.SENT


@pytest.mark.django_db
def test_reminder_to_a_customer_who_asked_us_to_cease_is_blocked(team):
    account = AccountFactory(team=team)
    restriction_create(
        by=None,
        account=account,
        kind=RestrictionKind.CEASE_COMMUNICATION,
        source=RestrictionSource.CUSTOMER_WRITTEN,
        now=NOW - timedelta(days=2),
    )
    reminder = _reminder(account)

    summary = reminders_send_due(now=NOW, worker_id="w1")

    reminder.refresh_from_db()
    assert summary.blocked == 1
    assert reminder.status == Reminder.Status.BLOCKED
    assert "cease_communication" in reminder.last_error
    assert reminder.decision_id is not None
    assert not ContactLog.objects.filter(account=account).exists()


@pytest.mark.django_db
def test_channel_failure_is_retried_with_backoff_then_failed(team, settings):
    settings.SETTLE_REMINDERS = {**settings.SETTLE_REMINDERS, "max_attempts": 3}
    account = AccountFactory(team=team)
    reminder = _reminder(account)
    backend = FailingBackend()

    reminders_send_batch(now=NOW, worker_id="w1", batch_size=10, backends={"sms": backend})
    reminder.refresh_from_db()
    assert reminder.status == Reminder.Status.PENDING
    assert reminder.attempts == 1
    assert reminder.next_attempt_at == NOW + timedelta(seconds=60)
    assert reminder.last_error == "gateway down"

    # Not yet due again: nothing is claimed.
    again = reminders_send_batch(
        now=NOW + timedelta(seconds=59), worker_id="w1", batch_size=10, backends={"sms": backend}
    )
    assert again.claimed == 0

    second = NOW + timedelta(seconds=60)
    reminders_send_batch(now=second, worker_id="w1", batch_size=10, backends={"sms": backend})
    reminder.refresh_from_db()
    assert reminder.attempts == 2
    assert reminder.next_attempt_at == second + timedelta(seconds=120)

    reminders_send_batch(
        now=second + timedelta(seconds=120),
        worker_id="w1",
        batch_size=10,
        backends={"sms": backend},
    )
    reminder.refresh_from_db()
    assert reminder.status == Reminder.Status.FAILED
    assert reminder.attempts == 3
    assert backend.calls == 3
    assert not ContactLog.objects.filter(account=account).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("vendor", ["postgresql", "portable"])
def test_a_claim_returns_what_it_claimed_as_rows_read_reads_it_in_id_order(
    team, monkeypatch, vendor
):
    if vendor == "portable":  # the path other databases take, run on this one
        monkeypatch.setattr(connection, "vendor", "sqlite")
    accounts = [AccountFactory(team=team) for _ in range(4)]
    due = [
        _reminder(accounts[2], key="k2", due_at=NOW - timedelta(hours=1)),
        _reminder(accounts[0], key="k0"),
        _reminder(accounts[3], key="letter", channel="letter", attempts=2, last_error="busy"),
    ]
    Reminder.objects.filter(pk=due[2].pk).update(amount=None, due_date=None)
    _reminder(accounts[1], key="later", due_at=NOW + timedelta(minutes=1))
    Reminder.objects.filter(pk=due[0].pk).update(status=Reminder.Status.DEFERRED)

    rows = reminders_claim_rows(now=NOW, worker_id="w1", batch_size=10)

    assert [r.pk for r in rows] == sorted(r.pk for r in due)
    assert rows == rows_read([r.pk for r in rows])  # every field, as the ORM reads it
    letter = next(r for r in rows if r.key == "letter")
    assert (letter.point_value, letter.amount, letter.due_date) == (None, None, None)
    assert (letter.attempts, letter.last_error, letter.stage) == (2, "busy", accounts[3].stage)
    sms = next(r for r in rows if r.key == "k0")
    assert sms.point_value == due[1].contact_point.value
    assert sms.name == accounts[0].customer.name
    assert sms.past_due_amount == accounts[0].past_due_amount
    claimed = Reminder.objects.filter(pk__in=[r.pk for r in due])
    assert set(claimed.values_list("status", "claimed_by", "claimed_at")) == {
        (Reminder.Status.CLAIMED, "w1", NOW)
    }
    assert reminders_claim_rows(now=NOW, worker_id="w2", batch_size=10) == []


@pytest.mark.django_db
def test_a_claim_takes_the_earliest_due_first_up_to_the_batch_size(team):
    accounts = [AccountFactory(team=team) for _ in range(3)]
    first = _reminder(accounts[2], key="first", due_at=NOW - timedelta(hours=2))
    second = _reminder(accounts[0], key="second", due_at=NOW - timedelta(hours=1))
    third = _reminder(accounts[1], key="third")

    batch = reminders_claim_rows(now=NOW, worker_id="w1", batch_size=2)
    rest = reminders_claim_rows(now=NOW, worker_id="w2", batch_size=2)

    assert [r.pk for r in batch] == sorted([first.pk, second.pk])
    assert [r.pk for r in rest] == [third.pk]


@pytest.mark.django_db
def test_a_claim_left_by_a_dead_worker_is_taken_over_and_sent_once(team, outbox):
    account = AccountFactory(team=team)
    reminder = _reminder(account)
    assert reminders_claim(now=NOW, worker_id="dead", batch_size=10) == [reminder.pk]
    # The dead worker had already handed the message to the channel.
    FileBackend().send(
        __import__("outreach.backends", fromlist=["OutboundMessage"]).OutboundMessage(
            idempotency_key="k1", channel="sms", to="+1", body="x"
        )
    )

    early = reminders_send_due(now=NOW + timedelta(minutes=5), worker_id="w2")
    assert early.claimed == 0  # still inside the claim timeout

    later = reminders_send_due(now=NOW + timedelta(minutes=11), worker_id="w2")

    reminder.refresh_from_db()
    assert later.reclaimed == 1
    assert reminder.status == Reminder.Status.SENT
    assert ContactLog.objects.filter(account=account).count() == 1
    assert len(_lines(outbox)) == 1


@pytest.mark.django_db
def test_a_run_whose_claim_was_taken_over_writes_nothing(team, monkeypatch):
    account = AccountFactory(team=team)
    reminder = _reminder(account)

    class TakeOver:
        def send(self, message):
            # While this (slow) run sends, its claim expires and another worker takes it.
            Reminder.objects.filter(pk=reminder.pk).update(claimed_by="other")

    summary = reminders_send_batch(
        now=NOW, worker_id="slow", batch_size=10, backends={"sms": TakeOver()}
    )

    reminder.refresh_from_db()
    assert summary.sent == 0
    assert reminder.status == Reminder.Status.CLAIMED
    assert reminder.claimed_by == "other"
    assert not ContactLog.objects.filter(account=account).exists()


@pytest.mark.django_db
def test_generate_then_send_through_the_command(team, outbox, settings):
    settings.BUSINESS_DATE = "2026-11-23"
    account = AccountFactory(team=team, risk_tier="good", delinquent_since=date(2026, 11, 10))
    ContactPointFactory(customer=account.customer)

    call_command("send_reminders", "--now", NOW.isoformat(), "--generate")

    reminder = Reminder.objects.get(account=account)
    assert reminder.status == Reminder.Status.SENT
    assert reminder.kind == "strategy"
    assert len(_lines(outbox)) == 1

    call_command("send_reminders", "--now", NOW.isoformat(), "--generate")

    assert Reminder.objects.filter(account=account).count() == 1
    assert ContactLog.objects.filter(account=account).count() == 1


@pytest.mark.django_db
def test_a_reminder_compliance_cannot_judge_is_blocked_without_holding_up_the_batch(team):
    good = _reminder(AccountFactory(team=team), key="good")
    bad_account = AccountFactory(team=team)
    bad = _reminder(bad_account, key="bad")
    email = ContactPointFactory(customer=bad_account.customer, kind="email", value="x@example.com")
    Reminder.objects.filter(pk=bad.pk).update(contact_point=email)  # an SMS to an email point

    summary = reminders_send_due(now=NOW, worker_id="w1")

    good.refresh_from_db()
    bad.refresh_from_db()
    assert summary.sent == 1
    assert good.status == Reminder.Status.SENT
    assert bad.status == Reminder.Status.BLOCKED
    assert "contact point" in bad.last_error


# --- Seed data --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_seeded_templates_pass_the_compliance_check():
    from compliance.services import template_check

    assert templates_seed() == 0  # the fixture made them; a second run adds nothing
    templates = list(MessageTemplate.objects.all())

    assert {(t.jurisdiction, t.language) for t in templates} >= {("US", "en"), ("CN", "zh-hans")}
    assert {t.channel for t in templates} == {"sms", "email", "letter"}
    assert [t for t in templates if template_check(t)] == []


@pytest.mark.django_db
def test_seeded_beat_schedules_run_the_nightly_and_reminder_tasks():
    from django_celery_beat.models import PeriodicTask

    tasks = {
        t.task: (t.crontab.minute, t.crontab.hour)
        for t in PeriodicTask.objects.select_related("crontab")
    }

    assert tasks["accounts.tasks.nightly_run_task"] == ("0", "2")
    assert tasks["contacts.tasks.reminders_generate_task"] == ("0", "*")
    assert tasks["contacts.tasks.reminders_send_due_task"] == ("*/5", "*")


@pytest.mark.django_db
def test_seeded_strategies_send_legal_notices_to_wilful_non_payers_by_letter():
    legal = TreatmentStrategy.objects.filter(bucket_code__in=["M5", "M6"], risk_tier="high")

    assert {s.channel for s in legal} == {"letter"}
    assert {s.template_code for s in legal} == {"legal-notice"}


@pytest.mark.django_db
def test_supervisors_edit_strategies_and_see_reminders_in_the_admin(client, supervisor):
    strategy = TreatmentStrategy.objects.get(code="us-m1-sms-general")
    client.force_login(supervisor)

    assert client.get("/admin/contacts/treatmentstrategy/").status_code == 200
    assert client.get(f"/admin/contacts/treatmentstrategy/{strategy.pk}/change/").status_code == 200
    assert client.get("/admin/contacts/reminder/").status_code == 200
    assert supervisor.has_perm("contacts.change_treatmentstrategy")
    assert not supervisor.has_perm("contacts.change_reminder")


@pytest.mark.django_db
def test_reminder_for_an_account_settled_since_it_was_made_is_not_sent(team):
    account = AccountFactory(team=team)
    reminder = _reminder(account)
    type(account).objects.filter(pk=account.pk).update(stage="settled")

    reminders_send_due(now=NOW, worker_id="w1")

    reminder.refresh_from_db()
    assert reminder.status == Reminder.Status.BLOCKED
    assert reminder.last_error == "account closed"
    assert not ContactLog.objects.filter(account=account).exists()


# --- Paid or resolved since generated ---------------------------------------------------------


@pytest.mark.django_db
def test_reminder_for_an_installment_paid_since_it_was_made_is_cancelled_not_sent(
    team, specialist, outbox
):
    account = owing_account(team, risk_tier="general", delinquent_since=date(2026, 11, 10))
    ContactPointFactory(customer=account.customer)
    plan = active_plan(account, specialist)
    first = plan.installments.order_by("due_date").first()
    reminders_generate(as_of=first.due_date - timedelta(days=3), now=NOW)
    keys = [f"inst:{first.pk}:{first.due_date.isoformat()}:sms:d-3"]
    assert Reminder.objects.filter(idempotency_key__in=keys).count() == 1
    type(first).objects.filter(pk=first.pk).update(status="paid", paid_amount=first.amount)

    summary = reminders_send_due(now=NOW, worker_id="w1")

    reminder = Reminder.objects.get(idempotency_key=keys[0])
    assert reminder.status == Reminder.Status.CANCELLED
    assert reminder.last_error == "installment paid"
    assert reminder.decision_id is None  # never offered to compliance: nothing to send
    assert summary.cancelled >= 1
    assert keys[0] not in [line["key"] for line in _lines(outbox)]
    assert not ContactLog.objects.filter(notes=f"Reminder {keys[0]}").exists()


@pytest.mark.django_db
def test_reminder_for_a_promise_kept_since_it_was_made_is_cancelled_and_the_rest_still_go(
    team, outbox
):
    account = AccountFactory(team=team)
    promise = PromiseToPay.objects.create(
        account=account, amount=Decimal("50.00"), due_date=date(2026, 11, 24)
    )
    kept = _reminder(account, key=f"promise:{promise.pk}:sms", kind=Reminder.Kind.PROMISE_DUE)
    other = _reminder(AccountFactory(team=team), key="other")
    PromiseToPay.objects.filter(pk=promise.pk).update(status="kept")

    summary = reminders_send_due(now=NOW, worker_id="w1")

    kept.refresh_from_db()
    other.refresh_from_db()
    assert kept.status == Reminder.Status.CANCELLED
    assert kept.last_error == "promise kept"
    assert other.status == Reminder.Status.SENT
    assert (summary.sent, summary.cancelled) == (1, 1)
    assert [line["key"] for line in _lines(outbox)] == ["other"]


@pytest.mark.django_db
def test_reminder_for_an_unpaid_installment_is_still_sent(team, specialist, outbox):
    account = owing_account(team, risk_tier="general", delinquent_since=date(2026, 11, 10))
    ContactPointFactory(customer=account.customer)
    plan = active_plan(account, specialist)
    first = plan.installments.order_by("due_date").first()
    reminders_generate(as_of=first.due_date - timedelta(days=3), now=NOW)
    key = f"inst:{first.pk}:{first.due_date.isoformat()}:sms:d-3"

    reminders_send_due(now=NOW, worker_id="w1")

    assert Reminder.objects.get(idempotency_key=key).status == Reminder.Status.SENT
