"""The rules of online payments: starting a checkout, receiving the provider's webhooks, and
giving up on sessions nobody finished.

Money moves only on a verified "paid" event, through ``plans.services.payment_post`` (source
``portal``, reference ``<provider>:<payment id>``), which is itself idempotent on the reference.
A failed, cancelled, abandoned or expired checkout changes the session's status and nothing
else. Lock order when a payment is posted: the account, then the session (as every plan write:
the account first).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import OPEN_STAGES, Account, User
from checkout.models import CheckoutSession, ProviderEvent
from checkout.providers import (
    EventKind,
    FakeProvider,
    ProviderError,
    ProviderEventData,
    SignatureError,
    get_provider,
)
from core.audit import acting_as
from core.conflicts import DomainConflict
from plans.models import Payment, Plan, PlanStatus
from plans.services import CLOCK_SKEW, payment_post
from plans.services.inputs import _money

logger = logging.getLogger(__name__)

Status = CheckoutSession.Status
Outcome = ProviderEvent.Outcome

__all__ = [
    "CheckoutUnavailable",
    "SignatureError",
    "amount_payable_max",
    "checkout_start",
    "fake_checkout_complete",
    "sessions_expire",
    "webhook_receive",
]


class CheckoutUnavailable(DomainConflict):
    """The provider could not open a checkout; the session is stored as failed with the reason."""


def amount_payable_max(account: Account) -> Decimal:
    """The most a customer may pay online: the account's balance, or, with an active plan, what
    is left of the plan if that is more (the plan's own interest and fees are not on the
    account's balance)."""
    owed = account.total_balance
    plan = Plan.objects.filter(account=account, status=PlanStatus.ACTIVE).first()
    if plan is not None:
        left = plan.installments.aggregate(a=Sum("amount"), p=Sum("paid_amount"))
        owed = max(owed, (left["a"] or Decimal(0)) - (left["p"] or Decimal(0)))
    return owed


def _url(value: str, field: str) -> str:
    try:
        URLValidator(schemes=["http", "https"])(value)
    except ValidationError:
        raise ValidationError({field: [_("Enter a full web address (http or https).")]}) from None
    return value


def checkout_start(
    *,
    account: Account,
    amount: Decimal,
    purpose: str,
    success_url: str,
    cancel_url: str,
    now: datetime | None = None,
    by: User | None = None,
    self_service: bool = True,
) -> CheckoutSession:
    """Open a hosted checkout for ``amount`` of the account's currency; the caller redirects
    the customer to ``session.redirect_url``.

    ``{token}`` in ``success_url`` or ``cancel_url`` becomes the session's public token, so the
    return page can find the session. Bad input is a ValidationError naming the field
    (``amount``, ``purpose``, ``account``, ``success_url``, ``cancel_url``); a provider that
    cannot open the checkout raises CheckoutUnavailable (the session is kept as failed). The
    provider is called outside any transaction: no lock is held over the network.
    """
    now = now or timezone.now()
    _money(amount, "amount", account.currency, positive=True)
    if purpose not in CheckoutSession.Purpose.values:
        raise ValidationError({"purpose": [_("Unknown purpose.")]})
    account = Account.objects.get(pk=account.pk)  # as stored now
    if account.stage not in OPEN_STAGES:
        raise ValidationError({"account": [_("This account takes no more payments online.")]})
    limit = amount_payable_max(account)
    if amount > limit:
        raise ValidationError(
            {
                "amount": [
                    _("Must not be more than the %(owed)s %(currency)s owed.")
                    % {"owed": limit, "currency": account.currency}
                ]
            }
        )
    provider = get_provider()
    session = CheckoutSession(
        account=account,
        amount=amount,
        currency=account.currency,
        provider=provider.name,
        purpose=purpose,
        created_at=now,
        self_service=self_service,
        created_by=by if by is not None and by.is_authenticated else None,
    )
    success_url = _url(success_url.replace("{token}", session.token), "success_url")
    cancel_url = _url(cancel_url.replace("{token}", session.token), "cancel_url")
    session.return_url, session.cancel_url = success_url, cancel_url
    with transaction.atomic(), acting_as(by):
        session.save()
    try:
        provider_session_id, redirect_url = provider.create_session(
            session, success_url, cancel_url
        )
    except ProviderError as error:
        logger.warning("checkout %s: the provider refused: %s", session.pk, error)
        with transaction.atomic(), acting_as(by):
            session.status = Status.FAILED
            session.failure_reason = str(error)[:255]
            session.completed_at = now
            session.save(update_fields=["status", "failure_reason", "completed_at"])
        raise CheckoutUnavailable(
            _("Online payment is not available right now. Please try again later.")
        ) from error
    with transaction.atomic(), acting_as(by):
        # Conditional: a webhook may already have settled the session meanwhile.
        CheckoutSession.objects.filter(pk=session.pk, status=Status.CREATED).update(
            provider_session_id=provider_session_id,
            redirect_url=redirect_url,
            status=Status.PENDING,
        )
    session.refresh_from_db()
    return session


def webhook_receive(
    *, provider_name: str, body: bytes, headers: Mapping[str, str], now: datetime | None = None
) -> ProviderEvent:
    """Verify a provider's webhook and apply it once.

    Raises SignatureError (bad, missing or stale signature) or MalformedEvent before anything is
    written. Idempotent on the provider's event id: the row is inserted first, so a concurrent
    replay waits on the unique index and then finds it; a replay returns the stored event and
    changes nothing. A paid event posts the payment (once: ``payment_post`` is idempotent on the
    reference too); a failed or expired one changes the session's status only; an amount or
    currency that is not the session's posts nothing and is stored as an error.
    """
    provider = get_provider()
    if provider.name != provider_name:
        raise SignatureError(f"Provider {provider_name!r} is not the configured one.")
    data = provider.parse_webhook(body, headers)
    now = now or timezone.now()
    with transaction.atomic():
        try:
            with transaction.atomic():
                event = ProviderEvent.objects.create(
                    provider=provider.name,
                    event_id=data.event_id,
                    type=data.type,
                    received_at=now,
                    payload=data.payload,
                    outcome=Outcome.IGNORED,
                )
        except IntegrityError:
            # Stored already (a replay, or a concurrent delivery that committed first).
            return ProviderEvent.objects.get(provider=provider.name, event_id=data.event_id)
        outcome, detail, session = _apply(provider.name, data, now=now)
        event.outcome, event.detail, event.session = outcome, detail[:255], session
        event.save(update_fields=["outcome", "detail", "session"])
    return event


def _session_for(provider_name: str, data: ProviderEventData) -> CheckoutSession | None:
    sessions = CheckoutSession.objects.filter(provider=provider_name)
    if data.provider_session_id:
        found = sessions.filter(provider_session_id=data.provider_session_id).first()
        if found is not None:
            return found
    if data.session_token:
        # Our call to the provider may have died before we stored its session id.
        return sessions.filter(token=data.session_token, provider_session_id="").first()
    return None


def _apply(
    provider_name: str, data: ProviderEventData, *, now: datetime
) -> tuple[str, str, CheckoutSession | None]:
    if data.kind == EventKind.OTHER:
        return Outcome.IGNORED, f"Not acted on: {data.type}.", None
    found = _session_for(provider_name, data)
    if found is None:
        return Outcome.IGNORED, "No checkout session of ours.", None
    # Lock order of every payment: the account, then the session.
    account = Account.objects.select_for_update().get(pk=found.account_id)
    session = CheckoutSession.objects.select_for_update().get(pk=found.pk)
    if data.kind == EventKind.PAID:
        return (*_paid(session, account, data, now=now), session)
    if session.status == Status.PAID:
        return Outcome.IGNORED, f"Already paid; {data.kind} ignored.", session
    if data.kind == EventKind.PENDING:
        session.status = Status.PENDING
        detail = "Completed; the payment settles later."
    elif data.kind == EventKind.FAILED:
        session.status, session.completed_at = Status.FAILED, now
        session.failure_reason = "The payment failed."
        detail = "Payment failed."
    else:
        session.status, session.completed_at = Status.EXPIRED, now
        detail = "Expired at the provider."
    session.provider_session_id = session.provider_session_id or data.provider_session_id
    session.save(update_fields=["status", "completed_at", "failure_reason", "provider_session_id"])
    return Outcome.RECORDED, detail, session


def _paid(
    session: CheckoutSession, account: Account, data: ProviderEventData, *, now: datetime
) -> tuple[str, str]:
    """Post the payment of a paid event; money taken wins over a session we had given up on."""
    if data.amount != session.amount or data.currency != session.currency:
        logger.error(
            "checkout %s: provider reports %s %s for a session of %s %s; nothing posted",
            session.pk,
            data.amount,
            data.currency,
            session.amount,
            session.currency,
        )
        return Outcome.ERROR, (
            f"Amount mismatch: the provider reports {data.amount} {data.currency}, "
            f"the session is for {session.amount} {session.currency}. Nothing posted."
        )
    payment_id = data.payment_id or data.provider_session_id
    reference = f"{session.provider}:{payment_id}"[:64]
    received_at = min(data.created or now, now + CLOCK_SKEW)
    try:
        with transaction.atomic():
            posted = payment_post(
                account=account,
                amount=data.amount,
                received_at=received_at,
                reference=reference,
                by=None,
                source=Payment.Source.PORTAL,
                source_detail=f"{session.provider} checkout {session.provider_session_id}",
                now=now,
            )
    except (ValidationError, DomainConflict) as error:
        message = getattr(error, "message", None) or "; ".join(getattr(error, "messages", []))
        logger.error("checkout %s: payment %s not posted: %s", session.pk, reference, message)
        return Outcome.ERROR, f"Not posted: {message}"
    already = session.status == Status.PAID or not posted.created
    session.status, session.payment = Status.PAID, posted.payment
    session.completed_at = session.completed_at if already else now
    session.failure_reason = ""
    session.provider_session_id = session.provider_session_id or data.provider_session_id
    session.save(
        update_fields=[
            "status",
            "payment",
            "completed_at",
            "failure_reason",
            "provider_session_id",
        ]
    )
    if not posted.created:
        return Outcome.DUPLICATE, f"{reference} was already posted."
    return Outcome.POSTED, f"Posted {reference}."


def sessions_expire(*, now: datetime | None = None) -> int:
    """Mark sessions still created or pending after ``SETTLE_CHECKOUT_SESSION_TTL_MINUTES`` as
    abandoned; returns how many. One conditional UPDATE: a second run, or a webhook that settled
    a session meanwhile, is left alone. A payment that arrives later still posts."""
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=int(settings.SETTLE_CHECKOUT_SESSION_TTL_MINUTES))
    return CheckoutSession.objects.filter(
        status__in=CheckoutSession.OPEN, created_at__lt=cutoff
    ).update(
        status=Status.ABANDONED,
        completed_at=now,
        failure_reason="Not completed in time.",
    )


def fake_checkout_complete(
    *, session: CheckoutSession, succeeded: bool, now: datetime | None = None
) -> ProviderEvent:
    """The fake provider's page: the customer paid (or the card was declined). Builds the signed
    event the provider would send and hands it to ``webhook_receive`` in-process (posting it to
    ourselves over HTTP would deadlock a single-worker server)."""
    provider = get_provider()
    if not isinstance(provider, FakeProvider):
        raise SignatureError("The fake provider is not configured.")
    now = now or timezone.now()
    body, headers = provider.signed_event(session, succeeded=succeeded, at=now)
    return webhook_receive(provider_name=provider.name, body=body, headers=headers, now=now)
