"""The portal's records: the customer's sessions, one-time codes, verification attempts, the
self-service policy, and the acceptances the customer gave online (evidence)."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import RiskTier
from core.querysets import AppendOnlyQuerySet


class PortalSession(models.Model):
    """A customer's visit from a link: separate from staff sessions (own cookie, own table).

    Only a hash of the cookie's value is stored. ``identified_at``: the customer gave their date
    of birth or the last digits of their ID; ``verified_at``: they also gave the one-time code.
    Nothing personal is shown before ``verified_at``.
    """

    key_hash = models.CharField(max_length=64, unique=True)
    customer = models.ForeignKey(
        "accounts.Customer", on_delete=models.PROTECT, related_name="portal_sessions"
    )
    created_at = models.DateTimeField(_("opened"))
    last_seen_at = models.DateTimeField(_("last seen"))
    identified_at = models.DateTimeField(_("identified"), null=True, blank=True)
    identified_by = models.CharField(_("identified by"), max_length=20, blank=True)
    verified_at = models.DateTimeField(_("verified"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("portal session")
        verbose_name_plural = _("portal sessions")

    def __str__(self) -> str:
        return f"{self.customer_id} {self.created_at:%Y-%m-%d %H:%M}"


class VerificationCode(models.Model):
    """A one-time code sent to a contact point on file; only its hash is kept."""

    session = models.ForeignKey(PortalSession, on_delete=models.CASCADE, related_name="codes")
    contact_point = models.ForeignKey(
        "accounts.ContactPoint", on_delete=models.PROTECT, related_name="+"
    )
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"code {self.pk} for session {self.session_id}"


class VerificationAttempt(models.Model):
    """One answer to a verification step, right or wrong: what the lock counts."""

    class Step(models.TextChoices):
        IDENTITY = "identity", _("Date of birth or ID digits")
        CODE = "code", _("One-time code")

    customer = models.ForeignKey("accounts.Customer", on_delete=models.CASCADE, related_name="+")
    session = models.ForeignKey(
        PortalSession, null=True, on_delete=models.SET_NULL, related_name="attempts"
    )
    step = models.CharField(max_length=10, choices=Step.choices)
    succeeded = models.BooleanField()
    at = models.DateTimeField()
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["customer", "at"])]
        verbose_name = _("verification attempt")
        verbose_name_plural = _("verification attempts")

    def __str__(self) -> str:
        return f"{self.step} {'ok' if self.succeeded else 'failed'} {self.at:%Y-%m-%d %H:%M}"


class SelfServicePolicy(models.Model):
    """What a customer may arrange alone, per jurisdiction; anything else goes to their
    specialist as a request (a callback in the queue)."""

    jurisdiction = models.CharField(_("jurisdiction"), max_length=2, unique=True)
    plans_enabled = models.BooleanField(_("plans"), default=True)
    max_installments = models.PositiveSmallIntegerField(
        _("longest plan (installments)"), default=12
    )
    annual_rate = models.DecimalField(
        _("plan annual rate"),
        max_digits=7,
        decimal_places=4,
        default=Decimal("0.0000"),
        help_text=_("A fraction: 0.0990 is 9.9% a year."),
    )
    settlements_enabled = models.BooleanField(_("settlements"), default=False)
    max_discount = models.DecimalField(
        _("largest settlement discount"),
        max_digits=5,
        decimal_places=4,
        default=Decimal("0.0000"),
        help_text=_("A fraction of the balance: 0.2000 is 20%."),
    )
    buckets = models.CharField(
        _("buckets"),
        max_length=100,
        default="M1,M2,M3",
        help_text=_("Bucket codes whose accounts may self-serve, comma-separated."),
    )
    risk_tiers = models.CharField(
        _("risk tiers"),
        max_length=60,
        default=",".join([RiskTier.GOOD, RiskTier.GENERAL]),
        help_text=_("Risk tiers that may self-serve, comma-separated."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("self-service policy")
        verbose_name_plural = _("self-service policies")

    def __str__(self) -> str:
        return f"{self.jurisdiction}"

    @property
    def bucket_codes(self) -> set[str]:
        return {c.strip() for c in self.buckets.split(",") if c.strip()}

    @property
    def tier_codes(self) -> set[str]:
        return {c.strip() for c in self.risk_tiers.split(",") if c.strip()}


class SelfServiceAcceptance(models.Model):
    """The customer's own acceptance of terms online: when, from where, and the exact text
    they were shown (with its hash). The plan's acceptance reference points here."""

    customer = models.ForeignKey("accounts.Customer", on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="+")
    session = models.ForeignKey(PortalSession, on_delete=models.PROTECT, related_name="+")
    plan = models.ForeignKey(
        "plans.Plan", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    settlement = models.ForeignKey(
        "plans.Settlement", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    accepted_at = models.DateTimeField(_("accepted"))
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    language = models.CharField(_("language"), max_length=10)
    text_shown = models.TextField(_("text shown"))
    text_sha256 = models.CharField(_("SHA-256 of the text"), max_length=64)

    class Meta:
        ordering = ["-accepted_at"]
        verbose_name = _("online acceptance")
        verbose_name_plural = _("online acceptances")

    def __str__(self) -> str:
        return f"{self.account_id} {self.accepted_at:%Y-%m-%d %H:%M}"


class PortalEventQuerySet(AppendOnlyQuerySet):
    refusal = "Portal events are append-only evidence of what the customer did."


class PortalEvent(models.Model):
    """What the customer did online, one row per act: the case timeline and the self-service
    KPIs read these (with the records each act made: payment, plan, promise, dispute …)."""

    class Kind(models.TextChoices):
        VERIFIED = "verified", _("Signed in to the portal")
        PAYMENT_STARTED = "payment_started", _("Started an online payment")
        PLAN_ACCEPTED = "plan_accepted", _("Accepted a plan online")
        PLAN_REQUESTED = "plan_requested", _("Asked for a plan outside self-service")
        SETTLEMENT_ACCEPTED = "settlement_accepted", _("Accepted a settlement online")
        PROMISE = "promise", _("Promised to pay online")
        CALLBACK = "callback", _("Asked for a callback online")
        DISPUTE = "dispute", _("Disputed the debt online")
        HARDSHIP = "hardship", _("Told us of hardship online")
        PREFERENCES = "preferences", _("Changed contact preferences online")

    customer = models.ForeignKey("accounts.Customer", on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey(
        "accounts.Account", null=True, on_delete=models.PROTECT, related_name="portal_events"
    )
    session = models.ForeignKey(PortalSession, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(_("what"), max_length=20, choices=Kind.choices)
    at = models.DateTimeField(_("when"))
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    objects = PortalEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["account", "at"])]
        verbose_name = _("portal event")
        verbose_name_plural = _("portal events")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"
