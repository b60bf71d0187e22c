"""The records of contact: the append-only contact log, message templates, disputes,
complaints, callbacks, reminders and strategies. (Contact points live in ``accounts``.)"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import ContactPoint, Customer  # noqa: F401  (ContactPoint: re-exported)
from core.business_calendar import start_of_business_day
from core.querysets import AppendOnlyQuerySet


class ContactLogQuerySet(AppendOnlyQuerySet):
    def attachment_fill(self, pk: int, name: str) -> int:
        """The one change a logged entry takes: its evidence file, while it has none (a call's
        recording often arrives after the call is logged). Set once, never replaced or
        removed; 1 if filled, 0 if the entry already had one (``contacts.services``)."""
        return models.QuerySet.update(self.filter(pk=pk, attachment=""), attachment=name)


class ContactLog(models.Model):
    """One attempt or conversation. Append-only: a correction is a new row pointing back; the
    only later write is an evidence file added to an entry that has none.

    Once its retention period has passed on a closed account, the free text and the evidence
    file are cleared (``redacted_at`` says when; ``compliance.retention``): the row stays.

    On PostgreSQL the table is partitioned by month of ``occurred_at`` (``core.partitions``;
    primary key ``(id, occurred_at)``), so a foreign key to it (or to the decisions, partitioned
    the same way) cannot be a database constraint: every one is declared
    ``db_constraint=False``. Integrity still holds because these rows are never deleted one by
    one (``AppendOnlyQuerySet``); the only removal is a whole month's partition past its
    retention period, and ``compliance.retention_partitions`` drops one only when no row outside
    it refers to any of its rows.
    """

    #: What retention may clear (``AppendOnlyQuerySet.redact``).
    REDACTABLE = ("message", "notes", "attachment")

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

    # Indexes (every reminder sent writes an entry, so each one costs): ``account`` and
    # ``customer`` are served by the (…, occurred_at) indexes; nothing looks entries up by
    # contact point or decision, and neither is ever deleted; ``user`` and ``corrects`` are
    # empty for system entries, so only set values are indexed.
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.PROTECT, related_name="contacts", db_index=False
    )
    # The debtor, kept on the row: frequency caps count per person across their debts.
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="contacts", db_index=False
    )
    contact_point = models.ForeignKey(
        ContactPoint,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contacts",
        db_index=False,
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
    attachment = models.FileField(
        _("recording or evidence"),
        upload_to="contact-evidence/%Y/%m/",
        blank=True,
        help_text=_("Call recording, letter scan or screenshot kept as evidence."),
    )
    user = models.ForeignKey(
        "accounts.User",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contacts",
        help_text=_("Empty when the system made the contact."),
        db_index=False,
    )
    source = models.CharField(
        _("source"), max_length=12, choices=Source.choices, default=Source.SPECIALIST
    )
    corrects = models.ForeignKey(
        "self",
        db_constraint=False,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="corrections",
        db_index=False,
    )
    consent_to_call_until = models.DateTimeField(
        _("consent to call until"),
        null=True,
        blank=True,
        help_text=_("The customer asked to be called back until then (1006.14(b)(3))."),
    )
    decision = models.ForeignKey(
        "compliance.ComplianceDecision",
        db_constraint=False,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The compliance decision this outbound contact passed."),
        db_index=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    redacted_at = models.DateTimeField(
        _("content removed"),
        null=True,
        blank=True,
        help_text=_("When the retention policy removed the text and the evidence file."),
    )

    objects = ContactLogQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("contact log entry")
        verbose_name_plural = _("contact log")
        indexes = [
            models.Index(fields=["account", "occurred_at"]),
            models.Index(fields=["customer", "occurred_at"]),
            models.Index(
                fields=["user"], condition=models.Q(user__isnull=False), name="contactlog_user"
            ),
            models.Index(
                fields=["corrects"],
                condition=models.Q(corrects__isnull=False),
                name="contactlog_corrects",
            ),
            # The customers' own messages (an SMS or email reply): the queue's "customer
            # replied" starts from these few rows; outbound entries never enter it.
            models.Index(
                fields=["account", "occurred_at"],
                condition=models.Q(direction="inbound", channel__in=["sms", "email"]),
                name="contactlog_replies",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.occurred_at:%Y-%m-%d %H:%M} {self.outcome}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise PermissionError("The contact log is append-only; log a correction instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("The contact log is append-only; log a correction instead.")


class MessageTemplate(models.Model):
    """An SMS, email or letter text by channel, language and tone (the risk tier it suits).

    Saved only through the service that checks it with compliance first (wording, disclosures,
    opt-out; ``outreach.services.message_template_save``, used by the admin and the seeding): a
    failing template is not saved, and ``compliance.services.template_check`` is run again
    before any use. The model itself calls no service.
    """

    class Channel(models.TextChoices):
        SMS = "sms", _("SMS")
        EMAIL = "email", _("Email")
        LETTER = "letter", _("Letter")

    class Stage(models.TextChoices):
        FIRST_CONTACT = "first_contact", _("First contact")
        SUBSEQUENT = "subsequent", _("Later contacts")

    code = models.SlugField(_("code"), max_length=60)
    name = models.CharField(_("name"), max_length=120)
    jurisdiction = models.CharField(
        _("jurisdiction"), max_length=2, choices=[("US", _("United States")), ("CN", _("China"))]
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=[("en", _("English")), ("zh-hans", _("Simplified Chinese"))],
    )
    tone = models.CharField(
        _("tone (risk tier)"),
        max_length=10,
        choices=[("good", _("Good")), ("general", _("General")), ("high", _("High risk"))],
    )
    stage = models.CharField(
        _("use for"), max_length=20, choices=Stage.choices, default=Stage.SUBSEQUENT
    )
    subject = models.CharField(_("subject (email)"), max_length=200, blank=True)
    body = models.TextField(
        _("text"),
        help_text=_("Placeholders: {name}, {amount}, {currency}, {due_date}, {account_last4}."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    checked_at = models.DateTimeField(_("last checked"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["jurisdiction", "channel", "language", "tone", "code"]
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        constraints = [
            models.UniqueConstraint(
                fields=["code", "channel", "language", "tone"], name="unique_template_variant"
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.channel}, {self.language}, {self.tone})"


class CaseStatus(models.TextChoices):
    """Shared lifecycle of disputes and complaints: open → under review → resolved | rejected."""

    OPEN = "open", _("Open")
    UNDER_REVIEW = "under_review", _("Under review")
    RESOLVED = "resolved", _("Resolved")
    REJECTED = "rejected", _("Rejected")


CLOSED_CASE_STATUSES = (CaseStatus.RESOLVED, CaseStatus.REJECTED)


class CaseRecord(models.Model):
    """Fields common to disputes and complaints (abstract)."""

    account = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    contact = models.ForeignKey(
        ContactLog,
        db_constraint=False,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The contact in which it was raised, if any."),
    )
    description = models.TextField(_("description"))
    status = models.CharField(
        _("status"), max_length=20, choices=CaseStatus.choices, default=CaseStatus.OPEN
    )
    owner = models.ForeignKey(
        "accounts.User",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("owner"),
    )
    opened_at = models.DateTimeField(_("opened"))
    opened_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    due_date = models.DateField(_("due"))
    resolved_at = models.DateTimeField(_("closed"), null=True, blank=True)
    resolution = models.TextField(_("resolution"), blank=True)

    class Meta:
        abstract = True
        ordering = ["-opened_at"]

    @property
    def is_open(self) -> bool:
        return self.status not in CLOSED_CASE_STATUSES


class Dispute(CaseRecord):
    """The customer disputes the debt (or part of it); collection pauses until answered."""

    class Kind(models.TextChoices):
        NOT_MINE = "not_mine", _("Not my debt")
        AMOUNT = "amount", _("Wrong amount")
        PAID = "paid", _("Already paid")
        FRAUD = "fraud", _("Fraud / identity theft")
        OTHER = "other", _("Other")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.OTHER)
    restriction = models.ForeignKey(
        "compliance.CommunicationRestriction",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The dispute_pending restriction this dispute holds open."),
    )

    class Meta(CaseRecord.Meta):
        verbose_name = _("dispute")
        verbose_name_plural = _("disputes")
        indexes = [models.Index(fields=["status", "due_date"])]

    def __str__(self) -> str:
        return f"Dispute {self.pk} ({self.get_status_display()})"


class Complaint(CaseRecord):
    class Category(models.TextChoices):
        CONDUCT = "conduct", _("Specialist conduct")
        FREQUENCY = "frequency", _("Too many contacts")
        THIRD_PARTY = "third_party", _("Contact with third parties")
        AMOUNT = "amount", _("Amount or fees")
        PLAN = "plan", _("Installment plan")
        OTHER = "other", _("Other")

    category = models.CharField(
        _("category"), max_length=20, choices=Category.choices, default=Category.OTHER
    )
    received_via = models.CharField(_("received via"), max_length=20, blank=True)

    class Meta(CaseRecord.Meta):
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        indexes = [models.Index(fields=["status", "due_date"])]

    def __str__(self) -> str:
        return f"Complaint {self.pk} ({self.get_status_display()})"


class CaseEvent(models.Model):
    """A status change of a dispute or complaint: who moved it, from what, to what, why."""

    dispute = models.ForeignKey(
        Dispute, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    complaint = models.ForeignKey(
        Complaint, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    by = models.ForeignKey("accounts.User", null=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or '—'} → {self.to_status}"


class ContactFollowUp(models.Model):
    """Work to do after a contact is logged (refresh the account's risk tier and queue order),
    written in the entry's transaction: an outbox. The task is queued after commit; if the
    broker is down the row stays pending and the sweep (``workspace.followups``) runs it later.
    """

    entry = models.OneToOneField(
        ContactLog,
        db_constraint=False,
        on_delete=models.PROTECT,
        related_name="follow_up",
        verbose_name=_("contact"),
    )
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.PROTECT, related_name="+", verbose_name=_("account")
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=255, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("contact follow-up")
        verbose_name_plural = _("contact follow-ups")
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(done_at__isnull=True),
                name="followup_pending_idx",
            )
        ]

    def __str__(self) -> str:
        return f"Follow-up of contact {self.entry_id}"


class CallbackTaskQuerySet(models.QuerySet):
    def open(self) -> CallbackTaskQuerySet:
        return self.filter(status=CallbackTask.Status.OPEN)

    def due(self, as_of: date) -> CallbackTaskQuerySet:
        """Open and due by the end of business day ``as_of``: the one rule of "callback due"
        (the queue's reason and urgency, and what a logged conversation completes). An overdue
        callback stays due until someone calls."""
        return self.open().filter(due_at__lt=start_of_business_day(as_of + timedelta(days=1)))


class CallbackTask(models.Model):
    """A callback the customer asked for, in the specialist's queue until done.

    ``assigned_to`` follows the account: reassigning or rebalancing an account gives its open
    callbacks to the new specialist (``contacts.services.callbacks_follow_accounts``). Every
    change of status or time writes a ``CallbackEvent`` (the case timeline reads them).
    """

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="callbacks"
    )
    assigned_to = models.ForeignKey(
        "accounts.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="callbacks",
    )
    due_at = models.DateTimeField(_("call back at"))
    contact_point = models.ForeignKey(
        ContactPoint,
        verbose_name=_("contact point"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The number the customer asked to be called on, if they named one."),
    )
    contact = models.ForeignKey(
        ContactLog,
        db_constraint=False,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.CharField(_("note"), max_length=250, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    done_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CallbackTaskQuerySet.as_manager()

    class Meta:
        ordering = ["due_at"]
        verbose_name = _("callback")
        verbose_name_plural = _("callbacks")
        indexes = [models.Index(fields=["assigned_to", "status", "due_at"])]

    def __str__(self) -> str:
        return f"Callback {self.due_at:%Y-%m-%d %H:%M} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class CallbackEvent(models.Model):
    """One step in a callback's life: booked, rescheduled, done or cancelled; who, when, why."""

    class Action(models.TextChoices):
        CREATED = "created", _("Booked")
        RESCHEDULED = "rescheduled", _("Rescheduled")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    callback = models.ForeignKey(CallbackTask, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=12, choices=Action.choices)
    due_at = models.DateTimeField(_("call back at"), help_text=_("The due time after the step."))
    previous_due_at = models.DateTimeField(null=True, blank=True)
    by = models.ForeignKey("accounts.User", null=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    contact = models.ForeignKey(
        ContactLog,
        db_constraint=False,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The logged contact that booked or completed it, if any."),
    )
    note = models.CharField(max_length=250, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("callback event")
        verbose_name_plural = _("callback events")

    def __str__(self) -> str:
        return f"{self.action} {self.at:%Y-%m-%d %H:%M}"


# --- Reminders and treatment strategies ------------------------------------------------------


class StrategyVersionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    CHAMPION = "champion", _("Champion")
    CHALLENGER = "challenger", _("Challenger (running)")
    RETIRED = "retired", _("Retired")


class StrategyVersion(models.Model):
    """A version of the whole treatment strategy (its ``TreatmentStrategy`` steps).

    One version is the **champion**: every eligible account gets it. At most one other is the
    running **challenger**: it takes ``challenger_share`` of the eligible accounts, chosen by a
    stable hash of the account id and the version's ``salt`` (``contacts.arms``), so an account
    stays in its arm for the life of the experiment. Both arms' messages pass the same
    compliance gate. Promoting the challenger retires the champion.
    """

    number = models.PositiveIntegerField(_("version"), unique=True)
    name = models.CharField(_("name"), max_length=120)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=StrategyVersionStatus.choices,
        default=StrategyVersionStatus.DRAFT,
    )
    based_on = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    challenger_share = models.DecimalField(
        _("challenger share"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("0.20"),
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("0.50"))],
        help_text=_("The share of eligible accounts the challenger takes (0.01–0.50)."),
    )
    salt = models.PositiveIntegerField(_("assignment salt"), default=0)
    note = models.TextField(_("what it changes"), blank=True)
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    stopped_at = models.DateTimeField(_("stopped"), null=True, blank=True)
    promoted_at = models.DateTimeField(_("promoted"), null=True, blank=True)

    class Meta:
        ordering = ["-number"]
        verbose_name = _("strategy version")
        verbose_name_plural = _("strategy versions")
        constraints = [
            models.UniqueConstraint(
                fields=["status"], condition=Q(status="champion"), name="one_champion_strategy"
            ),
            models.UniqueConstraint(
                fields=["status"], condition=Q(status="challenger"), name="one_running_challenger"
            ),
        ]

    def __str__(self) -> str:
        return f"v{self.number} {self.name}"


class TreatmentStrategy(models.Model):
    """Tier × bucket (× stage) picks the channel, template and cadence of automatic contact: a
    step of a ``StrategyVersion``.

    Only message channels (SMS, email, letter) become reminders; ``call`` and ``visit``
    strategies document the treatment for the work queues and are skipped by the generator.
    """

    class Channel(models.TextChoices):
        SMS = "sms", _("SMS")
        EMAIL = "email", _("Email")
        LETTER = "letter", _("Letter")
        CALL = "call", _("Call task")
        VISIT = "visit", _("Visit")

    version = models.ForeignKey(
        StrategyVersion,
        on_delete=models.PROTECT,
        related_name="steps",
        verbose_name=_("version"),
        null=True,  # filled for every row by migration 0018; forms require it
    )
    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=120)
    jurisdiction = models.CharField(
        _("jurisdiction"), max_length=2, choices=[("US", _("United States")), ("CN", _("China"))]
    )
    risk_tier = models.CharField(
        _("risk tier"),
        max_length=10,
        choices=[("good", _("Good")), ("general", _("General")), ("high", _("High risk"))],
    )
    bucket_code = models.CharField(_("bucket"), max_length=10, help_text=_("M1, M2 …"))
    stage = models.CharField(
        _("stage"), max_length=20, blank=True, help_text=_("Empty: any open stage.")
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    template_code = models.SlugField(_("template code"), max_length=60, blank=True)
    cadence_days = models.PositiveSmallIntegerField(_("every (days)"), default=7)
    # A band of the propensity to pay (``Account.propensity``, per mille): the step treats only
    # accounts scored inside it; an account without a score (no model yet) matches only steps
    # without a band, so the tier × bucket table stays the fallback.
    propensity_from = models.PositiveSmallIntegerField(
        _("propensity from (‰)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(1000)],
        help_text=_("Only accounts whose chance to pay (per mille) is at least this."),
    )
    propensity_below = models.PositiveSmallIntegerField(
        _("propensity below (‰)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(1000)],
        help_text=_("Only accounts whose chance to pay (per mille) is below this."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["jurisdiction", "bucket_code", "risk_tier", "channel"]
        verbose_name = _("treatment strategy")
        verbose_name_plural = _("treatment strategies")

    def __str__(self) -> str:
        return f"{self.jurisdiction} {self.risk_tier} {self.bucket_code}: {self.channel}"

    def propensity_filter(self) -> Q:
        """The accounts the step's propensity band admits, as a filter on ``Account``; the
        same rule as ``propensity_covers`` (tested together)."""
        return propensity_band_q(self.propensity_from, self.propensity_below)


def propensity_band_q(start: int | None, below: int | None) -> Q:
    band = Q()
    if start is not None:
        band &= Q(propensity__gte=start)
    if below is not None:
        band &= Q(propensity__lt=below)
    return band


def propensity_covers(start: int | None, below: int | None, propensity: int | None) -> bool:
    """Whether an account scored ``propensity`` (per mille, or None) is in the band."""
    if start is None and below is None:
        return True
    if propensity is None:
        return False
    return (start is None or propensity >= start) and (below is None or propensity < below)


class DeliveryStatus(models.TextChoices):
    """What a channel reported about a message after it left: a receipt or a bounce."""

    DELIVERED = "delivered", _("Delivered")
    FAILED_SOFT = "failed_soft", _("Failed (temporary)")
    FAILED_HARD = "failed_hard", _("Failed (permanent)")


class Reminder(models.Model):
    """One automatic message to send; ``idempotency_key`` makes generation and sending safe
    to repeat. Status: pending → claimed → sent | deferred | blocked | failed | cancelled (the
    installment was paid or the promise resolved before it went out)."""

    class Kind(models.TextChoices):
        INSTALLMENT_DUE = "installment_due", _("Installment due")
        INSTALLMENT_MISSED = "installment_missed", _("Installment missed")
        PROMISE_DUE = "promise_due", _("Promise due")
        STRATEGY = "strategy", _("Treatment strategy")

    class Channel(models.TextChoices):
        SMS = "sms", _("SMS")
        EMAIL = "email", _("Email")
        LETTER = "letter", _("Letter")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        CLAIMED = "claimed", _("Claimed")
        SENT = "sent", _("Sent")
        DEFERRED = "deferred", _("Deferred")
        BLOCKED = "blocked", _("Blocked")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    # Indexes are kept to what queries need: every status change rewrites each one, and a
    # send run changes every row twice (claim, outcome). (account, status) serves account
    # lookups; decisions and log entries are append-only (never deleted), so their foreign
    # keys need no index for deletes.
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.PROTECT, related_name="reminders", db_index=False
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    contact_point = models.ForeignKey(
        ContactPoint, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    template = models.ForeignKey(
        MessageTemplate, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Unique through Meta.constraints: the same index without a second (LIKE) one.
    idempotency_key = models.CharField(_("idempotency key"), max_length=120)
    # What the message is about when it is not the account's arrears (an installment, a promise).
    amount = models.DecimalField(
        _("amount"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    due_date = models.DateField(_("amount due on"), null=True, blank=True)
    due_at = models.DateTimeField(_("due"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    claimed_by = models.CharField(_("claimed by"), max_length=100, blank=True)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    decision = models.ForeignKey(
        "compliance.ComplianceDecision",
        db_constraint=False,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    contact = models.ForeignKey(
        ContactLog,
        db_constraint=False,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    # What the channel reported afterwards (``outreach.inbound.delivery_receipt_record``): the
    # reference its backend returned when sending, and the latest delivery receipt or bounce.
    provider_ref = models.CharField(_("provider reference"), max_length=200, blank=True)
    delivery_status = models.CharField(
        _("delivery"), max_length=12, choices=DeliveryStatus.choices, blank=True
    )
    delivery_at = models.DateTimeField(_("delivery reported at"), null=True, blank=True)
    delivery_error = models.CharField(_("delivery error"), max_length=255, blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        indexes = [
            # The claim query: open reminders by when they are next due.
            models.Index(
                fields=["next_attempt_at", "id"],
                name="reminder_due_idx",
                condition=models.Q(status__in=["pending", "deferred"]),
            ),
            models.Index(
                fields=["claimed_at"],
                name="reminder_claimed_idx",
                condition=models.Q(status="claimed"),
            ),
            models.Index(fields=["account", "status"]),
            # Delivery receipts name the message by the provider's id.
            models.Index(
                fields=["provider_ref"],
                name="reminder_provider_ref_idx",
                condition=~models.Q(provider_ref=""),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["idempotency_key"], name="reminder_idempotency_key_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.idempotency_key} ({self.status})"


# --- Two-way messages --------------------------------------------------------------------------


class InboundMessage(models.Model):
    """A message a customer sent us (an SMS or email), as the provider's webhook posted it.

    Unique on (channel, provider message id): a replayed webhook finds its row and writes
    nothing. What it was (``intent``) and what came of it are kept here; a free reply is a
    contact-log entry (``entry``), which alone keeps its text (retention clears it there), and
    an answer we sent (the opt-out confirmation, the help text) is one too (``reply``), with the
    compliance decision it passed or was refused by. Written only by ``outreach.inbound``.
    """

    class Channel(models.TextChoices):
        SMS = "sms", _("SMS")
        EMAIL = "email", _("Email")

    class Intent(models.TextChoices):
        STOP = "stop", _("Opt-out (STOP)")
        HELP = "help", _("Help")
        START = "start", _("Opt back in (START)")
        REPLY = "reply", _("Reply")

    class ReplyStatus(models.TextChoices):
        NONE = "", _("No answer needed")
        PENDING = "pending", _("Answer pending")
        SENT = "sent", _("Answer sent")
        BLOCKED = "blocked", _("Answer blocked")
        FAILED = "failed", _("Answer failed")

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    provider_message_id = models.CharField(_("provider message id"), max_length=200)
    # Normalised as contact points are (E.164, lower-case email); raw when it is neither.
    sender = models.CharField(_("sender"), max_length=254)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("text"), blank=True)
    received_at = models.DateTimeField(_("received"))
    intent = models.CharField(_("intent"), max_length=10, choices=Intent.choices)
    known_sender = models.BooleanField(_("known sender"), default=False)
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    account = models.ForeignKey(
        "accounts.Account",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The account its entry and our answer are logged on."),
    )
    contact_point = models.ForeignKey(
        ContactPoint, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    entry = models.ForeignKey(
        ContactLog,
        db_constraint=False,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The contact-log entry of a free reply."),
    )
    reply_status = models.CharField(
        _("answer"), max_length=10, choices=ReplyStatus.choices, blank=True
    )
    reply = models.ForeignKey(
        ContactLog,
        db_constraint=False,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The contact-log entry of our answer."),
    )
    reply_decision = models.ForeignKey(
        "compliance.ComplianceDecision",
        db_constraint=False,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reply_error = models.CharField(_("answer error"), max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("inbound message")
        verbose_name_plural = _("inbound messages")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "provider_message_id"], name="inbound_message_provider_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.provider_message_id} ({self.intent})"


class DeliveryReceipt(models.Model):
    """A delivery receipt or bounce a channel posted about a message we sent.

    Unique on (channel, provider event id): a replayed webhook counts once. Consecutive hard
    failures on a contact point are read from these rows (``outreach.inbound``).
    """

    channel = models.CharField(_("channel"), max_length=10, choices=InboundMessage.Channel.choices)
    provider_event_id = models.CharField(_("provider event id"), max_length=200)
    provider_message_id = models.CharField(_("provider message id"), max_length=200, blank=True)
    reference = models.CharField(_("our reference"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=DeliveryStatus.choices)
    error = models.CharField(_("error"), max_length=255, blank=True)
    occurred_at = models.DateTimeField(_("reported at"))
    reminder = models.ForeignKey(
        Reminder, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    contact_point = models.ForeignKey(
        ContactPoint, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("delivery receipt")
        verbose_name_plural = _("delivery receipts")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "provider_event_id"], name="delivery_receipt_provider_uniq"
            )
        ]
        indexes = [models.Index(fields=["contact_point", "occurred_at"])]

    def __str__(self) -> str:
        return f"{self.channel} {self.provider_event_id} ({self.status})"


class LetterQuerySet(AppendOnlyQuerySet):
    refusal = "Letters are evidence: stored once, never changed or removed."


class Letter(models.Model):
    """A letter as printed: one PDF per reminder key, its SHA-256 and page count. Evidence,
    append-only: written once by the letter backend (``outreach.letters``), never changed;
    the file under ``SETTLE_LETTER_DIR`` is the document the customer received."""

    account = models.ForeignKey(
        "accounts.Account", on_delete=models.PROTECT, related_name="letters"
    )
    reminder = models.ForeignKey(
        Reminder, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    idempotency_key = models.CharField(_("idempotency key"), max_length=120, unique=True)
    kind = models.CharField(_("kind"), max_length=30)
    language = models.CharField(_("language"), max_length=10)
    recipient = models.TextField(_("recipient address"), blank=True)
    #: Relative to ``SETTLE_LETTER_DIR``.
    file = models.CharField(_("file"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    pages = models.PositiveSmallIntegerField(_("pages"))
    created_at = models.DateTimeField(_("created"), db_index=True)

    objects = LetterQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("letter")
        verbose_name_plural = _("letters")

    def __str__(self) -> str:
        return f"{self.kind} {self.created_at:%Y-%m-%d} ({self.idempotency_key})"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise PermissionError(LetterQuerySet.refusal)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError(LetterQuerySet.refusal)

    @property
    def path(self) -> Path:
        """Where the PDF is."""
        return Path(settings.SETTLE_LETTER_DIR) / self.file


class PrintBatch(models.Model):
    """The letters of one business day handed to the print shop, with a manifest CSV (letter
    id, masked account number, recipient address, pages, SHA-256). One per day."""

    day = models.DateField(_("day"), unique=True)
    letters = models.ManyToManyField(Letter, related_name="batches", blank=True)
    #: Relative to ``SETTLE_LETTER_DIR``.
    manifest = models.CharField(_("manifest"), max_length=255)
    manifest_sha256 = models.CharField(_("manifest SHA-256"), max_length=64)
    letter_count = models.PositiveIntegerField(_("letters"))
    page_count = models.PositiveIntegerField(_("pages"))
    created_at = models.DateTimeField(_("created"))

    class Meta:
        ordering = ["-day"]
        verbose_name = _("print batch")
        verbose_name_plural = _("print batches")

    def __str__(self) -> str:
        return f"{self.day}: {self.letter_count} letters"
