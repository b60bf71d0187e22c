"""Two workers on one reminder batch: each reminder is sent once and logged once.

Two threads, each with its own PostgreSQL connection, start ``reminders_send_due`` at the same
moment against the same due rows. The claim (``UPDATE … FOR UPDATE SKIP LOCKED``,
``outreach.reminders.claiming``) must hand every row to exactly one of them. The channel
backend here counts every call (it does not drop repeats by key as the file outbox does), so a
reminder sent twice would show.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import connection

from contacts.models import ContactLog, MessageTemplate, Reminder
from outreach.reminders import reminders_send_due
from outreach.strategies import templates_seed
from tests.factories import AccountFactory, ContactPointFactory, TeamFactory

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # 10:00 in New York
REMINDERS = 40
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


class CountingBackend:
    """Every send is one outbox message; a short pause lets the two workers interleave."""

    def __init__(self, sent: list[str], lock: threading.Lock) -> None:
        self.sent, self.lock = sent, lock

    def send(self, message) -> str:
        threading.Event().wait(0.002)
        with self.lock:
            self.sent.append(message.idempotency_key)
        return message.idempotency_key


def _due_reminders(count: int) -> list[Reminder]:
    templates_seed()
    template = MessageTemplate.objects.get(
        code="payment-due", channel="sms", language="en", tone="general"
    )
    team = TeamFactory()
    made = []
    for n in range(count):
        account = AccountFactory(team=team, customer__time_zone="America/New_York")
        point = ContactPointFactory(customer=account.customer, value=f"+1212555{n:04d}")
        made.append(
            Reminder.objects.create(
                account=account,
                kind=Reminder.Kind.INSTALLMENT_DUE,
                channel="sms",
                contact_point=point,
                template=template,
                idempotency_key=f"race:{n}",
                amount=Decimal("250.00"),
                due_date=date(2026, 11, 26),
                due_at=NOW,
                next_attempt_at=NOW,
            )
        )
    return made


def test_two_workers_racing_one_batch_send_each_reminder_once():
    reminders = _due_reminders(REMINDERS)
    sent: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(2)
    summaries: dict[str, object] = {}
    errors: list[BaseException] = []

    def worker(name: str) -> None:
        try:
            start.wait(timeout=30)
            summaries[name] = reminders_send_due(
                now=NOW,
                worker_id=name,
                batch_size=4,
                backends={"sms": CountingBackend(sent, lock)},
            )
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=worker, args=(f"worker-{n}",)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not errors, errors
    keys = {r.idempotency_key for r in reminders}
    assert Counter(sent) == Counter(keys), "each reminder is one outbox message"
    assert ContactLog.objects.count() == REMINDERS
    assert Counter(ContactLog.objects.values_list("notes", flat=True)) == Counter(
        f"Reminder {key}" for key in keys
    )
    assert set(Reminder.objects.values_list("status", flat=True)) == {Reminder.Status.SENT}
    contact_ids = list(Reminder.objects.values_list("contact_id", flat=True))
    assert len(set(contact_ids)) == REMINDERS
    claimed = {name: s.claimed for name, s in summaries.items()}
    assert sum(claimed.values()) == REMINDERS  # no row claimed twice
    assert all(claimed.values()), f"both workers took part: {claimed}"
    assert sum(s.sent for s in summaries.values()) == REMINDERS
