"""Redis down while a specialist logs a contact: the contact is saved, and its follow-up work
(the account's risk tier and queue order) runs when Redis is back.

Redis is both the Celery broker and the cache here. Both are pointed at a port nothing listens
on; the real test Redis stays up for the other tests. The follow-up is an outbox row written in
the entry's transaction (``contacts.ContactFollowUp``); its task could not be queued, so the
beat sweep (``workspace.followups.followups_sweep``) runs it once the broker answers again.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.db import transaction

from accounts.models import Account
from config.celery import app
from contacts.models import ContactFollowUp, ContactLog
from outreach.services import contact_log_create
from plans.models import PromiseToPay
from plans.services import PromiseConflict
from tests.factories import AccountFactory
from workspace.followups import followups_sweep

NOW = datetime(2026, 11, 20, 20, 0, tzinfo=UTC)
DEAD_REDIS = "redis://127.0.0.1:6399/0"
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _pinned():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def redis_down(settings):
    """Broker and cache unreachable; calling the fixture's value brings Redis back."""
    caches = settings.CACHES

    def back() -> None:
        app.conf.broker_write_url = None  # the broker URL again
        settings.CACHES = caches

    app.conf.broker_write_url = DEAD_REDIS  # where tasks are sent
    settings.CACHES = {**caches, "default": {**caches["default"], "LOCATION": DEAD_REDIS}}
    yield back
    back()


@pytest.fixture
def account(team, specialist):
    return AccountFactory(team=team, assigned_to=specialist)


def _log_hardship(api, specialist, account):
    return api.as_user(specialist).post(
        f"/api/v1/accounts/{account.pk}/contacts/",
        {
            "channel": "inbound_call",
            "direction": "inbound",
            "occurred_at": NOW.isoformat(),
            "outcome": "conversation",
            "disposition": "hardship",
            "notes": "Lost her job last month.",
        },
        format="json",
    )


def _real_queue_length() -> int:
    import redis as redis_client
    from django.conf import settings

    return redis_client.Redis.from_url(settings.CELERY_BROKER_URL).llen(app.conf.task_default_queue)


def test_the_contact_is_saved_and_its_follow_up_runs_when_redis_returns(
    api, specialist, account, redis_down
):
    queued = _real_queue_length()
    response = _log_hardship(api, specialist, account)

    assert response.status_code == 201, response.content
    entry = ContactLog.objects.get(pk=response.json()["id"])
    follow_up = ContactFollowUp.objects.get(entry=entry)
    assert follow_up.done_at is None
    assert _real_queue_length() == queued  # its task could not be queued
    stored = Account.objects.get(pk=account.pk)
    assert stored.hardship_declared_at is not None  # the disposition itself is applied
    assert "hardship" not in {f["code"] for f in stored.risk_factors}

    redis_down()  # Redis is back: beat's sweep runs what was held
    assert followups_sweep() == 1

    follow_up.refresh_from_db()
    assert follow_up.done_at is not None
    stored.refresh_from_db()
    assert "hardship" in {f["code"] for f in stored.risk_factors}
    assert stored.risk_scored_at is not None
    scored = (stored.risk_score, stored.risk_tier, stored.queue_priority, stored.risk_scored_at)
    assert followups_sweep() == 0  # a second sweep finds nothing to do
    stored.refresh_from_db()
    assert (stored.risk_score, stored.risk_tier, stored.queue_priority, stored.risk_scored_at) == (
        scored
    )


def test_with_redis_up_the_follow_up_is_queued_at_commit(api, specialist, account):
    import redis as redis_client

    before = _real_queue_length()

    assert _log_hardship(api, specialist, account).status_code == 201

    assert _real_queue_length() == before + 1
    broker = redis_client.Redis.from_url(app.conf.broker_url)
    message = broker.lindex(app.conf.task_default_queue, 0)
    assert b"workspace.tasks.contact_followup_task" in message


def test_no_follow_up_is_left_when_the_entry_is_not_saved(specialist, account):
    PromiseToPay.objects.create(account=account, amount="50.00", due_date=NOW.date())
    with pytest.raises(PromiseConflict), transaction.atomic():
        contact_log_create(
            account=account,
            by=specialist,
            channel="inbound_call",
            direction="inbound",
            occurred_at=NOW,
            outcome="conversation",
            disposition="promise_to_pay",
            details=_promise(),
        )
    assert not ContactLog.objects.exists()
    assert not ContactFollowUp.objects.exists()


def _promise():
    from datetime import date
    from decimal import Decimal

    from outreach.services import DispositionDetails

    return DispositionDetails(promise_amount=Decimal("80.00"), promise_date=date(2026, 11, 27))
