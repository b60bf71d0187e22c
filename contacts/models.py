"""Contact points: where a customer can be reached, and whether we may use it."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts import masking
from accounts.models import Customer
from accounts.validators import validate_time_zone


class ContactPoint(models.Model):
    class Kind(models.TextChoices):
        PHONE = "phone", _("Phone")
        EMAIL = "email", _("Email")
        ADDRESS = "address", _("Address")

    class Label(models.TextChoices):
        MOBILE = "mobile", _("Mobile")
        HOME = "home", pgettext_lazy("contact point label", "Home")
        WORK = "work", pgettext_lazy("contact point label", "Work")
        OTHER = "other", _("Other")

    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="contact_points",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    # Phones are stored in E.164 (normalised with ``phonenumbers``), emails lower-cased.
    value = models.CharField(_("value"), max_length=254)
    label = models.CharField(_("label"), max_length=10, choices=Label.choices, default=Label.MOBILE)
    region = models.CharField(
        _("number region"),
        max_length=2,
        blank=True,
        help_text=_("ISO country of a phone number, from its prefix."),
    )
    time_zone = models.CharField(
        _("time zone override"),
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text=_(
            "Set when this contact point is known to be in another zone than the customer."
        ),
    )
    is_primary = models.BooleanField(_("primary"), default=False)
    opted_out = models.BooleanField(_("opted out"), default=False)
    opted_out_at = models.DateTimeField(_("opted out at"), null=True, blank=True)
    is_valid = models.BooleanField(_("valid"), default=True)
    invalid_reason = models.CharField(_("why invalid"), max_length=100, blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["customer_id", "kind", "-is_primary", "id"]
        verbose_name = _("contact point")
        verbose_name_plural = _("contact points")
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "kind", "value"], name="unique_contact_point_per_customer"
            )
        ]
        indexes = [models.Index(fields=["kind", "value"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.masked_value}"

    @property
    def masked_value(self) -> str:
        if self.kind == self.Kind.PHONE:
            return masking.mask_phone(self.value)
        if self.kind == self.Kind.EMAIL:
            return masking.mask_email(self.value)
        return masking.mask_address(self.value)

    @property
    def usable(self) -> bool:
        return self.is_valid and not self.opted_out


class AppendOnlyQuerySet(models.QuerySet):
    """The contact log is evidence: rows are never changed or removed, only corrected."""

    def update(self, **kwargs):
        raise PermissionError("The contact log is append-only; log a correction instead.")

    def delete(self):
        raise PermissionError("The contact log is append-only; log a correction instead.")


class ContactLog(models.Model):
    """One attempt or conversation. Append-only: a correction is a new row pointing back."""

    class Channel(models.TextChoices):
        CALL = "call", _("Call")
        SMS = "sms", _("SMS")
        EMAIL = "email", _("Email")
        LETTER = "letter", _("Letter")
        VISIT = "visit", _("Visit")
        INBOUND_CALL = "inbound_call", _("Inbound call")

    class Direction(models.TextChoices):
        OUTBOUND = "outbound", _("Outbound")
        INBOUND = "inbound", _("Inbound")

    class Outcome(models.TextChoices):
        CONVERSATION = "conversation", _("Conversation (right party)")
        THIRD_PARTY = "third_party", _("Third party")
        NO_ANSWER = "no_answer", _("No answer")
        VOICEMAIL = "voicemail", _("Voicemail")
        NOT_CONNECTED = "not_connected", _("Busy / not connected")
        WRONG_NUMBER = "wrong_number", _("Wrong number")
        DELIVERED = "delivered", _("Delivered")
        BOUNCED = "bounced", _("Bounced")
        FAILED = "failed", _("Failed")

    class Disposition(models.TextChoices):
        PROMISE_TO_PAY = "promise_to_pay", _("Promise to pay")
        REFUSED = "refused", _("Refused to pay")
        DISPUTE = "dispute", _("Dispute")
        HARDSHIP = "hardship", _("Hardship")
        CALLBACK_REQUESTED = "callback_requested", _("Callback requested")
        COMPLAINT = "complaint", _("Complaint")
        CEASE_REQUEST = "cease_request", _("Cease request")

    class Reason(models.TextChoices):
        UNEMPLOYMENT = "unemployment", _("Unemployment")
        INCOME_CUT = "income_cut", _("Income cut")
        ILLNESS = "illness", _("Illness")
        OVER_SPENDING = "over_spending", _("Over-spending")
        BUSINESS_FAILURE = "business_failure", _("Business failure")
        FRAUD_CLAIM = "fraud_claim", _("Fraud claim")
        OTHER = "other", _("Other")

    class Source(models.TextChoices):
        SPECIALIST = "specialist", _("Specialist")
        SYSTEM = "system", _("System")
        HISTORY = "history", _("Loaded history")

    account = models.ForeignKey(
        "accounts.Account", on_delete=models.PROTECT, related_name="contacts"
    )
    # The debtor, kept on the row: frequency caps count per person across their debts.
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="contacts")
    contact_point = models.ForeignKey(
        ContactPoint, null=True, blank=True, on_delete=models.PROTECT, related_name="contacts"
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices)
    occurred_at = models.DateTimeField(_("when"))
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)
    disposition = models.CharField(
        _("disposition"), max_length=30, choices=Disposition.choices, blank=True
    )
    reason = models.CharField(
        _("reason for delinquency"), max_length=20, choices=Reason.choices, blank=True
    )
    notes = models.TextField(_("notes"), blank=True)
    message = models.TextField(_("message sent"), blank=True)
    user = models.ForeignKey(
        "accounts.User",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contacts",
        help_text=_("Empty when the system made the contact."),
    )
    source = models.CharField(
        _("source"), max_length=12, choices=Source.choices, default=Source.SPECIALIST
    )
    corrects = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="corrections"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("contact log entry")
        verbose_name_plural = _("contact log")
        indexes = [
            models.Index(fields=["account", "occurred_at"]),
            models.Index(fields=["customer", "occurred_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.occurred_at:%Y-%m-%d %H:%M} {self.outcome}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise PermissionError("The contact log is append-only; log a correction instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("The contact log is append-only; log a correction instead.")
