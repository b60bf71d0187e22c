"""The webhook endpoint: signed events post once; bad signatures, failures and abandoned
checkouts change nothing."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.forms.models import model_to_dict

from accounts.models import Account
from checkout import services
from checkout.models import CheckoutSession, ProviderEvent
from plans.models import Allocation, Payment, PromiseToPay
from plans.services import payment_post
from tests.checkout.conftest import NOW, event_body, start, stripe_signature
from tests.plans.factories import owing_account

pytestmark = pytest.mark.django_db

URL = "/checkout/webhooks/fake/"
Status = CheckoutSession.Status


@pytest.fixture(autouse=True)
def _clock(pinned):
    return pinned


@pytest.fixture
def session(account):
    PromiseToPay.objects.create(
        account=account, amount=Decimal("250.00"), due_date=NOW.date() + timedelta(days=3)
    )
    return start(account, "250.00")


def deliver(client, body: bytes, signature: str | None = None):
    headers = {"HTTP_STRIPE_SIGNATURE": stripe_signature(body) if signature is None else signature}
    return client.post(URL, body, content_type="application/json", **headers)


def snapshot(account) -> dict:
    """Everything a payment would change: balances, payments, allocations, promises."""
    return {
        "account": model_to_dict(Account.objects.get(pk=account.pk)),
        "payments": list(Payment.objects.values()),
        "allocations": list(Allocation.objects.values()),
        "promises": list(PromiseToPay.objects.values()),
    }


def test_a_paid_event_posts_one_portal_payment(client, session, account):
    response = deliver(client, event_body(session))

    assert response.status_code == 200
    assert response.json() == {"event": "evt_1", "outcome": "posted"}
    payment = Payment.objects.get()
    assert payment.reference == "fake:pi_1"
    assert payment.amount == Decimal("250.00") and payment.source == Payment.Source.PORTAL
    assert payment.account == account and payment.created_by is None
    account.refresh_from_db()
    assert account.total_balance == Decimal("9750.00")
    session.refresh_from_db()
    assert session.status == Status.PAID and session.payment == payment
    assert session.completed_at == NOW
    event = ProviderEvent.objects.get()
    assert event.session == session and event.outcome == "posted"
    assert "customer_details" not in json.dumps(event.payload)
    assert PromiseToPay.objects.get().status == "kept"


def test_a_replayed_event_posts_nothing_twice(client, session, account):
    body = event_body(session)
    first = deliver(client, body)
    after_first = snapshot(account)

    again = deliver(client, body)
    later = deliver(client, body, stripe_signature(body, at=NOW + timedelta(seconds=10)))

    assert first.status_code == again.status_code == later.status_code == 200
    assert again.json()["outcome"] == "posted"  # the stored outcome, not a second post
    assert snapshot(account) == after_first
    assert Payment.objects.count() == 1 and ProviderEvent.objects.count() == 1


def test_another_event_for_the_same_payment_is_a_duplicate(client, session, account):
    deliver(client, event_body(session, event_id="evt_1"))
    after_first = snapshot(account)

    response = deliver(
        client,
        event_body(session, event_id="evt_2", type="checkout.session.async_payment_succeeded"),
    )

    assert response.json()["outcome"] == "duplicate"
    assert snapshot(account) == after_first


@pytest.mark.parametrize(
    "signature",
    ["", "t=1,v1=deadbeef", "tampered", "other-secret", "stale"],
)
def test_a_bad_signature_answers_400_and_changes_nothing(client, session, account, signature):
    body = event_body(session)
    header = {
        "tampered": stripe_signature(event_body(session, amount_total=1)),
        "other-secret": stripe_signature(body, "whsec_forged"),
        "stale": stripe_signature(body, at=NOW - timedelta(minutes=6)),
    }.get(signature, signature)
    before = snapshot(account)

    response = deliver(client, body, header)

    assert response.status_code == 400
    assert snapshot(account) == before
    assert not ProviderEvent.objects.exists()
    session.refresh_from_db()
    assert session.status == Status.PENDING


def test_a_bad_signature_then_the_genuine_event_posts(client, session):
    body = event_body(session)
    assert deliver(client, body, stripe_signature(body, "whsec_forged")).status_code == 400
    assert deliver(client, body).json()["outcome"] == "posted"


@pytest.mark.parametrize("body", [b"", b"{", b"null", b"\xff\xfe", b'{"id": 5}'])
def test_malformed_bodies_answer_400_never_500(client, session, account, body):
    before = snapshot(account)
    signed = deliver(client, body)
    unsigned = deliver(client, body, "")
    assert signed.status_code == unsigned.status_code == 400
    assert snapshot(account) == before and not ProviderEvent.objects.exists()


def test_a_failed_payment_changes_nothing_but_the_sessions_status(client, session, account):
    before = snapshot(account)
    body = event_body(
        session, type="checkout.session.async_payment_failed", payment_status="unpaid"
    )

    response = deliver(client, body)

    assert response.json()["outcome"] == "recorded"
    assert snapshot(account) == before
    session.refresh_from_db()
    assert session.status == Status.FAILED and session.payment is None


def test_an_expired_checkout_changes_nothing_but_the_sessions_status(client, session, account):
    before = snapshot(account)
    deliver(client, event_body(session, type="checkout.session.expired", payment_status="unpaid"))
    assert snapshot(account) == before
    session.refresh_from_db()
    assert session.status == Status.EXPIRED


def test_an_abandoned_checkout_changes_nothing(session, account, pinned):
    before = snapshot(account)
    pinned.shift(timedelta(minutes=61))

    assert services.sessions_expire() == 1
    assert services.sessions_expire() == 0  # idempotent

    session.refresh_from_db()
    assert session.status == Status.ABANDONED
    assert snapshot(account) == before


def test_a_young_session_is_not_abandoned(session, pinned):
    pinned.shift(timedelta(minutes=59))
    assert services.sessions_expire() == 0
    session.refresh_from_db()
    assert session.status == Status.PENDING


def test_money_taken_after_we_gave_up_is_still_posted(client, session, pinned):
    pinned.shift(timedelta(minutes=61))
    services.sessions_expire()
    body = event_body(session)
    response = deliver(client, body, stripe_signature(body, at=NOW + timedelta(minutes=61)))
    assert response.json()["outcome"] == "posted"
    session.refresh_from_db()
    assert session.status == Status.PAID and Payment.objects.count() == 1


def test_a_failure_after_the_payment_does_not_undo_it(client, session):
    deliver(client, event_body(session))
    deliver(
        client,
        event_body(
            session,
            event_id="evt_late",
            type="checkout.session.async_payment_failed",
            payment_status="unpaid",
        ),
    )
    session.refresh_from_db()
    assert session.status == Status.PAID and Payment.objects.count() == 1


@pytest.mark.parametrize(
    ("amount_total", "currency"), [(25001, "USD"), (24999, "USD"), (25000, "EUR"), (None, "USD")]
)
def test_an_amount_or_currency_mismatch_posts_nothing(
    client, session, account, amount_total, currency
):
    before = snapshot(account)
    body = json.loads(event_body(session, amount_total=amount_total or 0, currency=currency))
    if amount_total is None:
        del body["data"]["object"]["amount_total"]
    raw = json.dumps(body).encode()

    response = deliver(client, raw)

    assert response.status_code == 200
    event = ProviderEvent.objects.get()
    assert event.outcome == "error" and "mismatch" in event.detail
    assert snapshot(account) == before
    session.refresh_from_db()
    assert session.status == Status.PENDING


def test_an_event_for_a_session_we_do_not_know_is_ignored(client, session, account):
    before = snapshot(account)
    body = json.loads(event_body(session))
    body["data"]["object"].update(id="cs_other", client_reference_id="someone-else")
    response = deliver(client, json.dumps(body).encode())
    assert response.json()["outcome"] == "ignored"
    assert snapshot(account) == before


def test_a_reference_posted_elsewhere_is_an_error_not_a_500(client, session, account):
    other = owing_account(account.team)
    payment_post(
        account=other,
        amount=Decimal("250.00"),
        received_at=NOW,
        reference="fake:pi_1",
        by=None,
        now=NOW,
    )
    before = snapshot(account)
    response = deliver(client, event_body(session))
    assert response.status_code == 200
    event = ProviderEvent.objects.get()
    assert event.outcome == "error" and "another account" in event.detail
    assert snapshot(account) == before


def test_another_providers_url_is_404_and_get_is_405(client, session):
    body = event_body(session)
    response = client.post(
        "/checkout/webhooks/stripe/",
        body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=stripe_signature(body),
    )
    assert response.status_code == 404
    assert client.get(URL).status_code == 405
    assert not ProviderEvent.objects.exists()
