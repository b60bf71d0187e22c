"""Customers, accounts, teams, buckets and the bucket history.

Days past due and the bucket are *derived* from ``Account.delinquent_since`` and the business
date (see ``accounts.delinquency``); nothing rewrites them nightly. Only a bucket *move* is
stored, as a ``BucketHistory`` row, so roll and cure rates come from history.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Right
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts import aging, masking
from accounts.validators import validate_currency, validate_time_zone
from core.business_calendar import business_date
from core.phones import phone_time_zones, zones_text
from core.querysets import AppendOnlyQuerySet

NOT_NEGATIVE = [MinValueValidator(Decimal("0"))]


class Jurisdiction(models.TextChoices):
    US = "US", _("United States")
    CN = "CN", _("China")


class Language(models.TextChoices):
    EN = "en", _("English")
    ZH_HANS = "zh-hans", _("Simplified Chinese")


class Role(models.TextChoices):
    """Django groups of the same names carry the permissions."""

    SPECIALIST = "specialist", _("Specialist")
    SUPERVISOR = "supervisor", _("Supervisor")
    ADMIN = "admin", _("Admin")


class Team(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    jurisdiction = models.CharField(
        _("jurisdiction"), max_length=2, choices=Jurisdiction.choices, default=Jurisdiction.US
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A Settle user. ``team`` scopes what a specialist or supervisor may see."""

    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        permissions = [("reveal_personal_data", "Can reveal masked personal data")]

    def has_role(self, *roles: str) -> bool:
        if self.is_superuser:
            return True
        names = getattr(self, "_role_names", None)
        if names is None:
            names = set(self.groups.values_list("name", flat=True))
            self._role_names = names
        return bool(names.intersection(roles))

    @property
    def role(self) -> str | None:
        for role in (Role.ADMIN, Role.SUPERVISOR, Role.SPECIALIST):
            if self.has_role(role):
                return role.value
        return None

    @property
    def sees_all_teams(self) -> bool:
        """Admins, and supervisors without a team (heads of collections), see every team."""
        return self.has_role(Role.ADMIN) or (self.has_role(Role.SUPERVISOR) and not self.team_id)


class BucketRangeQuerySet(models.QuerySet):
    def configured(self) -> tuple[aging.Bucket, ...]:
        """The buckets in the admin, or the defaults when none are set; validated."""
        rows = tuple(aging.Bucket(r.code, r.label, r.min_days, r.max_days) for r in self.all())
        buckets = rows or aging.DEFAULT_BUCKETS
        aging.validate_buckets(buckets)
        return buckets


class BucketRange(models.Model):
    """A configurable delinquency bucket: ``min_days``..``max_days`` days past due inclusive."""

    code = models.CharField(_("code"), max_length=10, unique=True)
    label = models.CharField(_("label"), max_length=40)
    min_days = models.PositiveIntegerField(_("from day"), unique=True)
    max_days = models.PositiveIntegerField(
        _("to day"), null=True, blank=True, help_text=_("Empty for the open-ended last bucket.")
    )

    objects = BucketRangeQuerySet.as_manager()

    class Meta:
        ordering = ["min_days"]
        verbose_name = _("bucket range")
        verbose_name_plural = _("bucket ranges")

    def __str__(self) -> str:
        return f"{self.code} ({self.label})"

    def clean(self) -> None:
        if self.max_days is not None and self.max_days < self.min_days:
            raise ValidationError({"max_days": _("Must not be below the first day.")})


