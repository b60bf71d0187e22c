"""Collection agencies, the accounts placed with them, the export each placement batch sends
and the commission on what an agency collects.

Rows change only through ``agencies.services`` (audited); a model method calls no service.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Jurisdiction, Stage
from core.querysets import AppendOnlyQuerySet


class Agency(models.Model):
    """An outside collection agency: where it may work and what it earns."""

    code = models.SlugField(
        _("code"),
        max_length=20,
        unique=True,
        help_text=_("What the agency writes in the payment file's agency column."),
    )
    name = models.CharField(_("name"), max_length=200)
    jurisdictions = models.JSONField(
        _("jurisdictions"),
        default=list,
        help_text=_("Where the agency is licensed to collect: US, CN or both."),
    )
    commission_rate = models.DecimalField(
        _("commission rate (%)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text=_("Percent of each payment the agency collects."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    max_placement_days = models.PositiveIntegerField(
        _("longest placement (days)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("A placement is recalled after at most this many days; empty: no limit."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("collection agency")
        verbose_name_plural = _("collection agencies")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def clean(self) -> None:
        codes = self.jurisdictions if isinstance(self.jurisdictions, list) else None
        if not codes or any(code not in Jurisdiction.values for code in codes):
            raise ValidationError(
                {"jurisdictions": _("Choose one or more of: %s.") % ", ".join(Jurisdiction.values)}
            )
        if len(set(codes)) != len(codes):
            raise ValidationError({"jurisdictions": _("A jurisdiction appears twice.")})

    def works_in(self, jurisdiction: str) -> bool:
        return jurisdiction in (self.jurisdictions or [])


class PlacementBatch(models.Model):
    """Accounts placed with one agency together, and the one file sent to it for them."""

    agency = models.ForeignKey(
        Agency, verbose_name=_("agency"), on_delete=models.PROTECT, related_name="batches"
    )
    placed_at = models.DateTimeField(_("placed at"), db_index=True)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("placed by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    count = models.PositiveIntegerField(_("accounts"), default=0)
    export_sha256 = models.CharField(_("export SHA-256"), max_length=64, blank=True)
    export_content = models.BinaryField(_("export"), editable=False, default=b"")

    class Meta:
        ordering = ["-placed_at", "-id"]
        verbose_name = _("placement batch")
        verbose_name_plural = _("placement batches")

    def __str__(self) -> str:
        return f"#{self.pk} {self.agency.code} ({self.count})"


class PlacementStatus(models.TextChoices):
    PLACED = "placed", _("Placed")
    RECALLED = "recalled", _("Recalled")
    CLOSED = "closed", _("Ended: account closed")


class Placement(models.Model):
    """One account placed with an agency, from ``placed_at`` until recalled (or the account
    closes). An account has at most one open placement."""

    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="placements",
    )
    agency = models.ForeignKey(
        Agency, verbose_name=_("agency"), on_delete=models.PROTECT, related_name="placements"
    )
    batch = models.ForeignKey(
        PlacementBatch,
        verbose_name=_("batch"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="placements",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=PlacementStatus.choices, default=PlacementStatus.PLACED
    )
    placed_at = models.DateTimeField(_("placed at"))
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("placed by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    recall_on = models.DateField(_("recall on"), db_index=True)
    stage_before = models.CharField(
        _("stage before"), max_length=20, choices=Stage.choices, default=Stage.EARLY
    )
    currency = models.CharField(_("currency"), max_length=3)
    balance_at_placement = models.DecimalField(
        _("balance at placement"), max_digits=14, decimal_places=2
    )
    recalled_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    recalled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("ended by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    recall_reason = models.CharField(_("why ended"), max_length=255, blank=True)

    class Meta:
        ordering = ["-placed_at", "-id"]
        verbose_name = _("placement")
        verbose_name_plural = _("placements")
        constraints = [
            models.UniqueConstraint(
                fields=["account"],
                condition=Q(status="placed"),
                name="one_open_placement_per_account",
            ),
        ]
        indexes = [models.Index(fields=["agency", "status"])]

    def __str__(self) -> str:
        return f"{self.agency_id}:{self.account_id} ({self.status})"


class AgencyCommission(models.Model):
    """What an agency earns on one payment it reported for an account it holds."""

    payment = models.OneToOneField(
        "plans.Payment",
        verbose_name=_("payment"),
        on_delete=models.PROTECT,
        related_name="agency_commission",
    )
    placement = models.ForeignKey(
        Placement,
        verbose_name=_("placement"),
        on_delete=models.PROTECT,
        related_name="commissions",
    )
    amount = models.DecimalField(
        _("commission"),
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("agency commission")
        verbose_name_plural = _("agency commissions")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="commission_not_negative")
        ]

    def __str__(self) -> str:
        return f"{self.amount} on {self.payment_id}"


class ExportDownloadQuerySet(AppendOnlyQuerySet):
    refusal = "Export downloads are a record and are never changed."


class ExportDownload(models.Model):
    """Who downloaded a batch's export, when, from where (the file holds personal data)."""

    batch = models.ForeignKey(PlacementBatch, on_delete=models.PROTECT, related_name="downloads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("at"), db_index=True)
    remote_addr = models.GenericIPAddressField(null=True, blank=True)

    objects = ExportDownloadQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("export download")
        verbose_name_plural = _("export downloads")

    def __str__(self) -> str:
        return f"{self.user_id} {self.batch_id} {self.at:%Y-%m-%d %H:%M}"
