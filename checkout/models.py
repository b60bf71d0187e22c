"""Checkout sessions (a customer paying online through a provider) and the provider's events.

Both change only through ``checkout.services``. A session's ``status`` is a state machine:
``created`` (stored, provider not asked yet) → ``pending`` (the customer is on the provider's
page) → ``paid`` | ``failed`` | ``abandoned`` (we gave up waiting) | ``expired`` (the provider
said so). ``ProviderEvent`` is the idempotency record of the webhooks: one row per verified
provider event id; a replay finds it and posts nothing.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.validators import validate_currency


def new_token() -> str:
    """The session's public identifier in URLs: random, not guessable, not the primary key."""
    return secrets.token_urlsafe(24)


class CheckoutSession(models.Model):
    class Status(models.TextChoices):
        CREATED = "created", _("Created")
        PENDING = "pending", _("Waiting for the payment")
        PAID = "paid", _("Paid")
        FAILED = "failed", _("Payment failed")
        ABANDONED = "abandoned", _("Abandoned")
        EXPIRED = "expired", _("Expired")

    class Purpose(models.TextChoices):
        PAYMENT = "payment", _("Payment")
        INSTALLMENT = "installment", _("Plan installment")
        SETTLEMENT = "settlement", _("Settlement")

    OPEN = (Status.CREATED, Status.PENDING)

    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="checkout_sessions",
    )
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, validators=[validate_currency])
    provider = models.CharField(_("provider"), max_length=30)
    provider_session_id = models.CharField(
        _("provider's session id"), max_length=255, blank=True, default=""
    )
    token = models.CharField(_("token"), max_length=64, unique=True, default=new_token)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.CREATED
    )
    purpose = models.CharField(
        _("purpose"), max_length=20, choices=Purpose.choices, default=Purpose.PAYMENT
    )
    return_url = models.URLField(_("return address"), max_length=2000)
    cancel_url = models.URLField(_("cancel address"), max_length=2000)
    redirect_url = models.CharField(
        _("provider's payment page"), max_length=2000, blank=True, default=""
    )
    payment = models.ForeignKey(
        "plans.Payment",
        verbose_name=_("payment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    completed_at = models.DateTimeField(
        pgettext_lazy("checkout session", "ended"), null=True, blank=True
    )
    failure_reason = models.CharField(_("failure reason"), max_length=255, blank=True, default="")
    self_service = models.BooleanField(_("started by the customer"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("checkout session")
        verbose_name_plural = _("checkout sessions")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="checkout_amount_positive"),
            models.UniqueConstraint(
                fields=["provider", "provider_session_id"],
                condition=~Q(provider_session_id=""),
                name="one_checkout_per_provider_session",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "created_at"]),
            models.Index(fields=["account", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.amount} {self.currency} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN


class ProviderEvent(models.Model):
    """One verified webhook event of a provider, stored once (unique on provider and id).

    Only events whose signature verified are stored. ``outcome`` says what it did; a replay of
    the same id answers with this row and changes nothing.
    """

    class Outcome(models.TextChoices):
        POSTED = "posted", _("Payment posted")
        RECORDED = "recorded", _("Status recorded")
        DUPLICATE = "duplicate", _("Already posted")
        IGNORED = "ignored", _("Ignored")
        ERROR = "error", _("Error")

    provider = models.CharField(_("provider"), max_length=30)
    event_id = models.CharField(_("event id"), max_length=255)
    type = models.CharField(_("type"), max_length=100)
    received_at = models.DateTimeField(
        pgettext_lazy("provider event", "received"), default=timezone.now
    )
    payload = models.JSONField(_("payload"), default=dict, encoder=DjangoJSONEncoder)
    outcome = models.CharField(
        pgettext_lazy("provider event", "outcome"), max_length=10, choices=Outcome.choices
    )
    detail = models.CharField(_("detail"), max_length=255, blank=True, default="")
    session = models.ForeignKey(
        CheckoutSession,
        verbose_name=_("checkout session"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="events",
    )

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("provider event")
        verbose_name_plural = _("provider events")
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="one_provider_event")
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.event_id}: {self.outcome}"
