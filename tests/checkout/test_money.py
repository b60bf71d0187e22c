"""Money stays Decimal from the checkout to the posted payment: never a float on the way."""

from __future__ import annotations

from decimal import Decimal
from itertools import count
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checkout import services
from plans.models import Payment
from tests.checkout.conftest import event_body, start, stripe_signature

pytestmark = pytest.mark.django_db

_ids = count()


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(amount=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("300"), places=2))
def test_the_posted_payment_is_exactly_the_amount_started(account, pinned, amount):
    n = next(_ids)
    account.refresh_from_db()
    before = account.total_balance
    session = start(account, str(amount))
    body = event_body(session, event_id=f"evt_{n}", payment_intent=f"pi_{n}")

    event = services.webhook_receive(
        provider_name="fake", body=body, headers={"Stripe-Signature": stripe_signature(body)}
    )

    assert event.outcome == "posted"
    payment = Payment.objects.get(reference=f"fake:pi_{n}")
    assert isinstance(payment.amount, Decimal) and payment.amount == amount
    account.refresh_from_db()
    assert before - account.total_balance == amount


def test_no_float_in_the_checkout_code():
    root = Path(__file__).resolve().parents[2] / "checkout"
    for path in root.rglob("*.py"):
        assert "float(" not in path.read_text(), path
