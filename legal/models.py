"""Legal referral and the legal case that follows it (诉讼, 强制执行).

A supervisor refers an account with reasons and documents (``LegalReferral``); within the
referrer's authority (``LegalAuthority``: the largest balance a role may send to legal alone) it
is approved at once, above it another user whose authority covers the balance decides. An
approved referral opens the ``LegalCase``: court, case number, filing, hearing and judgment,
the enforcement steps (``LegalStep``, each with the date it is due: the dates that reach the
queue) and the costs (``LegalCost``, recoverable from the customer or not). While a case is
open the account is in stage ``legal``: out of the specialists' queue and strategies.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, Role
from accounts.validators import validate_currency

ZERO = Decimal("0")


class ReferralReason(models.TextChoices):
    WILFUL = "wilful", _("Able to pay but refuses (恶意拖欠)")
    UNREACHABLE = "unreachable", _("Unreachable on every channel")
    BROKEN_ARRANGEMENTS = "broken", _("Broken plans or promises")
    ASSETS = "assets", _("Assets or income to enforce against")
    FRAUD = "fraud", _("Suspected fraud")
    OTHER = "other", _("Other (see the note)")


class LegalAuthority(models.Model):
    """The largest balance a role may refer to legal without another's approval (admin-edited).

    Admins and heads of collections need no row: they may approve any referral. A role with no
    row for the account's currency may refer, but every referral of theirs waits for approval.
    """

    role = models.CharField(
        _("role"),
        max_length=20,
        choices=[(Role.SUPERVISOR, _("Supervisor")), (Role.ADMIN, _("Admin"))],
    )
    currency = models.CharField(_("currency"), max_length=3, validators=[validate_currency])
    max_balance = models.DecimalField(
        _("largest balance"),
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(ZERO)],
        help_text=_("Balances up to this amount may be referred without another's approval."),
    )

    class Meta:
        ordering = ["role", "currency"]
        verbose_name = _("legal authority")
        verbose_name_plural = _("legal authorities")
        constraints = [
            models.UniqueConstraint(fields=["role", "currency"], name="one_legal_authority")
        ]

    def __str__(self) -> str:
        return f"{self.role} {self.currency} ≤ {self.max_balance}"


class ReferralStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class LegalReferral(models.Model):
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="legal_referrals", verbose_name=_("account")
    )
    reasons = models.JSONField(_("reasons"), default=list)
    note = models.TextField(_("note"), blank=True)
    balance = models.DecimalField(_("balance when referred"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    status = models.CharField(
        _("status"), max_length=10, choices=ReferralStatus.choices, default=ReferralStatus.PENDING
    )
    referred_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("referred by"),
    )
    referred_at = models.DateTimeField(_("referred"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)

    class Meta:
        ordering = ["-referred_at", "-id"]
        verbose_name = _("legal referral")
        verbose_name_plural = _("legal referrals")
        constraints = [
            models.UniqueConstraint(
                fields=["account"],
                condition=Q(status="pending"),
                name="one_pending_referral_per_account",
            )
        ]
        indexes = [models.Index(fields=["status", "referred_at"])]

    def __str__(self) -> str:
        return f"referral {self.pk} ({self.account_id})"

    def reason_labels(self) -> list[str]:
        labels = dict(ReferralReason.choices)
        return [str(labels.get(code, code)) for code in self.reasons]


class ReferralDocument(models.Model):
    """A document that supports a referral (the agreement, statements, letters sent): kept once,
    with its SHA-256, and never changed."""

    referral = models.ForeignKey(LegalReferral, on_delete=models.PROTECT, related_name="documents")
    file = models.FileField(_("file"), upload_to="legal/%Y/%m/")
    name = models.CharField(_("name"), max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)

    class Meta:
        ordering = ["id"]
        verbose_name = _("referral document")
        verbose_name_plural = _("referral documents")

    def __str__(self) -> str:
        return self.name


class CaseStatus(models.TextChoices):
    PREPARING = "preparing", _("Preparing the claim")
    FILED = "filed", _("Filed with the court")
    JUDGMENT = "judgment", _("Judgment given")
    ENFORCEMENT = "enforcement", _("Enforcement (强制执行)")
    CLOSED = "closed", _("Closed")


class CaseOutcome(models.TextChoices):
    PAID = "paid", _("Paid in full")
    SETTLED = "settled", _("Settled")
    UNCOLLECTIBLE = "uncollectible", _("Nothing to enforce against")
    WITHDRAWN = "withdrawn", _("Withdrawn (back to collections)")
    LOST = "lost", _("Claim dismissed")


class LegalCase(models.Model):
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="legal_cases", verbose_name=_("account")
    )
    referral = models.OneToOneField(LegalReferral, on_delete=models.PROTECT, related_name="case")
    status = models.CharField(
        _("status"), max_length=12, choices=CaseStatus.choices, default=CaseStatus.PREPARING
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("handled by"),
    )
    court = models.CharField(_("court"), max_length=200, blank=True)
    case_number = models.CharField(_("case number"), max_length=80, blank=True)
    claim_amount = models.DecimalField(
        _("amount claimed"), max_digits=14, decimal_places=2, validators=[MinValueValidator(ZERO)]
    )
    currency = models.CharField(_("currency"), max_length=3)
    filed_on = models.DateField(_("filed on"), null=True, blank=True)
    judgment_on = models.DateField(_("judgment on"), null=True, blank=True)
    judgment_amount = models.DecimalField(
        _("judgment amount"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(ZERO)],
    )
    stage_before = models.CharField(_("stage before legal"), max_length=12)
    outcome = models.CharField(_("outcome"), max_length=15, choices=CaseOutcome.choices, blank=True)
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("legal case")
        verbose_name_plural = _("legal cases")
        constraints = [
            models.UniqueConstraint(
                fields=["account"],
                condition=Q(closed_at__isnull=True),
                name="one_open_legal_case_per_account",
            ),
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True) | ~Q(outcome=""),
                name="closed_legal_case_has_outcome",
            ),
        ]
        indexes = [models.Index(fields=["status", "opened_at"])]

    def __str__(self) -> str:
        return self.case_number or f"legal case {self.pk}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class StepKind(models.TextChoices):
    DEMAND = "demand", _("Final demand (律师函)")
    FILING = "filing", _("File the claim")
    HEARING = "hearing", _("Hearing")
    JUDGMENT = "judgment", _("Judgment")
    ENFORCEMENT_APPLICATION = "enforcement", _("Apply for enforcement (申请强制执行)")
    ASSET_FREEZE = "freeze", _("Freeze or seize assets (查封/冻结)")
    GARNISHMENT = "garnishment", _("Garnish wages or accounts (扣划)")
    ENFORCEMENT_DONE = "enforced", _("Enforcement completed (执行完毕)")
    OTHER = "other", _("Other")


class LegalStep(models.Model):
    """A step of the case with the date it is due: open steps due soon are the legal dates the
    queue shows (``workspace.urgency``)."""

    case = models.ForeignKey(LegalCase, on_delete=models.PROTECT, related_name="steps")
    kind = models.CharField(_("step"), max_length=12, choices=StepKind.choices)
    due_on = models.DateField(_("due on"))
    done_on = models.DateField(_("done on"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("legal step")
        verbose_name_plural = _("legal steps")
        indexes = [
            models.Index(
                fields=["due_on"], condition=Q(done_on__isnull=True), name="legalstep_open_due"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.due_on}"


class CostKind(models.TextChoices):
    COURT_FEE = "court_fee", _("Court fee (诉讼费)")
    LAWYER = "lawyer", _("Lawyer's fee")
    ENFORCEMENT = "enforcement", _("Enforcement fee (执行费)")
    SERVICE = "service", _("Service of process")
    OTHER = "other", _("Other")


class LegalCost(models.Model):
    case = models.ForeignKey(LegalCase, on_delete=models.PROTECT, related_name="costs")
    kind = models.CharField(_("cost"), max_length=12, choices=CostKind.choices)
    incurred_on = models.DateField(_("incurred on"))
    amount = models.DecimalField(
        _("amount"),
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    currency = models.CharField(_("currency"), max_length=3)
    recoverable = models.BooleanField(
        _("recoverable from the customer"),
        default=False,
        help_text=_("Costs the court orders the customer to bear, or the agreement allows."),
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["incurred_on", "id"]
        verbose_name = _("legal cost")
        verbose_name_plural = _("legal costs")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="legal_cost_positive")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} {self.currency}"
