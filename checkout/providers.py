"""Payment providers: a hosted checkout page and its signed webhooks, behind one interface.

``SETTLE_PAYMENT_PROVIDER`` (a dotted path) picks the class: ``StripeProvider`` (Stripe Checkout
through the official SDK) or ``FakeProvider`` (the default: a local imitation of a hosted page
for the demo and the tests). Both speak Stripe's wire format for webhooks: a JSON event signed
in the ``Stripe-Signature`` header as ``t=<unix time>,v1=<hex HMAC-SHA256 of "t.body">`` with
the webhook secret, so the fake's events go through the very verification the real ones do.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

import stripe
from django.conf import settings
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django.utils.module_loading import import_string

from core.money import UnknownCurrency, currency_places

if TYPE_CHECKING:
    from collections.abc import Mapping

    from checkout.models import CheckoutSession

SIGNATURE_HEADER = "Stripe-Signature"


class SignatureError(Exception):
    """The webhook's signature is missing, wrong, stale or unverifiable: nothing is stored."""


class MalformedEvent(Exception):
    """A correctly signed body that is not an event we can read (answered 400, nothing stored)."""


class ProviderError(Exception):
    """The provider could not create a checkout session (network, refusal, configuration)."""


class EventKind(StrEnum):
    PAID = "paid"  # the money was taken: post it
    PENDING = "pending"  # completed, but the payment method settles later (bank debits)
    FAILED = "failed"
    EXPIRED = "expired"
    OTHER = "other"  # an event type we do not act on


@dataclass(frozen=True)
class ProviderEventData:
    """What a verified webhook says, in the provider's own ids; amounts already as Decimal."""

    event_id: str
    type: str
    kind: EventKind
    provider_session_id: str = ""
    session_token: str = ""  # our token, echoed back (client_reference_id)
    payment_id: str = ""  # the provider's id of the payment (a Stripe PaymentIntent)
    amount: Decimal | None = None
    currency: str = ""
    created: datetime | None = None
    payload: dict[str, Any] = field(default_factory=dict)


class Provider(Protocol):
    name: str

    def create_session(
        self, session: CheckoutSession, success_url: str, cancel_url: str
    ) -> tuple[str, str]:
        """Open a hosted checkout; return (the provider's session id, the page to send the
        customer to). Raises ProviderError."""
        ...

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> ProviderEventData:
        """Verify and read a webhook. Raises SignatureError (bad, missing or stale signature)
        or MalformedEvent (signed, but not a readable event)."""
        ...


def get_provider() -> Provider:
    """The configured provider (``SETTLE_PAYMENT_PROVIDER``), read at each call."""
    provider: Provider = import_string(settings.SETTLE_PAYMENT_PROVIDER)()
    return provider


# --- Stripe's wire format ---------------------------------------------------------------------
# Stripe event types and what they mean for a checkout session.
_STRIPE_KINDS = {
    "checkout.session.async_payment_succeeded": EventKind.PAID,
    "checkout.session.async_payment_failed": EventKind.FAILED,
    "checkout.session.expired": EventKind.EXPIRED,
}


def _header(headers: Mapping[str, str], name: str) -> str:
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return ""


def minor_units(amount: Decimal, currency: str) -> int:
    """``amount`` in the currency's minor units (Stripe's integer amounts): 123.45 USD → 12345."""
    return int(amount.scaleb(currency_places(currency)))


