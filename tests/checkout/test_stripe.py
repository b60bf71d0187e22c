"""The Stripe backend against a local fake of Stripe's API (pytest-httpserver): the session it
creates, and its webhooks verified and posted through the endpoint Stripe is pointed at."""

from __future__ import annotations

import json
from decimal import Decimal
from urllib.parse import parse_qs

import pytest
from werkzeug import Response

from checkout import services
from checkout.models import CheckoutSession, ProviderEvent
from plans.models import Payment
from tests.checkout.conftest import NOW, event_body, start, stripe_signature

pytestmark = pytest.mark.django_db

Status = CheckoutSession.Status


@pytest.fixture(autouse=True)
def _stripe(settings, httpserver, pinned):
    settings.SETTLE_PAYMENT_PROVIDER = "checkout.providers.StripeProvider"
    settings.SETTLE_PAYMENT_API_KEY = "sk_test_local"
    settings.SETTLE_PAYMENT_API_BASE = httpserver.url_for("").rstrip("/")
    settings.SETTLE_PAYMENT_API_TIMEOUT_SECONDS = 5


def stripe_session(request) -> Response:
    form = parse_qs(request.get_data(as_text=True))
    token = form["client_reference_id"][0]
    return Response(
        json.dumps(
            {
                "id": "cs_test_a1",
                "object": "checkout.session",
                "url": "https://checkout.stripe.com/c/pay/cs_test_a1",
                "client_reference_id": token,
                "amount_total": int(form["line_items[0][price_data][unit_amount]"][0]),
                "currency": form["line_items[0][price_data][currency]"][0],
                "payment_status": "unpaid",
                "status": "open",
            }
        ),
        content_type="application/json",
    )


def test_it_creates_a_stripe_checkout_session(httpserver, account):
    httpserver.expect_oneshot_request("/v1/checkout/sessions", method="POST").respond_with_handler(
        stripe_session
    )

    session = start(account, "1234.56")

    httpserver.check_assertions()
    request, _ = httpserver.log[0]
    assert request.headers["Authorization"] == "Bearer sk_test_local"
    assert request.headers["Idempotency-Key"] == f"settle-checkout-{session.token}"
    form = parse_qs(request.get_data(as_text=True))
    assert form["mode"] == ["payment"]
    assert form["line_items[0][price_data][unit_amount]"] == ["123456"]
    assert form["line_items[0][price_data][currency]"] == ["usd"]
    assert form["line_items[0][quantity]"] == ["1"]
    assert form["success_url"] == [f"https://portal.example/pay/{session.token}/done/"]
    assert form["cancel_url"] == [f"https://portal.example/pay/{session.token}/cancelled/"]
    assert form["client_reference_id"] == [session.token]
    assert form["expires_at"] == [str(int(NOW.timestamp()) + 3600)]
    assert session.status == Status.PENDING and session.provider == "stripe"
    assert session.provider_session_id == "cs_test_a1"
    assert session.redirect_url == "https://checkout.stripe.com/c/pay/cs_test_a1"


def test_a_refusal_from_stripe_leaves_a_failed_session(httpserver, account):
    httpserver.expect_request("/v1/checkout/sessions", method="POST").respond_with_json(
        {"error": {"type": "invalid_request_error", "message": "Amount too small."}}, status=400
    )

    with pytest.raises(services.CheckoutUnavailable):
        start(account, "0.10")

    session = CheckoutSession.objects.get()
    assert session.status == Status.FAILED and "Amount too small" in session.failure_reason


def test_an_unreachable_stripe_leaves_a_failed_session(settings, account):
    settings.SETTLE_PAYMENT_API_BASE = "http://127.0.0.1:9"  # discard: nothing listens
    with pytest.raises(services.CheckoutUnavailable):
        start(account)
    assert CheckoutSession.objects.get().status == Status.FAILED


def test_without_an_api_key_nothing_is_sent(settings, httpserver, account):
    settings.SETTLE_PAYMENT_API_KEY = ""
    with pytest.raises(services.CheckoutUnavailable):
        start(account)
    assert httpserver.log == []


def test_stripes_webhook_posts_the_payment_once(client, httpserver, account):
    httpserver.expect_oneshot_request("/v1/checkout/sessions", method="POST").respond_with_handler(
        stripe_session
    )
    session = start(account, "1234.56")
    body = event_body(session, event_id="evt_stripe_1", payment_intent="pi_3Stripe")

    for _ in range(2):
        response = client.post(
            "/checkout/webhooks/stripe/",
            body,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=stripe_signature(body),
        )
        assert response.status_code == 200

    payment = Payment.objects.get()
    assert payment.reference == "stripe:pi_3Stripe" and payment.amount == Decimal("1234.56")
    assert payment.source == Payment.Source.PORTAL
    assert ProviderEvent.objects.get().outcome == "posted"
    session.refresh_from_db()
    assert session.status == Status.PAID


def test_stripes_webhook_with_a_forged_signature_is_refused(client, httpserver, account):
    httpserver.expect_oneshot_request("/v1/checkout/sessions", method="POST").respond_with_handler(
        stripe_session
    )
    session = start(account, "1234.56")
    body = event_body(session)
    response = client.post(
        "/checkout/webhooks/stripe/",
        body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=stripe_signature(body, "whsec_guess"),
    )
    assert response.status_code == 400
    assert not Payment.objects.exists() and not ProviderEvent.objects.exists()


def test_the_fake_providers_webhook_is_404_with_stripe(client, account):
    response = client.post("/checkout/webhooks/fake/", b"{}", content_type="application/json")
    assert response.status_code == 404
