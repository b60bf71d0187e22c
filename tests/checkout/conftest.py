"""Checkout tests: the clock pinned, the fake provider with a known webhook secret."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine

from checkout import services
from tests.factories import TeamFactory
from tests.plans.factories import owing_account

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
SECRET = "whsec_test_secret"
RETURN = "https://portal.example/pay/{token}/done/"
CANCEL = "https://portal.example/pay/{token}/cancelled/"


@pytest.fixture(autouse=True)
def _checkout_settings(settings):
    settings.BUSINESS_DATE = "2026-11-23"
    settings.SETTLE_PAYMENT_PROVIDER = "checkout.providers.FakeProvider"
    settings.SETTLE_PAYMENT_WEBHOOK_SECRET = SECRET
    settings.SETTLE_PAYMENT_WEBHOOK_TOLERANCE_SECONDS = 300
    settings.SETTLE_CHECKOUT_SESSION_TTL_MINUTES = 60


@pytest.fixture
def pinned():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def account(db):
    """Owes 10,000.00 USD (9,000 principal, 700 interest, 300 fees), no plan."""
    return owing_account(TeamFactory(code="web", name="Web"))


def start(account, amount="250.00", **extra):
    extra.setdefault("purpose", "payment")
    extra.setdefault("success_url", RETURN)
    extra.setdefault("cancel_url", CANCEL)
    extra.setdefault("now", NOW)
    return services.checkout_start(account=account, amount=Decimal(amount), **extra)


def stripe_signature(body: bytes, secret: str = SECRET, *, at: datetime = NOW) -> str:
    """Stripe's scheme written out here, independently of the code under test."""
    timestamp = int(at.timestamp())
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def event_body(
    session,
    *,
    event_id: str = "evt_1",
    type: str = "checkout.session.completed",  # noqa: A002 - Stripe's field name
    payment_status: str = "paid",
    amount_total: int | None = None,
    currency: str | None = None,
    payment_intent: str = "pi_1",
) -> bytes:
    """A Stripe-format event about ``session`` (amounts in minor units, as Stripe sends)."""
    minor = int(session.amount.scaleb(2)) if amount_total is None else amount_total
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": type,
            "created": int(NOW.timestamp()),
            "livemode": False,
            "data": {
                "object": {
                    "id": session.provider_session_id,
                    "object": "checkout.session",
                    "amount_total": minor,
                    "currency": (currency or session.currency).lower(),
                    "client_reference_id": session.token,
                    "payment_intent": payment_intent,
                    "payment_status": payment_status,
                    "customer_details": {"email": "jane@example.com", "name": "Jane Roe"},
                }
            },
        }
    ).encode()