def import_trail_fields() -> tuple[models.ForeignKey, models.PositiveIntegerField]:
    """``import_batch`` and ``import_row``: the account feed's record of what it created.

    A record the feed creates gets no audit entry of its own (a million-row feed would write a
    million of them); instead it carries the batch that created it and the file's line, and the
    batch row says who ran it, when, and the file's SHA-256 — the audit record of everything it
    created. Changes to existing records are still audited entry by entry.

    Two nullable columns on the created row are the cheapest trail that stays exact: the values
    are written by the same ``INSERT`` (no second table, no second index), and a NULL costs a
    bit in the row header for records made any other way. No foreign-key constraint and no
    index: a deferred constraint would check every imported row at commit (about 5 µs each),
    and an ``ImportBatch`` is never deleted (its admin is read-only; it is written and committed
    before the rows that point to it); "what did batch N create" is an auditor's rare scan.
    """
    batch = models.ForeignKey(
        "accounts.ImportBatch",
        verbose_name=_("created by import batch"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    row = models.PositiveIntegerField(
        _("line in the import file"), null=True, blank=True, editable=False
    )
    return batch, row


class CustomerQuerySet(models.QuerySet):
    def visible_to(self, user) -> CustomerQuerySet:
        """Customers with an account ``user`` may see: their team's, or all for admins/heads."""
        if user is None or not user.is_authenticated or user.role is None:
            return self.none()
        if user.sees_all_teams:
            return self
        if user.team_id is None:
            return self.none()
        return self.filter(
            Exists(Account.objects.filter(customer=OuterRef("pk"), team_id=user.team_id))
        )

    def linkable_by(self, user) -> CustomerQuerySet:
        """Customers ``user`` may open an account for: those they see, and new customers with no
        account yet (created just before their first account; no team owns them)."""
        if user is None or not user.is_authenticated or user.role is None:
            return self.none()
        if user.sees_all_teams:
            return self
        if user.team_id is None:
            return self.none()
        accounts = Account.objects.filter(customer=OuterRef("pk"))
        return self.filter(Exists(accounts.filter(team_id=user.team_id)) | ~Exists(accounts))


class Customer(models.Model):
    external_ref = models.CharField(_("external reference"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    national_id = models.CharField(_("national ID"), max_length=40, blank=True)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    address_line = models.CharField(_("address"), max_length=250, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    region = models.CharField(_("region"), max_length=100, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, validators=[validate_time_zone])
    jurisdiction = models.CharField(_("jurisdiction"), max_length=2, choices=Jurisdiction.choices)
    language = models.CharField(
        _("language"), max_length=10, choices=Language.choices, default=Language.EN
    )
    monthly_income = models.DecimalField(
        _("declared monthly income"),
        max_digits=14,
        decimal_places=2,
        validators=NOT_NEGATIVE,
        null=True,
        blank=True,
    )
    monthly_expenses = models.DecimalField(
        _("declared monthly expenses"),
        max_digits=14,
        decimal_places=2,
        validators=NOT_NEGATIVE,
        null=True,
        blank=True,
    )
    import_batch, import_row = import_trail_fields()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CustomerQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        indexes = [models.Index(fields=["name"])]

    def __str__(self) -> str:
        return self.name

    @property
    def masked_national_id(self) -> str:
        return masking.mask_identifier(self.national_id)

    @property
    def disposable_income(self) -> Decimal | None:
        if self.monthly_income is None or self.monthly_expenses is None:
            return None
        return self.monthly_income - self.monthly_expenses


class Stage(models.TextChoices):
    EARLY = "early", _("Early")
    LATE = "late", _("Late")
    ON_PLAN = "on_plan", _("On plan")
    LEGAL = "legal", _("Legal")
    PLACED = "placed", _("Placed with agency")
    SETTLED = "settled", _("Settled")
    PAID = "paid", _("Paid off")
    WRITTEN_OFF = "written_off", _("Written off")
    CLOSED = "closed", _("Closed")


OPEN_STAGES = (Stage.EARLY, Stage.LATE, Stage.ON_PLAN, Stage.LEGAL, Stage.PLACED)
#: Stages an account leaves the queue for; its bucket stay ends with an exit to the stage.
CLOSED_STAGES = tuple(stage for stage in Stage if stage not in OPEN_STAGES)
#: Closed by paying: these count as cured in the roll-rate matrix.
PAID_STAGES = (Stage.PAID, Stage.SETTLED)
#: The stages Settle's own strategies work: a plan's account gets the plan's own reminders, an
#: account in legal is worked by the legal case and one placed by the agency.
COLLECTION_STAGES = (Stage.EARLY, Stage.LATE)
#: In collections, by anyone: Settle's strategies, the legal case or an agency (what may be
#: written off).
IN_COLLECTIONS = (Stage.EARLY, Stage.LATE, Stage.LEGAL, Stage.PLACED)
#: The stages of the specialists' work queue: legal and placed accounts leave it.
QUEUE_STAGES = (Stage.EARLY, Stage.LATE, Stage.ON_PLAN)


class RiskTier(models.TextChoices):
    GOOD = "good", _("Good")
    GENERAL = "general", _("General")
    HIGH = "high", _("High risk")


class Product(models.TextChoices):
    CREDIT_CARD = "credit_card", _("Credit card")
    PERSONAL_LOAN = "personal_loan", _("Personal loan")
    AUTO_LOAN = "auto_loan", _("Auto loan")
    CONSUMER_INSTALLMENT = "consumer_installment", _("Consumer installment")


class AccountQuerySet(models.QuerySet):
    def open(self) -> AccountQuerySet:
        return self.filter(stage__in=OPEN_STAGES)

    def visible_to(self, user) -> AccountQuerySet:
        """The accounts ``user`` may see: their team's, or all for admins/heads."""
        if not user.is_authenticated or user.role is None:
            return self.none()
        if user.sees_all_teams:
            return self
        return self.filter(team_id=user.team_id)

    def search(self, q: str) -> AccountQuerySet:
        """The one account search of the pages, the dashboards and the API.

        The customer's name matches anywhere, the external reference exactly, the account number
        only in full or as exactly the masked tail everyone already sees (``masking.VISIBLE``
        characters). Any other part of a number matches nothing, so a search can't be used to
        recover a number a digit at a time.

        One union of one query per way of matching, each served by its own index (the name by
        a trigram index on PostgreSQL, migration 0008; the number's tail by a B-tree), then
        the caller's scope: the cost follows the matches, not the scope's size.
        """
        q = q.strip()
        if not q:
            return self
        everyone = Account.objects.order_by().values_list("pk", flat=True)
        ways = [
            everyone.filter(customer__name__icontains=q),
            everyone.filter(customer__external_ref=q),
            everyone.filter(number=q),
        ]
        if len(q) == masking.VISIBLE:  # ends with q: the indexed tail (account_number_tail_idx)
            tail = Account.objects.order_by().alias(tail=Right("number", masking.VISIBLE))
            ways.append(tail.filter(tail=q).values_list("pk", flat=True))
        return self.filter(pk__in=ways[0].union(*ways[1:]))

    def with_delinquency(
        self, as_of: date | None = None, buckets: tuple[aging.Bucket, ...] | None = None
    ) -> AccountQuerySet:
        """Annotate ``dpd`` (int) and ``bucket_code`` for ``as_of`` (default: the business date)."""
        as_of = as_of or business_date()
        buckets = buckets or BucketRange.objects.configured()
        return self.annotate(
            dpd=aging.dpd_expression(as_of), bucket_code=aging.bucket_case(as_of, buckets)
        )


class Account(models.Model):
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="accounts"
    )
    number = models.CharField(_("account number"), max_length=34, unique=True)
    product = models.CharField(
        _("product"), max_length=30, choices=Product.choices, default=Product.CREDIT_CARD
    )
    currency = models.CharField(_("currency"), max_length=3, validators=[validate_currency])
    credit_limit = models.DecimalField(
        _("credit limit"),
        max_digits=14,
        decimal_places=2,
        validators=NOT_NEGATIVE,
        null=True,
        blank=True,
    )
    principal_balance = models.DecimalField(
        _("principal"),
        max_digits=14,
        decimal_places=2,
        validators=NOT_NEGATIVE,
        default=Decimal("0"),
    )
    interest_balance = models.DecimalField(
        _("interest"),
        max_digits=14,
        decimal_places=2,
        validators=NOT_NEGATIVE,
        default=Decimal("0"),
    )
    fee_balance = models.DecimalField(
        _("fees"), max_digits=14, decimal_places=2, validators=NOT_NEGATIVE, default=Decimal("0")
    )
    past_due_amount = models.DecimalField(
        _("past due"),
        max_digits=14,
        decimal_places=2,
        validators=NOT_NEGATIVE,
        default=Decimal("0"),
    )
    minimum_due = models.DecimalField(
        _("minimum due"),
        max_digits=14,
        decimal_places=2,
        validators=NOT_NEGATIVE,
        default=Decimal("0"),
    )
    delinquent_since = models.DateField(
        _("delinquent since"),
        null=True,
        blank=True,
        db_index=True,
        help_text=_("Due date of the oldest unpaid amount; empty when current."),
    )
    original_delinquent_since = models.DateField(
        _("originally delinquent since"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("What delinquent since was before the account was first re-aged."),
    )
    last_payment_date = models.DateField(_("last payment date"), null=True, blank=True)
    last_payment_amount = models.DecimalField(
        _("last payment amount"),
        max_digits=14,
        decimal_places=2,
        validators=NOT_NEGATIVE,
        null=True,
        blank=True,
    )
    charge_off_date = models.DateField(_("charge-off date"), null=True, blank=True)
    statute_of_limitations_date = models.DateField(
        _("statute of limitations date"), null=True, blank=True
    )
    # stage, team and the specialist are indexed together (Meta.indexes), not one by one: each
    # index more is one more insert on every rewrite of an account row the nightly run makes.
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices, default=Stage.EARLY)
    hardship_declared_at = models.DateTimeField(_("hardship declared"), null=True, blank=True)
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        on_delete=models.PROTECT,
        related_name="accounts",
        db_index=False,  # (team, stage) serves it
    )
    assigned_to = models.ForeignKey(
        User,
        verbose_name=_("specialist"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_accounts",
        db_index=False,  # (assigned_to, stage) serves it
    )
    risk_tier = models.CharField(
        _("risk tier"), max_length=10, choices=RiskTier.choices, default=RiskTier.GENERAL
    )
    risk_score = models.PositiveSmallIntegerField(_("risk score"), default=0)
    risk_factors = models.JSONField(_("risk factors"), default=list, blank=True)
    risk_scored_at = models.DateTimeField(_("risk scored"), null=True, blank=True)
    # Work-first order of the queue (higher first), refreshed set-based by workspace.nightly.
    queue_priority = models.IntegerField(_("queue priority"), default=0, db_default=0)
    # Likelihood of a payment within 30 days, per mille (0–1000), and the model inputs it was
    # computed from (workspace.propensity); empty while no model is active (the tier decides).
    propensity = models.PositiveSmallIntegerField(_("propensity to pay"), null=True, blank=True)
    propensity_inputs = models.JSONField(_("propensity inputs"), null=True, blank=True)
    import_batch, import_row = import_trail_fields()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AccountQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        indexes = [
            models.Index(fields=["team", "stage"]),
            models.Index(fields=["assigned_to", "stage"]),
            # The work queue in its order (workspace.queue.REST_ORDER), open accounts only: a
            # specialist's (within their team), a team's. The first page is read
            # off the index, and the scope's count is an index-only scan: ``stage`` is carried
            # in the index, as the queue counts only some of the open stages (without it, the
            # count of a specialist's 60,000 accounts read 55,000 heap pages: 275 ms).
            models.Index(
                fields=["assigned_to", "team", "-queue_priority", "delinquent_since", "id"],
                condition=Q(stage__in=OPEN_STAGES),
                include=["stage"],
                name="account_assignee_queue_idx",
            ),
            models.Index(
                fields=["team", "-queue_priority", "delinquent_since", "id"],
                condition=Q(stage__in=OPEN_STAGES),
                include=["stage"],
                name="account_team_queue_idx",
            ),
            # The masked tail a search may match (``search``): a B-tree on the last digits.
            models.Index(Right("number", masking.VISIBLE), name="account_number_tail_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(principal_balance__gte=0)
                & Q(interest_balance__gte=0)
                & Q(fee_balance__gte=0)
                & Q(past_due_amount__gte=0)
                & Q(minimum_due__gte=0),
                name="account_amounts_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.masked_number

    @property
    def masked_number(self) -> str:
        return masking.mask_identifier(self.number)

    @property
    def total_balance(self) -> Decimal:
        return self.principal_balance + self.interest_balance + self.fee_balance

    def days_past_due(self, as_of: date | None = None) -> int:
        return aging.days_past_due(self.delinquent_since, as_of or business_date())

    def bucket(self, as_of: date | None = None) -> aging.Bucket:
        return aging.bucket_for(self.days_past_due(as_of), BucketRange.objects.configured())


class BucketHistory(models.Model):
    """One row per stay in a bucket: entered (date, balance) and exited (date, balance)."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="bucket_history")
    bucket = models.CharField(_("bucket"), max_length=10)
    entered_on = models.DateField(_("entered"))
    entry_balance = models.DecimalField(_("balance on entry"), max_digits=14, decimal_places=2)
    entry_days_past_due = models.PositiveIntegerField(_("DPD on entry"), default=0)
    exited_on = models.DateField(_("exited"), null=True, blank=True)
    exit_balance = models.DecimalField(
        _("balance on exit"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    exited_to = models.CharField(
        _("moved to"), max_length=20, blank=True, help_text=_("A bucket, or the stage it left to.")
    )

    class Meta:
        ordering = ["account_id", "entered_on", "id"]
        verbose_name = _("bucket history")
        verbose_name_plural = _("bucket history")
        constraints = [
            models.UniqueConstraint(
                fields=["account"],
                condition=Q(exited_on__isnull=True),
                name="one_open_bucket_stay_per_account",
            ),
        ]
        indexes = [
            models.Index(fields=["entered_on", "bucket"]),
            models.Index(fields=["exited_on", "bucket"]),
        ]

    def __str__(self) -> str:
        return f"{self.bucket} {self.entered_on}–{self.exited_on or ''}"


class ReAgeQuerySet(AppendOnlyQuerySet):
    refusal = "Re-ages are history and are never changed; the next re-age supersedes one."


class ReAge(models.Model):
    """One change of an account's ``delinquent_since`` made by Settle rather than the feed: a
    plan activated, a plan installment missed or paid, a plan ended, the balance paid off.

    Append-only: the account's re-age history, shown on its timeline. ``plan_id`` is kept as a
    number because plans live on a floor above accounts.
    """

    class Reason(models.TextChoices):
        PLAN_ACTIVATED = "plan_activated", _("Plan activated")
        PLAN_INSTALLMENT_MISSED = "plan_installment_missed", _("Plan installment missed")
        PLAN_CURRENT = "plan_current", _("Plan brought up to date")
        PLAN_PAYMENT = "plan_payment", _("Payment on the plan")
        PLAN_ENDED = "plan_ended", _("Plan ended unfinished")
        PAID_OFF = "paid_off", _("Paid off")
        SETTLED = "settled", _("Settled")

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="re_ages")
    at = models.DateTimeField(_("at"), db_index=True)
    reason = models.CharField(_("reason"), max_length=30, choices=Reason.choices)
    previous_delinquent_since = models.DateField(_("delinquent since before"), null=True)
    delinquent_since = models.DateField(_("delinquent since after"), null=True)
    plan_id = models.PositiveIntegerField(_("plan"), null=True, blank=True)
    by = models.ForeignKey(
        User,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.CharField(_("note"), max_length=255, blank=True)

    objects = ReAgeQuerySet.as_manager()

    class Meta:
        ordering = ["account_id", "at", "id"]
        verbose_name = _("re-age")
        verbose_name_plural = _("re-ages")

    def __str__(self) -> str:
        return f"{self.reason}: {self.previous_delinquent_since} → {self.delinquent_since}"


class PersonalDataReveal(models.Model):
    """Audit of every unmasking of personal data (PIPL art. 28; bank policy)."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="reveals")
    revealed_at = models.DateTimeField(auto_now_add=True, db_index=True)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="reveals")
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.PROTECT, related_name="reveals"
    )
    fields = models.JSONField(default=list)
    channel = models.CharField(max_length=10, default="web")  # web, api, admin
    remote_addr = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-revealed_at"]
        verbose_name = _("personal data reveal")
        verbose_name_plural = _("personal data reveals")

    def __str__(self) -> str:
        return f"{self.user} revealed {', '.join(self.fields)} of {self.customer_id}"


class ImportBatch(models.Model):
    """One run of ``import_accounts``; what it did, so a feed is traceable."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        REJECTED = "rejected", _("Rejected")
        APPLIED = "applied", _("Applied")

    file_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    # Who ran it: the user named by the caller, else the operating-system login and host of
    # the command (``feeds.account_import.entry``).
    started_by = models.CharField(max_length=150, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    rows = models.PositiveIntegerField(default=0)
    customers_created = models.PositiveIntegerField(default=0)
    customers_updated = models.PositiveIntegerField(default=0)
    accounts_created = models.PositiveIntegerField(default=0)
    accounts_updated = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("import batch")
        verbose_name_plural = _("import batches")

    def __str__(self) -> str:
        return f"{self.file_name} ({self.status})"


# "Contactable": the customer has a phone or an email that is valid and not opted out. One
# rule in three forms, tested together: the queryset, the SQL condition and the property.
CONTACTABLE_KINDS = ("phone", "email")


class ContactPointQuerySet(models.QuerySet):
    def contactable(self) -> ContactPointQuerySet:
        return self.filter(kind__in=CONTACTABLE_KINDS, is_valid=True, opted_out=False)


def contactable_sql(alias: str) -> str:
    """The contactable rule as a SQL condition on the contact point aliased ``alias``."""
    kinds = ", ".join(f"'{kind}'" for kind in CONTACTABLE_KINDS)
    return f"{alias}.kind IN ({kinds}) AND {alias}.is_valid AND NOT {alias}.opted_out"


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
    # What the number's range says (``core.phones``), resolved when the point is stored, so a
    # send does not parse the number again. NULL: not resolved yet (a bulk load leaves it to
    # ``accounts.services.phone_zones_resolve``); the checks then look it up themselves.
    phone_time_zones = models.TextField(  # noqa: DJ001 - NULL (unresolved) differs from "" (none)
        _("time zones of the number"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("From the phone number's range; filled in when the number is stored."),
    )
    is_primary = models.BooleanField(_("primary"), default=False)
    opted_out = models.BooleanField(_("opted out"), default=False)
    opted_out_at = models.DateTimeField(_("opted out at"), null=True, blank=True)
    is_valid = models.BooleanField(_("valid"), default=True)
    invalid_reason = models.CharField(_("why invalid"), max_length=100, blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    import_batch, import_row = import_trail_fields()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ContactPointQuerySet.as_manager()

    class Meta:
        db_table = "contacts_contactpoint"  # its table from before it moved here
        ordering = ["customer_id", "kind", "-is_primary", "id"]
        verbose_name = _("contact point")
        verbose_name_plural = _("contact points")
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "kind", "value"], name="unique_contact_point_per_customer"
            )
        ]
        indexes = [
            models.Index(fields=["kind", "value"]),
            # What ``phone_zones_resolve`` has left to do: empty once a bulk load is resolved.
            models.Index(
                fields=["id"],
                condition=Q(kind="phone", phone_time_zones__isnull=True),
                name="contactpoint_zones_unresolved",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.masked_value}"

    def save(self, *args, **kwargs) -> None:
        # Stored zones follow the number: set here, so every saving path keeps them right.
        self.phone_time_zones = self.zones_of(self.kind, self.value)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"value", "kind"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "phone_time_zones"}
        super().save(*args, **kwargs)

    @classmethod
    def zones_of(cls, kind: str, value: str) -> str | None:
        """``phone_time_zones`` for a point of ``kind`` with ``value`` (None for non-phones);
        bulk writers that skip ``save`` set it with this."""
        return zones_text(phone_time_zones(value)) if kind == cls.Kind.PHONE else None

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

    @property
    def contactable(self) -> bool:
        return self.kind in CONTACTABLE_KINDS and self.usable


class PropensityModel(models.Model):
    """One training of the propensity-to-pay model (``workspace.propensity``): a logistic
    regression on standardised features, stored as plain numbers (model parameters, not money).

    At most one is ``active``: the nightly run scores open accounts with it. A training with too
    little history is kept as a record (``too_little_history``) and leaves the active one alone.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        RETIRED = "retired", _("Replaced by a newer model")
        TOO_LITTLE_HISTORY = "too_little_history", _("Too little history")

    version = models.PositiveIntegerField(_("version"), unique=True)
    trained_at = models.DateTimeField(_("trained"))
    as_of = models.DateField(_("business date"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    features = models.JSONField(_("features"), default=list)
    coefficients = models.JSONField(_("coefficients"), default=list)
    intercept = models.FloatField(_("intercept"), default=0.0)
    means = models.JSONField(_("feature means"), default=list)
    scales = models.JSONField(_("feature scales"), default=list)
    train_samples = models.PositiveIntegerField(_("training samples"), default=0)
    train_positives = models.PositiveIntegerField(_("training positives"), default=0)
    holdout_samples = models.PositiveIntegerField(_("held-out samples"), default=0)
    holdout_positives = models.PositiveIntegerField(_("held-out positives"), default=0)
    holdout_month = models.DateField(_("held-out month"), null=True, blank=True)
    auc = models.FloatField(_("held-out AUC"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["-version"]
        verbose_name = _("propensity model")
        verbose_name_plural = _("propensity models")
        constraints = [
            models.UniqueConstraint(
                fields=["status"], condition=Q(status="active"), name="one_active_propensity_model"
            )
        ]

    def __str__(self) -> str:
        return f"v{self.version} {self.get_status_display()}"


class NightlyMark(models.Model):
    """Where a nightly step's change detection starts next time (PostgreSQL).

    A step that looks only at what changed (``accounts.changes``) stores, when it has finished
    for ``as_of``, PostgreSQL's snapshot from when it started (``pg_current_snapshot()``): a row
    written since by any path, ORM, raw SQL or a feed, carries a transaction that snapshot does
    not see, so the next run finds it without reading the inputs of every account.
    """

    step = models.CharField(_("step"), max_length=40, unique=True)
    as_of = models.DateField(_("business date"))
    snapshot = models.TextField(_("snapshot at the start"))
    own_transactions = models.JSONField(
        _("its own transactions"),
        default=list,
        help_text=_("The step's own writes, which the next run need not look at again."),
    )
    full = models.BooleanField(_("looked at every account"), default=False)
    rules = models.CharField(
        _("rules fingerprint"),
        max_length=64,
        help_text=_("A hash of the step's rules: when they change, the next run looks at all."),
    )
    finished_at = models.DateTimeField(_("finished"))

    class Meta:
        verbose_name = _("nightly step mark")
        verbose_name_plural = _("nightly step marks")

    def __str__(self) -> str:
        return f"{self.step} {self.as_of}"
