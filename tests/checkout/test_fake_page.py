"""The fake provider's hosted page, driven through the Django test client like a browser."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from checkout import services
from checkout.models import CheckoutSession, ProviderEvent
from plans.models import Allocation, Payment
from tests.checkout.conftest import start

pytestmark = pytest.mark.django_db

Status = CheckoutSession.Status


@pytest.fixture(autouse=True)
def _clock(pinned):
    return pinned


def test_the_page_shows_the_amount_and_the_masked_account(client, account):
    session = start(account, "250.00")

    response = client.get(session.redirect_url)

    assert response.status_code == 200
    page = response.content.decode()
    assert "250.00 USD" in page
    assert account.masked_number in page and account.number not in page
    for button in ("Pay", "Decline card", "Cancel"):
        assert f">{button}</button>" in page
    assert "nonce=" in page and "<script" not in page


def test_paying_posts_one_portal_payment_to_the_account(client, account):
    session = start(account, "250.00")

    response = client.post(session.redirect_url, {"action": "pay"})

    assert response.status_code == 302
    assert response["Location"] == f"https://portal.example/pay/{session.token}/done/"
    payment = Payment.objects.get()
    assert payment.source == Payment.Source.PORTAL
    assert payment.account == account and payment.amount == Decimal("250.00")
    assert payment.reference.startswith("fake:pi_fake_")
    assert sum(a.amount for a in Allocation.objects.filter(payment=payment)) == payment.amount
    account.refresh_from_db()
    assert account.total_balance == Decimal("9750.00")
    session.refresh_from_db()
    assert session.status == Status.PAID and session.payment == payment
    assert ProviderEvent.objects.get().outcome == "posted"


def test_pressing_pay_again_posts_nothing_more(client, account):
    session = start(account, "250.00")
    client.post(session.redirect_url, {"action": "pay"})

    again = client.post(session.redirect_url, {"action": "pay"})

    assert again.status_code == 409
    assert "no longer open" in again.content.decode()
    assert Payment.objects.count() == 1 and ProviderEvent.objects.count() == 1


def test_a_declined_card_posts_nothing_and_returns_to_the_cancel_address(client, account):
    session = start(account, "250.00")
    balance = account.total_balance

    response = client.post(session.redirect_url, {"action": "decline"})

    assert response["Location"] == f"https://portal.example/pay/{session.token}/cancelled/"
    assert not Payment.objects.exists()
    account.refresh_from_db()
    assert account.total_balance == balance
    session.refresh_from_db()
    assert session.status == Status.FAILED
    assert ProviderEvent.objects.get().outcome == "recorded"


def test_cancel_only_returns_and_the_session_is_abandoned_later(client, account, pinned):
    session = start(account, "250.00")

    response = client.post(session.redirect_url, {"action": "cancel"})

    assert response["Location"] == session.cancel_url
    session.refresh_from_db()
    assert session.status == Status.PENDING and not ProviderEvent.objects.exists()
    pinned.shift(timedelta(hours=2))
    services.sessions_expire()
    session.refresh_from_db()
    assert session.status == Status.ABANDONED and not Payment.objects.exists()


def test_an_unknown_action_is_a_400(client, account):
    session = start(account)
    assert client.post(session.redirect_url, {"action": "refund"}).status_code == 400
    assert not ProviderEvent.objects.exists()


def test_an_unknown_token_is_a_404(client, account):
    start(account)
    assert client.get("/checkout/fake/not-a-token/").status_code == 404


def test_the_page_does_not_exist_with_a_real_provider(client, account, settings):
    session = start(account)
    settings.SETTLE_PAYMENT_PROVIDER = "checkout.providers.StripeProvider"
    assert client.get(session.redirect_url).status_code == 404
    assert client.post(session.redirect_url, {"action": "pay"}).status_code == 404
    assert not Payment.objects.exists()


def test_the_page_works_with_the_demos_derived_secret(client, account, settings):
    settings.SETTLE_PAYMENT_WEBHOOK_SECRET = ""
    session = start(account, "10.00")
    client.post(session.redirect_url, {"action": "pay"})
    assert Payment.objects.get().amount == Decimal("10.00")
