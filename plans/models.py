"""Installment plans, their installments and history, payments, allocations and promises.

State changes go through ``plans.services`` only: each checks the current status, writes the
change under a row lock and records a ``PlanEvent`` (and a django-auditlog entry) in the same
transaction. Amounts are ``Decimal`` in the account's currency.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from accounts.models import Jurisdiction, Product, Role, import_trail_fields
from accounts.validators import validate_currency
from compliance.models import JurisdictionProfile
from plans.schedule import DayCount, Frequency, Method, Rounding

ZERO = Decimal("0")
NOT_NEGATIVE = [MinValueValidator(ZERO)]


def _money(verbose_name, **kwargs) -> models.DecimalField:
    kwargs.setdefault("default", ZERO)
    return models.DecimalField(
        verbose_name, max_digits=14, decimal_places=2, validators=NOT_NEGATIVE, **kwargs
    )


# The values the data migration stores; also what applies to a jurisdiction without a row (a
# flushed test database, a jurisdiction added before its policy). Limits are in the plan's
# currency; an admin has no limit.
DEFAULT_POLICIES: dict[str, dict] = {
    Jurisdiction.US: {
        "max_installments": 60,
        "specialist_concession_limit": Decimal("500.00"),
        "supervisor_concession_limit": Decimal("5000.00"),
    },
    # PLANS.md: CN personalised installments run at most 60 monthly installments.
    Jurisdiction.CN: {
        "max_installments": 60,
        "specialist_concession_limit": Decimal("3000.00"),
        "supervisor_concession_limit": Decimal("30000.00"),
    },
}
# Settlement authority (a share of the balance the proposer may give up) per role and bucket;
# "" is every bucket without its own row. Admins have no limit. What the data migration stores
# and what applies to a policy without a row.
DEFAULT_SETTLEMENT_AUTHORITY: dict[str, dict[str, Decimal]] = {
    Role.SPECIALIST: {
        "": Decimal("0.10"),
        "M4": Decimal("0.20"),
        "M5": Decimal("0.25"),
        "M6": Decimal("0.30"),
    },
    Role.SUPERVISOR: {
        "": Decimal("0.30"),
        "M4": Decimal("0.40"),
        "M5": Decimal("0.50"),
        "M6": Decimal("0.60"),
    },
}
DEFAULT_MINIMUM_INSTALLMENTS: dict[str, Decimal] = {
    "USD": Decimal("25.00"),
    "CNY": Decimal("100.00"),
}


class PlanPolicy(models.Model):
    """Plan limits of one jurisdiction, editable in the admin.

    Self-contained on purpose: the compliance app will own jurisdiction profiles later and can
    take these values over.
    """

    jurisdiction = models.CharField(
        _("jurisdiction"), max_length=2, choices=Jurisdiction.choices, unique=True
    )
    max_installments = models.PositiveSmallIntegerField(
        _("maximum installments"),
        default=60,
        validators=[MinValueValidator(1), MaxValueValidator(360)],
    )
    affordability_share = models.DecimalField(
        _("affordable share of disposable income"),
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.50"),
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("1.00"))],
    )
    missed_installments_to_break = models.PositiveSmallIntegerField(
        _("missed installments that break a plan"), default=2, validators=[MinValueValidator(1)]
    )
    grace_days = models.PositiveSmallIntegerField(
        _("grace days"),
        default=10,
        help_text=_("An installment is missed when still unpaid this many days after it is due."),
    )
    promise_grace_days = models.PositiveSmallIntegerField(
        _("promise grace days"),
        default=0,
        help_text=_("Payments this many days after a promise's date still count towards it."),
    )
    specialist_concession_limit = _money(_("specialist concession limit"))
    supervisor_concession_limit = _money(_("supervisor concession limit"))
    max_payment_holiday_months = models.PositiveSmallIntegerField(
        _("longest payment holiday (months)"),
        default=3,
        validators=[MaxValueValidator(12)],
        help_text=_("How far a reschedule may move the first due date."),
    )
    max_reschedules_per_year = models.PositiveSmallIntegerField(
        _("reschedules per account in 12 months"), default=2
    )
    max_hardship_months = models.PositiveSmallIntegerField(
        _("longest hardship arrangement (months)"),
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["jurisdiction"]
        verbose_name = _("plan policy")
        verbose_name_plural = _("plan policies")

    def __str__(self) -> str:
        return self.get_jurisdiction_display()

    @classmethod
    def for_jurisdiction(cls, jurisdiction: str) -> PlanPolicy:
        """The stored policy, or the defaults (unsaved) when there is none."""
        policy = cls.objects.prefetch_related("minimums").filter(jurisdiction=jurisdiction).first()
        if policy is None:
            policy = cls(jurisdiction=jurisdiction, **DEFAULT_POLICIES.get(jurisdiction, {}))
        return policy

    @cached_property
    def effective_max_installments(self) -> int:
        """The longest plan allowed: this policy's maximum or the jurisdiction profile's
        (``compliance``: CN 60 monthly installments), whichever is smaller. The one definition
        every quote, option, plan and settlement is capped by."""
        profile_max = (
            JurisdictionProfile.objects.filter(code=self.jurisdiction, is_active=True)
            .values_list("max_plan_installments", flat=True)
            .first()
        )
        if profile_max is None:
            return self.max_installments
        return min(self.max_installments, profile_max)

    def min_installment(self, currency: str) -> Decimal:
        if self.pk is None:
            return DEFAULT_MINIMUM_INSTALLMENTS.get(currency, ZERO)
        for minimum in self.minimums.all():
            if minimum.currency == currency:
                return minimum.amount
        return ZERO

    def concession_limit(self, user) -> Decimal | None:
        """The concessions ``user`` may grant alone; None means unlimited (admins)."""
        if user is None or not user.is_authenticated:
            return ZERO
        if user.has_role(Role.ADMIN):  # superusers included
            return None
        if user.has_role(Role.SUPERVISOR):
            return self.supervisor_concession_limit
        if user.has_role(Role.SPECIALIST):
            return self.specialist_concession_limit
        return ZERO

    def settlement_discount_limit(self, user, bucket: str) -> Decimal | None:
        """The share of the balance ``user`` may give up in a settlement of an account in
        ``bucket`` (the role's row for the bucket, else its row for every bucket); None means
        unlimited (admins)."""
        if user is None or not user.is_authenticated:
            return ZERO
        if user.has_role(Role.ADMIN):
            return None
        role = (
            Role.SUPERVISOR
            if user.has_role(Role.SUPERVISOR)
            else Role.SPECIALIST
            if user.has_role(Role.SPECIALIST)
            else None
        )
        if role is None:
            return ZERO
        if self.pk is None:
            table = DEFAULT_SETTLEMENT_AUTHORITY[role]
        else:
            table = {
                row.bucket: row.max_discount_share
                for row in self.settlement_authorities.all()
                if row.role == role
            }
        return table.get(bucket, table.get("", ZERO))


class SettlementAuthority(models.Model):
    """How much of the balance a role may give up in a settlement, by bucket (admin-edited)."""

    policy = models.ForeignKey(
        PlanPolicy, on_delete=models.CASCADE, related_name="settlement_authorities"
    )
    role = models.CharField(
        _("role"),
        max_length=20,
        choices=[(Role.SPECIALIST, _("Specialist")), (Role.SUPERVISOR, _("Supervisor"))],
    )
    bucket = models.CharField(
        _("bucket"),
        max_length=10,
        blank=True,
        help_text=_("A bucket code (M0 … M6); empty: every bucket without its own row."),
    )
    max_discount_share = models.DecimalField(
        _("largest discount (share of the balance)"),
        max_digits=5,
        decimal_places=4,
        validators=[MinValueValidator(ZERO), MaxValueValidator(Decimal("1"))],
        help_text=_("0.2500 = a quarter of the balance may be given up."),
    )

    class Meta:
        ordering = ["policy", "role", "bucket"]
        verbose_name = _("settlement authority")
        verbose_name_plural = _("settlement authorities")
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "role", "bucket"], name="one_settlement_authority_per_bucket"
            )
        ]

    def __str__(self) -> str:
        return f"{self.role} {self.bucket or '*'}: {self.max_discount_share}"


class MinimumInstallment(models.Model):
    policy = models.ForeignKey(PlanPolicy, on_delete=models.CASCADE, related_name="minimums")
    currency = models.CharField(_("currency"), max_length=3, validators=[validate_currency])
    amount = _money(_("minimum installment"))

    class Meta:
        ordering = ["policy", "currency"]
        verbose_name = _("minimum installment")
        verbose_name_plural = _("minimum installments")
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "currency"], name="one_minimum_installment_per_currency"
            )
        ]

    def __str__(self) -> str:
        return f"{self.currency} {self.amount}"


METHOD_CHOICES = [
    (Method.EQUAL_INSTALLMENT.value, _("Equal installments")),
    (Method.EQUAL_PRINCIPAL.value, _("Equal principal")),
    (Method.FLAT_FEE.value, _("Fixed fee per period")),
    (Method.INTEREST_FREE.value, _("Interest free")),
]
FREQUENCY_CHOICES = [
    (Frequency.MONTHLY.value, _("Monthly")),
    (Frequency.BIWEEKLY.value, _("Every two weeks")),
    (Frequency.WEEKLY.value, _("Weekly")),
]
DAY_COUNT_CHOICES = [(d.value, d.value) for d in DayCount]
ROUNDING_CHOICES = [
    (Rounding.HALF_UP.value, _("Half up")),
    (Rounding.HALF_EVEN.value, _("Half even")),
]


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PENDING_APPROVAL = "pending_approval", _("Pending approval")
    ACTIVE = "active", _("Active")
    COMPLETED = "completed", _("Completed")
    BROKEN = "broken", _("Broken")
    CANCELLED = "cancelled", _("Cancelled")
    RESCHEDULED = "rescheduled", _("Rescheduled")


OPEN_PLAN_STATUSES = (PlanStatus.PENDING_APPROVAL, PlanStatus.ACTIVE)


class AcceptanceChannel(models.TextChoices):
    RECORDED_CALL = "recorded_call", _("Recorded phone call")
    E_SIGNATURE = "e_signature", _("Electronic signature")
    IN_BRANCH = "in_branch", _("Signed in branch")
    WRITTEN = "written", _("Signed letter")
    SELF_SERVICE = "self_service", _("Accepted online by the customer")


class Plan(models.Model):
    """An installment plan restructuring what an account owes (PLANS.md, DESIGN.md)."""

    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="plans",
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=PlanStatus.choices,
        default=PlanStatus.DRAFT,
        db_index=True,
    )
    # Terms (plans.schedule.Terms) -------------------------------------------------------------
    currency = models.CharField(_("currency"), max_length=3, validators=[validate_currency])
    method = models.CharField(_("method"), max_length=20, choices=METHOD_CHOICES)
    principal = _money(_("amount restructured"))
    annual_rate = models.DecimalField(
        _("annual rate"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    period_fee_rate = models.DecimalField(
        _("fee rate per period"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    installment_count = models.PositiveSmallIntegerField(_("installments"))
    frequency = models.CharField(_("frequency"), max_length=10, choices=FREQUENCY_CHOICES)
    start_date = models.DateField(_("start date"))
    first_due_date = models.DateField(_("first due date"))
    down_payment = _money(_("down payment"))
    day_count = models.CharField(_("day count"), max_length=12, choices=DAY_COUNT_CHOICES)
    rounding = models.CharField(_("rounding"), max_length=10, choices=ROUNDING_CHOICES)
    # What the engine computed --------------------------------------------------------------
    amount_financed = _money(_("amount financed"))
    total_interest = _money(_("total interest"))
    total_fees = _money(_("total fees"))
    total_payable = _money(_("total payable"))
    apr = models.DecimalField(_("APR"), max_digits=9, decimal_places=4)
    # Concessions ---------------------------------------------------------------------------
    waived_interest = _money(_("waived interest"))
    waived_fees = _money(_("waived fees"))
    principal_reduction = _money(_("principal reduction"))
    concessions_conditional = models.BooleanField(
        _("concessions conditional on completion"),
        default=False,
        help_text=_("Reinstated on the account if the plan breaks or is cancelled while active."),
    )
    concessions_reinstated_at = models.DateTimeField(
        _("concessions reinstated"), null=True, blank=True
    )
    # Rescheduling ----------------------------------------------------------------------------
    replaces = models.OneToOneField(
        "self",
        verbose_name=_("replaces"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replaced_by",
        help_text=_("The plan this one reschedules."),
    )
    payment_holiday_months = models.PositiveSmallIntegerField(
        _("payment holiday (months)"), default=0
    )
    arrears_capitalised = _money(_("arrears capitalised"))
    arrears_waived = _money(
        _("arrears waived"),
        help_text=_("Unpaid interest and fees of the replaced plan given up: a concession."),
    )
    rescheduled_at = models.DateTimeField(_("rescheduled"), null=True, blank=True)
    # Approval ------------------------------------------------------------------------------
    affordable = models.BooleanField(
        _("affordable"),
        null=True,
        blank=True,
        help_text=_(
            "Whether the installment fits the customer's declared budget when submitted;"
            " empty when no income was declared."
        ),
    )
    approval_reason = models.TextField(
        _("why it needs approval"),
        blank=True,
        help_text=_("Recorded when the plan goes to a supervisor."),
    )
    # People and moments --------------------------------------------------------------------
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("proposed by"),
        on_delete=models.PROTECT,
        related_name="plans_proposed",
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="plans_approved",
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted by the customer"), null=True, blank=True)
    acceptance_channel = models.CharField(
        _("accepted how"), max_length=20, choices=AcceptanceChannel.choices, blank=True
    )
    acceptance_reference = models.CharField(
        _("acceptance evidence"),
        max_length=100,
        blank=True,
        help_text=_("Call recording, e-signature envelope or letter reference."),
    )
    acceptance_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acceptance recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    activated_at = models.DateTimeField(_("activated"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    broken_at = models.DateTimeField(_("broken"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    cancel_reason = models.TextField(_("reason for cancelling or rejecting"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("installment plan")
        verbose_name_plural = _("installment plans")
        constraints = [
            # One plan in force (or waiting for approval) per account at a time.
            models.UniqueConstraint(
                fields=["account"],
                condition=Q(status__in=["pending_approval", "active"]),
                name="one_open_plan_per_account",
            ),
            models.CheckConstraint(
                condition=Q(principal__gt=0) & Q(down_payment__lt=F("principal")),
                name="plan_principal_positive",
            ),
            models.CheckConstraint(
                condition=Q(waived_interest__gte=0)
                & Q(waived_fees__gte=0)
                & Q(principal_reduction__gte=0),
                name="plan_concessions_not_negative",
            ),
        ]
        indexes = [models.Index(fields=["account", "status"])]

    def __str__(self) -> str:
        return f"Plan {self.pk} ({self.status})"

    @property
    def concessions_total(self) -> Decimal:
        """What the plan takes off the account's balances when it starts."""
        return self.waived_interest + self.waived_fees + self.principal_reduction

    @property
    def authority_concessions(self) -> Decimal:
        """What the proposer gives up, measured against their authority: the concessions and
        the arrears of a replaced plan waived (which were never on the account's balances)."""
        return self.concessions_total + self.arrears_waived

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_PLAN_STATUSES


class PlanEvent(models.Model):
    """One lifecycle step of a plan: who moved it from which status to which, when, and why."""

    class Action(models.TextChoices):
        CREATED = "created", _("Created")
        ACCEPTED = "accepted", _("Customer accepted")
        SUBMITTED = "submitted", _("Submitted")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        ACTIVATED = "activated", _("Activated")
        COMPLETED = "completed", _("Completed")
        BROKEN = "broken", _("Broken")
        CANCELLED = "cancelled", _("Cancelled")
        RESCHEDULED = "rescheduled", _("Rescheduled")

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    from_status = models.CharField(_("from"), max_length=20, choices=PlanStatus.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=20, choices=PlanStatus.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty when the nightly job acted."),
    )
    at = models.DateTimeField(_("at"))
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["plan_id", "at", "id"]
        verbose_name = _("plan event")
        verbose_name_plural = _("plan events")

    def __str__(self) -> str:
        return f"{self.action}: {self.from_status or '-'} → {self.to_status}"


class InstallmentStatus(models.TextChoices):
    DUE = "due", _("Due")
    PARTIAL = "partial", _("Partly paid")
    PAID = "paid", _("Paid")
    MISSED = "missed", _("Missed")


class Installment(models.Model):
    """One row of a plan's schedule. Number 0 is the down payment, due on the start date."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="installments")
    number = models.PositiveSmallIntegerField(_("number"))
    due_date = models.DateField(_("due date"))
    principal = _money(_("principal"))
    interest = _money(_("interest"))
    fee = _money(_("fee"))
    amount = _money(_("amount"))
    paid_principal = _money(_("principal paid"))
    paid_interest = _money(_("interest paid"))
    paid_fee = _money(_("fee paid"))
    paid_amount = _money(_("paid"))
    status = models.CharField(
        _("status"), max_length=10, choices=InstallmentStatus.choices, default=InstallmentStatus.DUE
    )
    paid_at = models.DateTimeField(_("paid in full"), null=True, blank=True)

    class Meta:
        ordering = ["plan_id", "number"]
        verbose_name = _("installment")
        verbose_name_plural = _("installments")
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="one_installment_per_number"),
            # Allocation never pays a part beyond what it is, nor below zero. (That the parts add
            # up is not a constraint: SQLite would compare the sums as floats.)
            models.CheckConstraint(
                condition=Q(paid_principal__gte=0)
                & Q(paid_interest__gte=0)
                & Q(paid_fee__gte=0)
                & Q(paid_principal__lte=F("principal"))
                & Q(paid_interest__lte=F("interest"))
                & Q(paid_fee__lte=F("fee")),
                name="installment_paid_within_parts",
            ),
        ]
        indexes = [models.Index(fields=["due_date", "status"])]

    def __str__(self) -> str:
        return f"{self.number}: {self.amount} due {self.due_date}"

    @property
    def outstanding(self) -> Decimal:
        return self.amount - self.paid_amount


class Payment(models.Model):
    """Money received for an account. Immutable once posted; its allocations say where it went.

    ``reference`` is the bank's reference and unique across all accounts: posting it again is
    idempotent (same amount) or a conflict (different amount).
    """

    class Source(models.TextChoices):
        API = "api", _("API")
        FILE = "file", _("Payment file")
        PORTAL = "portal", _("Paid online by the customer")
        AGENCY = "agency", _("Reported by a collection agency")

    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="payments",
    )
    reference = models.CharField(_("reference"), max_length=64, unique=True)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    received_at = models.DateTimeField(_("received"))
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    source_detail = models.CharField(
        _("source detail"), max_length=255, blank=True, help_text=_("File name and line.")
    )
    plan = models.ForeignKey(
        Plan,
        verbose_name=_("plan in force"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payments",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("posted by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("posted"), default=timezone.now)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="payment_positive")]
        indexes = [models.Index(fields=["account", "received_at"])]

    def __str__(self) -> str:
        return f"{self.reference}: {self.amount}"


class Allocation(models.Model):
    """Part of a payment applied to one component of an installment, or of the account.

    ``installment`` empty: applied to the account's own balance (no active plan), or kept as
    ``credit`` when nothing was left to pay.
    """

    class Component(models.TextChoices):
        FEE = "fee", _("Fee")
        INTEREST = "interest", _("Interest")
        PRINCIPAL = "principal", _("Principal")
        CREDIT = "credit", _("Credit")

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="allocations")
    installment = models.ForeignKey(
        Installment,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="allocations",
    )
    component = models.CharField(_("component"), max_length=10, choices=Component.choices)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["payment_id", "id"]
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="allocation_positive"),
            models.CheckConstraint(
                condition=~Q(component="credit") | Q(installment__isnull=True),
                name="credit_not_on_installment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.component} {self.amount}"


class PromiseStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    KEPT = "kept", _("Kept")
    PARTIALLY_KEPT = "partially_kept", _("Partially kept")
    BROKEN = "broken", _("Broken")


class PromiseToPay(models.Model):
    """The customer's promise to pay ``amount`` by ``due_date``; resolved from payments."""

    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="promises",
    )
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    due_date = models.DateField(_("promised by"))
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=PromiseStatus.choices,
        default=PromiseStatus.PENDING,
        db_index=True,
    )
    paid_amount = _money(_("paid towards it"))
    contact = models.ForeignKey(
        "contacts.ContactLog",
        db_constraint=False,  # the contact log is partitioned (contacts.models.ContactLog)
        verbose_name=_("made in contact"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="promises",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded"), default=timezone.now)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    self_service = models.BooleanField(_("made online by the customer"), default=False)

    class Meta:
        ordering = ["-due_date", "-id"]
        verbose_name = _("promise to pay")
        verbose_name_plural = _("promises to pay")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="promise_positive"),
            # Payments count towards the one pending promise; two at once would count twice.
            models.UniqueConstraint(
                fields=["account"],
                condition=Q(status="pending"),
                name="one_pending_promise_per_account",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} by {self.due_date} ({self.status})"


class SettlementStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PENDING_APPROVAL = "pending_approval", _("Pending approval")
    OFFERED = "offered", _("Offered")
    ACCEPTED = "accepted", _("Accepted")
    SETTLED = "settled", _("Settled")
    LAPSED = "lapsed", _("Lapsed")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    REJECTED = "rejected", _("Rejected")


OPEN_SETTLEMENT_STATUSES = (
    SettlementStatus.DRAFT,
    SettlementStatus.PENDING_APPROVAL,
    SettlementStatus.OFFERED,
    SettlementStatus.ACCEPTED,
)
#: Payments count towards a settlement in these statuses.
PAYABLE_SETTLEMENT_STATUSES = (SettlementStatus.OFFERED, SettlementStatus.ACCEPTED)


class Settlement(models.Model):
    """An offer to close the account for less than its balance (``plans.settlement``).

    Offered within the proposer's authority, else after a supervisor's approval; the customer
    accepts by paying. Paid in full by the last due date: the rest of the balance (the discount,
    less anything paid beyond the amount) is written off and the account is settled.
    """

    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="settlements",
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=SettlementStatus.choices,
        default=SettlementStatus.PENDING_APPROVAL,
        db_index=True,
    )
    currency = models.CharField(_("currency"), max_length=3, validators=[validate_currency])
    balance = _money(_("balance when offered"))
    amount = _money(_("settlement amount"))
    discount = _money(_("discount"))
    bucket = models.CharField(_("bucket when offered"), max_length=10, blank=True)
    installment_count = models.PositiveSmallIntegerField(
        _("installments"), default=1, help_text=_("1 = a lump sum.")
    )
    first_due_date = models.DateField(_("first due date"))
    expires_on = models.DateField(
        _("offer expires on"), help_text=_("Lapses if not accepted (paid towards) by then.")
    )
    paid_amount = _money(_("paid towards it"))
    written_off = _money(_("written off"))
    affordable = models.BooleanField(_("affordable"), null=True, blank=True)
    approval_reason = models.TextField(_("why it needs approval"), blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("proposed by"),
        on_delete=models.PROTECT,
        related_name="settlements_proposed",
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    decision_note = models.TextField(_("approver's reason"), blank=True)
    offered_at = models.DateTimeField(_("offered"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    settled_at = models.DateTimeField(_("settled"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    end_reason = models.TextField(
        _("why it ended"), blank=True, help_text=_("Why it was rejected, withdrawn or lapsed.")
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("settlement offer")
        verbose_name_plural = _("settlement offers")
        constraints = [
            # Payments count towards one settlement at a time.
            models.UniqueConstraint(
                fields=["account"],
                condition=Q(status__in=["draft", "pending_approval", "offered", "accepted"]),
                name="one_open_settlement_per_account",
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0) & Q(amount__lt=F("balance")),
                name="settlement_amount_below_balance",
            ),
            models.CheckConstraint(
                condition=Q(installment_count__gte=1), name="settlement_installments_positive"
            ),
        ]
        indexes = [models.Index(fields=["status", "expires_on"])]

    def __str__(self) -> str:
        return f"Settlement {self.pk} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_SETTLEMENT_STATUSES


class HardshipKind(models.TextChoices):
    REDUCED_PAYMENT = "reduced_payment", _("Reduced payment")
    INTEREST_FREEZE = "interest_freeze", _("Interest freeze")


class HardshipStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    ENDED = "ended", _("Ended")


class HardshipOutcome(models.TextChoices):
    REVERT = "revert", _("Reverted to the usual terms")
    CONVERT = "convert", _("Converted to a plan")


class HardshipArrangement(models.Model):
    """A hardship programme: for ``months`` the customer is expected to pay a reduced amount,
    or interest is frozen; reviewed on ``review_on``; at its end it reverts or becomes a plan.

    Settle keeps no interest ledger (the bank's core system accrues interest), so a freeze is a
    recorded instruction: the API shows it as ``interest_frozen`` for the core system to stop
    accruing, and nothing in Settle adds interest meanwhile. A reduced payment changes what
    Settle expects: the account's ``minimum_due`` becomes the monthly amount while it runs and
    goes back to what it was (at most the balance) when it ends.
    """

    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="hardship_arrangements",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=HardshipKind.choices)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=HardshipStatus.choices,
        default=HardshipStatus.ACTIVE,
        db_index=True,
    )
    monthly_amount = models.DecimalField(
        _("reduced monthly payment"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=NOT_NEGATIVE,
    )
    months = models.PositiveSmallIntegerField(_("months"))
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    review_on = models.DateField(_("review on"))
    reason = models.TextField(_("reason"))
    minimum_due_before = models.DecimalField(
        _("minimum due before"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Restored (at most the balance) when a reduced payment ends."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("arranged by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("arranged"), default=timezone.now)
    outcome = models.CharField(
        _("outcome"), max_length=10, choices=HardshipOutcome.choices, blank=True
    )
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("ended by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    end_note = models.TextField(_("note at the end"), blank=True)
    plan = models.ForeignKey(
        Plan,
        verbose_name=_("plan drafted at the end"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("hardship arrangement")
        verbose_name_plural = _("hardship arrangements")
        constraints = [
            models.UniqueConstraint(
                fields=["account", "kind"],
                condition=Q(status="active"),
                name="one_active_hardship_of_a_kind_per_account",
            ),
            models.CheckConstraint(
                condition=(Q(kind="reduced_payment") & Q(monthly_amount__gt=0))
                | (Q(kind="interest_freeze") & Q(monthly_amount__isnull=True)),
                name="hardship_amount_for_a_reduced_payment_only",
            ),
            models.CheckConstraint(condition=Q(months__gte=1), name="hardship_months_positive"),
        ]
        indexes = [models.Index(fields=["status", "review_on"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.starts_on}–{self.ends_on} ({self.status})"

    @property
    def interest_frozen(self) -> bool:
        return self.kind == HardshipKind.INTEREST_FREEZE and self.status == HardshipStatus.ACTIVE


# --- Write-off (charge-off) --------------------------------------------------------------------
# Days past due at which an account is charged off, per jurisdiction and product: what the data
# migration stores. US: the FFIEC Uniform Retail Credit Classification and Account Management
# Policy (65 Fed. Reg. 36903, June 12, 2000): open-end credit (cards) at 180 days past due,
# closed-end retail loans (installment, personal, auto) at 120. CN: 180 days past due for every
# product, the bank's default (bucket M6, 180+); which losses may be written off (核销) and how is
# set by 《金融企业呆账核销管理办法》 (财金〔2017〕90号), which the bank's policy applies.
FFIEC_CITATION = (
    "FFIEC Uniform Retail Credit Classification and Account Management Policy, "
    "65 Fed. Reg. 36903 (June 12, 2000)"
)
CN_CITATION = "Bank policy (M6, 180+); 《金融企业呆账核销管理办法》 (财金〔2017〕90号)"
DEFAULT_WRITE_OFF_DAYS: dict[tuple[str, str], int] = {
    (Jurisdiction.US, Product.CREDIT_CARD): 180,
    (Jurisdiction.US, Product.PERSONAL_LOAN): 120,
    (Jurisdiction.US, Product.AUTO_LOAN): 120,
    (Jurisdiction.US, Product.CONSUMER_INSTALLMENT): 120,
    **{(Jurisdiction.CN, product): 180 for product in Product},
}


class WriteOffPolicy(models.Model):
    """When the nightly run charges an account off by policy: at ``days_past_due`` days past due
    (the DPD rule of ``accounts.aging``) for an account of ``product`` whose customer is under
    ``jurisdiction``. Admin-edited; an inactive policy charges off nothing."""

    jurisdiction = models.CharField(_("jurisdiction"), max_length=2, choices=Jurisdiction.choices)
    product = models.CharField(_("product"), max_length=30, choices=Product.choices)
    days_past_due = models.PositiveSmallIntegerField(
        _("charge off at days past due"),
        validators=[MinValueValidator(30), MaxValueValidator(3650)],
        help_text=_(
            "US: the FFIEC Uniform Retail Credit Classification and Account Management Policy "
            "(65 Fed. Reg. 36903, 2000) charges off open-end credit (cards) at 180 days past due "
            "and closed-end loans (installment, personal, auto) at 120. CN: 180, the bank's "
            "policy under 《金融企业呆账核销管理办法》."
        ),
    )
    active = models.BooleanField(_("active"), default=True)
    citation = models.CharField(_("source"), max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["jurisdiction", "product"]
        verbose_name = _("write-off policy")
        verbose_name_plural = _("write-off policies")
        constraints = [
            models.UniqueConstraint(
                fields=["jurisdiction", "product"], name="one_write_off_policy_per_product"
            )
        ]

    def __str__(self) -> str:
        return f"{self.jurisdiction} {self.product}: {self.days_past_due} DPD"

    @classmethod
    def in_force(cls) -> list[WriteOffPolicy]:
        """The active stored policies, and the defaults (unsaved) for each jurisdiction and
        product without a row (a flushed test database, a product added later); an admin
        turns a policy off by deactivating its row, never by deleting it."""
        stored = list(cls.objects.all())
        have = {(p.jurisdiction, p.product) for p in stored}
        defaults = [
            cls(jurisdiction=j, product=p, days_past_due=days)
            for (j, p), days in DEFAULT_WRITE_OFF_DAYS.items()
            if (j, p) not in have
        ]
        return [p for p in stored if p.active] + defaults


class WriteOffKind(models.TextChoices):
    POLICY = "policy", _("By policy (days past due)")
    DECISION = "decision", _("By decision")


class WriteOffStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    APPLIED = "applied", _("Applied")
    REJECTED = "rejected", _("Rejected")


class WriteOff(models.Model):
    """An account charged off (``applied``), or a write-off proposed for a supervisor's decision.

    Charging off is accounting, not forgiveness: the account keeps owing its balances and may
    still be collected (``stop_collecting`` moves it to ``written_off`` instead); the amounts
    here are what the account owed on ``charge_off_date``, the day it was charged off. Payments
    received from that day on are post-write-off recoveries (``dashboards.facts``). See
    ``plans.services.writeoff``.
    """

    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="write_offs",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=WriteOffKind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=WriteOffStatus.choices, db_index=True
    )
    reason = models.TextField(_("reason"))
    stop_collecting = models.BooleanField(
        _("stop collecting"),
        default=False,
        help_text=_("Move the account out of collections (stage written off) when applied."),
    )
    currency = models.CharField(_("currency"), max_length=3, validators=[validate_currency])
    principal = _money(_("principal written off"))
    interest = _money(_("interest written off"))
    fees = _money(_("fees written off"))
    total = _money(_("total written off"))
    days_past_due = models.PositiveIntegerField(_("days past due"), default=0)
    charge_off_date = models.DateField(
        _("charge-off date"), null=True, blank=True, help_text=_("Set when applied.")
    )
    policy = models.ForeignKey(
        WriteOffPolicy,
        verbose_name=_("policy"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("proposed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty: the nightly policy run."),
    )
    proposed_at = models.DateTimeField(_("proposed"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved or rejected by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_note = models.TextField(_("approver's reason"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    # A policy write-off of an account the feed created already past the policy's days: the
    # batch and line are its trail, as for the account itself (no audit entry).
    import_batch, import_row = import_trail_fields()

    class Meta:
        ordering = ["-proposed_at", "-id"]
        verbose_name = _("write-off")
        verbose_name_plural = _("write-offs")
        constraints = [
            # An account is charged off once; a second policy run finds it charged off.
            models.UniqueConstraint(
                fields=["account"],
                condition=Q(status="applied"),
                name="one_applied_write_off_per_account",
            ),
            models.UniqueConstraint(
                fields=["account"],
                condition=Q(status="proposed"),
                name="one_proposed_write_off_per_account",
            ),
            models.CheckConstraint(
                condition=Q(total=F("principal") + F("interest") + F("fees")),
                name="write_off_total_is_its_parts",
            ),
            models.CheckConstraint(
                condition=~Q(status="applied") | Q(charge_off_date__isnull=False),
                name="applied_write_off_has_a_date",
            ),
        ]
        indexes = [models.Index(fields=["charge_off_date", "status"])]

    def __str__(self) -> str:
        return f"Write-off {self.pk} ({self.status})"
