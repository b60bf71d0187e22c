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
