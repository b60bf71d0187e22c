"""Concurrent deliveries of one event on PostgreSQL: each thread its own connection, released
together; the payment is posted once and the event stored once.

The transactional test flushes the database, so no role groups are needed.
"""

from __future__ import annotations

import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection

from checkout import services
from checkout.models import CheckoutSession, ProviderEvent
from plans.models import Allocation, Payment
from tests.checkout.conftest import event_body, start, stripe_signature

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def deliver_at_once(bodies: list[bytes]) -> list[str]:
    gate = threading.Barrier(len(bodies))

    def deliver(body: bytes) -> str:
        try:
            with contextlib.suppress(threading.BrokenBarrierError):
                gate.wait(timeout=10)
            return services.webhook_receive(
                provider_name="fake",
                body=body,
                headers={"Stripe-Signature": stripe_signature(body)},
            ).outcome
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return list(pool.map(deliver, bodies))


def test_one_event_delivered_eight_times_at_once_posts_once(account, pinned):
    session = start(account, "250.00")

    outcomes = deliver_at_once([event_body(session)] * 8)

    assert outcomes == ["posted"] * 8  # every delivery answers with the one stored outcome
    assert ProviderEvent.objects.count() == 1
    payment = Payment.objects.get()
    assert sum(a.amount for a in Allocation.objects.filter(payment=payment)) == Decimal("250.00")
    account.refresh_from_db()
    assert account.total_balance == Decimal("9750.00")
    session.refresh_from_db()
    assert session.status == CheckoutSession.Status.PAID


def test_two_events_for_one_payment_at_once_post_once(account, pinned):
    session = start(account, "250.00")
    bodies = [
        event_body(session, event_id="evt_a"),
        event_body(session, event_id="evt_b", type="checkout.session.async_payment_succeeded"),
    ]

    outcomes = deliver_at_once(bodies)

    assert sorted(outcomes) == ["duplicate", "posted"]
    assert Payment.objects.count() == 1
    account.refresh_from_db()
    assert account.total_balance == Decimal("9750.00")
