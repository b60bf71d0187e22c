"""The webhook signature (Stripe's scheme, shared by the fake): good, bad, tampered, stale."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from checkout.providers import (
    EventKind,
    FakeProvider,
    MalformedEvent,
    SignatureError,
    StripeProvider,
    minor_units,
    sign,
)
from tests.checkout.conftest import NOW, SECRET, stripe_signature

BODY = json.dumps(
    {
        "id": "evt_9",
        "object": "event",
        "type": "checkout.session.completed",
        "created": int(NOW.timestamp()),
        "data": {
            "object": {
                "id": "cs_9",
                "object": "checkout.session",
                "amount_total": 12345,
                "currency": "usd",
                "client_reference_id": "tok",
                "payment_intent": "pi_9",
                "payment_status": "paid",
                "customer_details": {"email": "jane@example.com"},
            }
        },
    }
).encode()

PROVIDERS = [StripeProvider, FakeProvider]


@pytest.fixture(autouse=True)
def _clock(pinned):
    return pinned


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_correctly_signed_event_is_read_with_decimal_amounts(provider):
    data = provider().parse_webhook(BODY, {"Stripe-Signature": stripe_signature(BODY)})

    assert data.event_id == "evt_9"
    assert data.kind == EventKind.PAID
    assert data.provider_session_id == "cs_9"
    assert data.payment_id == "pi_9"
    assert data.session_token == "tok"
    assert data.amount == Decimal("123.45") and isinstance(data.amount, Decimal)
    assert data.currency == "USD"
    assert data.created == NOW


def test_the_header_is_found_whatever_its_case():
    data = StripeProvider().parse_webhook(BODY, {"stripe-signature": stripe_signature(BODY)})
    assert data.event_id == "evt_9"


def test_the_stored_payload_leaves_out_the_customers_details():
    data = StripeProvider().parse_webhook(BODY, {"Stripe-Signature": stripe_signature(BODY)})
    assert "customer_details" not in data.payload["data"]["object"]
    assert data.payload["data"]["object"]["amount_total"] == 12345


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Stripe-Signature": ""},
        {"Stripe-Signature": "garbage"},
        {"Stripe-Signature": "t=notanumber,v1=abc"},
        {"Stripe-Signature": stripe_signature(BODY, "whsec_someone_else")},
        {"Stripe-Signature": stripe_signature(BODY).replace("v1=", "v0=")},
    ],
    ids=["missing", "empty", "garbage", "bad-time", "wrong-secret", "wrong-scheme"],
)
def test_a_bad_or_missing_signature_is_refused(provider, headers):
    with pytest.raises(SignatureError):
        provider().parse_webhook(BODY, headers)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_tampered_body_is_refused(provider):
    header = stripe_signature(BODY)
    tampered = BODY.replace(b"12345", b"99999")
    with pytest.raises(SignatureError):
        provider().parse_webhook(tampered, {"Stripe-Signature": header})


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_stale_signature_is_refused_a_fresh_one_accepted(provider):
    old = stripe_signature(BODY, at=NOW - timedelta(seconds=301))
    with pytest.raises(SignatureError):
        provider().parse_webhook(BODY, {"Stripe-Signature": old})
    recent = stripe_signature(BODY, at=NOW - timedelta(seconds=299))
    assert provider().parse_webhook(BODY, {"Stripe-Signature": recent}).event_id == "evt_9"


def test_a_signature_from_the_future_is_refused():
    ahead = stripe_signature(BODY, at=NOW + timedelta(seconds=301))
    with pytest.raises(SignatureError):
        StripeProvider().parse_webhook(BODY, {"Stripe-Signature": ahead})


def test_no_configured_secret_verifies_nothing(settings):
    settings.SETTLE_PAYMENT_WEBHOOK_SECRET = ""
    with pytest.raises(SignatureError):
        StripeProvider().parse_webhook(BODY, {"Stripe-Signature": stripe_signature(BODY, "")})


def test_a_body_that_is_not_utf8_is_refused_not_a_crash():
    body = b"\xff\xfe{}"
    with pytest.raises(SignatureError):
        StripeProvider().parse_webhook(body, {"Stripe-Signature": "t=1,v1=00"})


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'{"type": "x"}', b'{"id": "e"}'])
def test_a_signed_body_that_is_no_event_is_malformed(body):
    with pytest.raises(MalformedEvent):
        StripeProvider().parse_webhook(body, {"Stripe-Signature": stripe_signature(body)})


def test_a_float_amount_is_never_taken_for_money():
    body = BODY.replace(b'"amount_total": 12345', b'"amount_total": 123.45')
    data = StripeProvider().parse_webhook(body, {"Stripe-Signature": stripe_signature(body)})
    assert data.amount is None  # a mismatch for the service: nothing is posted


@pytest.mark.parametrize(
    ("type_", "status", "kind"),
    [
        ("checkout.session.completed", "paid", EventKind.PAID),
        ("checkout.session.completed", "unpaid", EventKind.PENDING),
        ("checkout.session.async_payment_succeeded", "paid", EventKind.PAID),
        ("checkout.session.async_payment_failed", "unpaid", EventKind.FAILED),
        ("checkout.session.expired", "unpaid", EventKind.EXPIRED),
        ("checkout.session.bogus", "paid", EventKind.OTHER),
    ],
)
def test_event_types_map_to_what_they_mean(type_, status, kind):
    body = BODY.replace(b"checkout.session.completed", type_.encode()).replace(
        b'"payment_status": "paid"', f'"payment_status": "{status}"'.encode()
    )
    data = StripeProvider().parse_webhook(body, {"Stripe-Signature": stripe_signature(body)})
    assert data.kind == kind


def test_the_fakes_signature_is_the_one_stripe_verifies():
    header = sign(BODY, SECRET, at=NOW)
    assert header == stripe_signature(BODY)
    assert StripeProvider().parse_webhook(BODY, {"Stripe-Signature": header}).event_id == "evt_9"


@given(
    currency=st.sampled_from(["USD", "CNY", "JPY", "KWD"]),
    units=st.integers(min_value=1, max_value=10**13),
)
def test_minor_units_round_trip_exactly_without_floats(currency, units):
    from core.money import currency_places

    amount = Decimal(units).scaleb(-currency_places(currency))
    minor = minor_units(amount, currency)
    assert isinstance(minor, int) and minor == units
    assert Decimal(minor).scaleb(-currency_places(currency)) == amount