class StripeFormat:
    """Verifying and reading Stripe-format webhooks; shared by the real and the fake provider."""

    name = "stripe"

    def webhook_secret(self) -> str:
        return str(settings.SETTLE_PAYMENT_WEBHOOK_SECRET)

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> ProviderEventData:
        header = _header(headers, SIGNATURE_HEADER)
        secret = self.webhook_secret()
        tolerance = int(settings.SETTLE_PAYMENT_WEBHOOK_TOLERANCE_SECONDS)
        if not secret:
            raise SignatureError("No webhook secret is configured.")
        try:
            # The SDK's check: HMAC-SHA256 over "t.body", compared in constant time, and a
            # timestamp no older than the tolerance (the replay window).
            stripe.WebhookSignature.verify_header(body, header, secret, tolerance)
        except stripe.SignatureVerificationError as error:
            raise SignatureError(str(error).split(".")[0]) from None
        except (UnicodeDecodeError, ValueError):
            raise SignatureError("Unreadable signature or body.") from None
        # The SDK refuses old timestamps only; one from the future is as suspect.
        signed_at = int(next(p[2:] for p in header.split(",") if p.startswith("t=")))
        if signed_at > time.time() + tolerance:
            raise SignatureError("Timestamp in the future.")
        return self._read(body)

    def _read(self, body: bytes) -> ProviderEventData:
        try:
            # parse_float: no float ever stands for an amount, even a stray one.
            event = json.loads(body, parse_float=Decimal)
        except ValueError:
            raise MalformedEvent("The body is not JSON.") from None
        if not isinstance(event, dict):
            raise MalformedEvent("The event is not an object.")
        event_id, kind_name = event.get("id"), event.get("type")
        if not isinstance(event_id, str) or not event_id or len(event_id) > 255:
            raise MalformedEvent("The event has no id.")
        if not isinstance(kind_name, str) or not kind_name or len(kind_name) > 100:
            raise MalformedEvent("The event has no type.")
        data = event.get("data")
        obj = data.get("object") if isinstance(data, dict) else None
        created = event.get("created")
        created_at = (
            datetime.fromtimestamp(created, tz=UTC)
            if isinstance(created, int) and not isinstance(created, bool)
            else None
        )
        if not isinstance(obj, dict) or obj.get("object") != "checkout.session":
            return ProviderEventData(
                event_id=event_id,
                type=kind_name,
                kind=EventKind.OTHER,
                created=created_at,
                payload=_trimmed(event, {}),
            )
        kind = _STRIPE_KINDS.get(kind_name, EventKind.OTHER)
        if kind_name == "checkout.session.completed":
            paid = obj.get("payment_status") in ("paid", "no_payment_required")
            kind = EventKind.PAID if paid else EventKind.PENDING
        currency = str(obj.get("currency") or "").upper()
        amount_total = obj.get("amount_total")
        amount = None
        if isinstance(amount_total, int) and not isinstance(amount_total, bool):
            try:
                amount = Decimal(amount_total).scaleb(-currency_places(currency))
            except UnknownCurrency:
                amount = None
        payment_intent = obj.get("payment_intent")
        if isinstance(payment_intent, dict):  # expanded
            payment_intent = payment_intent.get("id")
        return ProviderEventData(
            event_id=event_id,
            type=kind_name,
            kind=kind,
            provider_session_id=_text(obj.get("id")),
            session_token=_text(obj.get("client_reference_id")),
            payment_id=_text(payment_intent),
            amount=amount,
            currency=currency,
            created=created_at,
            payload=_trimmed(event, obj),
        )


def _text(value: object) -> str:
    return value[:255] if isinstance(value, str) else ""


_KEPT = (
    "id",
    "object",
    "amount_total",
    "currency",
    "client_reference_id",
    "payment_intent",
    "payment_status",
    "status",
    "metadata",
)


def _trimmed(event: dict[str, Any], obj: dict[str, Any]) -> dict[str, Any]:
    """What we keep of an event: ids, type, amounts and statuses; not the customer's name,
    email or address that the provider also sends (personal data we have no use for)."""
    kept = {key: event.get(key) for key in ("id", "type", "created", "livemode")}
    kept["data"] = {"object": {key: obj[key] for key in _KEPT if key in obj}}
    return kept


