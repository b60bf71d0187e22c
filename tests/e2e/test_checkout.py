"""The fake provider's hosted page in a real browser, on a phone-sized screen: Pay returns the
customer to the success address with the payment posted; Decline to the cancel address with
nothing posted. The page's inline style passes the Content-Security-Policy (the fixture fails
the test on any refusal), and the redirect after the form passes its form-action."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from checkout import services
from checkout.models import CheckoutSession
from plans.models import Payment
from tests.factories import TeamFactory
from tests.plans.factories import owing_account

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def session_for(live_server, settings):
    settings.SETTLE_PAYMENT_PROVIDER = "checkout.providers.FakeProvider"
    settings.SETTLE_PAYMENT_WEBHOOK_SECRET = "whsec_e2e"
    account = owing_account(TeamFactory(code="web"))

    def make(amount: str) -> CheckoutSession:
        return services.checkout_start(
            account=account,
            amount=Decimal(amount),
            purpose="payment",
            success_url=f"{live_server.url}/healthz/?paid={{token}}",
            cancel_url=f"{live_server.url}/healthz/?cancelled={{token}}",
            now=datetime.now(UTC),
        )

    return make


def test_a_customer_pays_on_the_fake_page_from_a_phone(page, live_server, session_for):
    session = session_for("125.50")
    page.set_viewport_size({"width": 375, "height": 740})

    page.goto(live_server.url + session.redirect_url)
    page.wait_for_selector("text=125.50 USD")
    page.snap("fake-page")
    page.click("button:has-text('Pay')")
    page.wait_for_url(f"**/healthz/?paid={session.token}")

    payment = Payment.objects.get()
    assert payment.amount == Decimal("125.50") and payment.source == "portal"
    session.refresh_from_db()
    assert session.status == "paid"


def test_a_declined_card_returns_to_the_cancel_address(page, live_server, session_for):
    session = session_for("40.00")
    page.goto(live_server.url + session.redirect_url)
    page.click("button:has-text('Decline card')")
    page.wait_for_url(f"**/healthz/?cancelled={session.token}")
    assert not Payment.objects.exists()
    session.refresh_from_db()
    assert session.status == "failed"