# --- The real provider ------------------------------------------------------------------------
class StripeProvider(StripeFormat):
    """Stripe Checkout (``mode=payment``) through the official SDK.

    ``SETTLE_PAYMENT_API_KEY`` is the secret key; ``SETTLE_PAYMENT_API_BASE`` overrides Stripe's
    API address (tests point it at a local fake). Stripe's webhook endpoint:
    ``https://<host>/checkout/webhooks/stripe/`` with the events ``checkout.session.completed``,
    ``checkout.session.async_payment_succeeded``, ``checkout.session.async_payment_failed``
    and ``checkout.session.expired``; its signing secret is ``SETTLE_PAYMENT_WEBHOOK_SECRET``.
    """

    name = "stripe"

    def _client(self) -> stripe.StripeClient:
        api_key = str(settings.SETTLE_PAYMENT_API_KEY)
        if not api_key:
            raise ProviderError("SETTLE_PAYMENT_API_KEY is not set.")
        base = str(settings.SETTLE_PAYMENT_API_BASE)
        return stripe.StripeClient(
            api_key,
            base_addresses={"api": base} if base else None,
            http_client=stripe.RequestsClient(
                timeout=int(settings.SETTLE_PAYMENT_API_TIMEOUT_SECONDS)
            ),
            max_network_retries=2,  # POSTs retry with the same idempotency key
        )

    def create_session(
        self, session: CheckoutSession, success_url: str, cancel_url: str
    ) -> tuple[str, str]:
        ttl = min(max(int(settings.SETTLE_CHECKOUT_SESSION_TTL_MINUTES), 30), 24 * 60)
        expires_at = session.created_at + timedelta(minutes=ttl)
        params: dict[str, Any] = {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": session.currency.lower(),
                        "unit_amount": minor_units(session.amount, session.currency),
                        "product_data": {
                            "name": f"{session.get_purpose_display()} {session.account}"
                        },
                    },
                }
            ],
            "success_url": success_url,
            "cancel_url": cancel_url,
            "client_reference_id": session.token,
            "metadata": {"settle_session": session.token, "purpose": session.purpose},
            "expires_at": int(expires_at.timestamp()),
        }
        try:
            created = self._client().v1.checkout.sessions.create(
                params=params,  # type: ignore[arg-type]
                options={"idempotency_key": f"settle-checkout-{session.token}"},
            )
        except stripe.StripeError as error:
            raise ProviderError(
                getattr(error, "user_message", None) or str(error) or type(error).__name__
            ) from error
        if not created.id or not created.url:
            raise ProviderError("Stripe answered without a session id or page.")
        return created.id, created.url


# --- The local fake ---------------------------------------------------------------------------
class FakeProvider(StripeFormat):
    """A stand-in for a hosted checkout: the page is ours (``checkout:fake_page``) and its
    buttons produce Stripe-format events signed with the webhook secret (or, when none is set,
    a secret derived from SECRET_KEY, so a demo has no well-known secret)."""

    name = "fake"

    def webhook_secret(self) -> str:
        return str(settings.SETTLE_PAYMENT_WEBHOOK_SECRET) or (
            salted_hmac("checkout.FakeProvider", "webhook-secret").hexdigest()
        )

    def create_session(
        self, session: CheckoutSession, success_url: str, cancel_url: str
    ) -> tuple[str, str]:
        return (
            f"cs_fake_{session.token}",
            reverse("checkout:fake_page", kwargs={"token": session.token}),
        )

    def signed_event(
        self, session: CheckoutSession, *, succeeded: bool, at: datetime
    ) -> tuple[bytes, dict[str, str]]:
        """The webhook Stripe would send when the customer's card was taken or declined: the
        raw body and its headers, signed as ``parse_webhook`` verifies them."""
        from secrets import token_hex

        obj = {
            "id": session.provider_session_id,
            "object": "checkout.session",
            "amount_total": minor_units(session.amount, session.currency),
            "currency": session.currency.lower(),
            "client_reference_id": session.token,
            "payment_intent": f"pi_fake_{token_hex(8)}",
            "payment_status": "paid" if succeeded else "unpaid",
            "status": "complete" if succeeded else "open",
            "metadata": {"settle_session": session.token},
        }
        event = {
            "id": f"evt_fake_{token_hex(12)}",
            "object": "event",
            "type": (
                "checkout.session.completed"
                if succeeded
                else "checkout.session.async_payment_failed"
            ),
            "created": int(at.timestamp()),
            "livemode": False,
            "data": {"object": obj},
        }
        body = json.dumps(event).encode()
        return body, {SIGNATURE_HEADER: sign(body, self.webhook_secret(), at=at)}


def sign(body: bytes, secret: str, *, at: datetime) -> str:
    """A ``Stripe-Signature`` header for ``body`` signed at ``at`` (the fake and the tests)."""
    return str(
        stripe.WebhookSignature.generate_signature_header(
            body.decode(), secret, timestamp=int(at.timestamp())
        )
    )
