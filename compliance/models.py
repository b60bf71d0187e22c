"""Compliance data: jurisdiction rule sets, communication restrictions, stored decisions.

The checks themselves are pure code in ``compliance.rules``; these models hold what admins may
edit (a profile per jurisdiction with its wording lists and required texts, loaded by the data
migration ``0002_load_profiles`` from the defaults in ``rules``), the restrictions specialists
record, and the append-only audit trail of every decision (``ComplianceDecision``).
"""

from __future__ import annotations

from datetime import date, datetime, time, tzinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.validators import validate_time_zone
from compliance import rules
from contacts.models import ContactLog
from core.querysets import AppendOnlyQuerySet

#: Contact channels: the contact log's vocabulary (``inbound_call`` included), shared so the
#: check, the log and the API speak the same words.
Channel = ContactLog.Channel


def validate_pattern(value: str) -> None:
    """An admin-entered regular expression must compile (``rules.pattern_error``)."""
    error = rules.pattern_error(value)
    if error is not None:
        raise ValidationError(
            _("Not a valid regular expression: %(error)s") % {"error": error}, code="pattern"
        )


def validate_pattern_lines(value: str) -> None:
    """One regular expression per line; every line must compile."""
    lines = [line for line in value.splitlines() if line.strip()]
    if not lines:
        raise ValidationError(_("Enter at least one pattern."), code="required")
    errors = []
    for number, line in enumerate(lines, start=1):
        error = rules.pattern_error(line.strip())
        if error is not None:
            errors.append(
                ValidationError(
                    _("Line %(line)d is not a valid regular expression: %(error)s")
                    % {"line": number, "error": error},
                    code="pattern",
                )
            )
    if errors:
        raise ValidationError(errors)


# --- Profiles ------------------------------------------------------------------------------


class JurisdictionProfile(models.Model):
    """A jurisdiction's rule parameters (COMPLIANCE.md "Profiles"), editable by admins.

    An empty limit switches that rule off. ``citations`` maps a rule code (or
    ``"prohibited_wording:<category>"``) to the citation shown with a violation. A deactivated or
    missing profile does not switch rules off: the built-in statutory defaults in
    ``compliance.rules`` apply instead (see ``compliance.profiles``).
    """

    code = models.CharField(_("code"), max_length=2, unique=True)
    name = models.CharField(_("name"), max_length=120)
    window_start = models.TimeField(_("contact window opens"), default=time(8, 0))
    window_end = models.TimeField(_("contact window closes"), default=time(21, 0))
    weekly_call_limit = models.PositiveSmallIntegerField(
        _("calls per debt in the frequency window"),
        null=True,
        blank=True,
        help_text=_("Empty: no such limit. US: 7 (12 CFR 1006.14(b)(2)(i)(A))."),
    )
    weekly_window_days = models.PositiveSmallIntegerField(
        _("frequency window (days)"),
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(31)],
    )
    post_conversation_quiet_days = models.PositiveSmallIntegerField(
        _("quiet days after a conversation"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(31)],
        help_text=_("Empty: no quiet period. US: 7 (12 CFR 1006.14(b)(2)(i)(B))."),
    )
    daily_connected_call_cap = models.PositiveSmallIntegerField(
        _("connected calls per debtor per day"),
        null=True,
        blank=True,
        help_text=_("Empty: no daily cap. CN: 3 (GB/T 45251-2025)."),
    )
    retention_years = models.PositiveSmallIntegerField(
        _("keep records (years)"),
        validators=[MinValueValidator(1)],
        help_text=_("US: 3 (12 CFR 1006.100); CN: at least 2 (第68条)."),
    )
    max_plan_installments = models.PositiveSmallIntegerField(
        _("longest installment plan (installments)"),
        default=60,
        validators=[MinValueValidator(1)],
        help_text=_("CN: 60 monthly installments, 5 years (第70条)."),
    )
    citations = models.JSONField(_("citations by rule code"), default=dict, blank=True)
    default_time_zones = models.JSONField(
        _("default time zones"),
        default=list,
        blank=True,
        help_text=_(
            "Zones assumed when a customer's location is unknown; the contact window must "
            "hold in every one of them."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("jurisdiction profile")
        verbose_name_plural = _("jurisdiction profiles")

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        if (
            self.window_start is not None
            and self.window_end is not None
            and self.window_start >= self.window_end
        ):
            errors.setdefault("window_end", []).append(_("The window must close after it opens."))
        if not isinstance(self.citations, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in self.citations.items()
        ):
            errors.setdefault("citations", []).append(
                _('Give an object of rule code to citation, e.g. {"contact_window": "…"}.')
            )
        else:
            unknown = sorted(
                k for k in self.citations if k.split(":", 1)[0] not in rules.RULE_CODES
            )
            if unknown:
                errors.setdefault("citations", []).append(
                    _("Unknown rule codes: %(codes)s.") % {"codes": ", ".join(unknown)}
                )
        zones = self.default_time_zones
        if not isinstance(zones, list) or not all(isinstance(z, str) for z in zones):
            errors.setdefault("default_time_zones", []).append(_("Give a list of IANA zones."))
        else:
            for zone in zones:
                try:
                    validate_time_zone(zone)
                except ValidationError as exc:
                    errors.setdefault("default_time_zones", []).extend(exc.messages)
        if errors:
            raise ValidationError(errors)


class WordingRule(models.Model):
    """A phrase or regular expression that a message must not contain (COMPLIANCE.md "Wording").

    ``rule`` is the rule code a match violates: ``prohibited_wording`` always;
    ``time_barred_threat`` (category ``suit_threat``) only once the statute of limitations has
    run; ``third_party_disclosure`` (category ``debt_mention``) only when the recipient is a
    third party. No profile: the rule applies in every jurisdiction.
    """

    class Rule(models.TextChoices):
        PROHIBITED_WORDING = rules.PROHIBITED_WORDING, _("Prohibited wording")
        TIME_BARRED_THREAT = rules.TIME_BARRED_THREAT, _("Threat of suit (time-barred debt)")
        THIRD_PARTY_DISCLOSURE = rules.THIRD_PARTY_DISCLOSURE, _("Mentions the debt (third party)")

    class Category(models.TextChoices):
        THREAT_OF_HARM = "threat_of_harm", _("Threat of violence or harm")
        INSULT = "insult", _("Insult or profanity")
        FALSE_LEGAL_THREAT = "false_legal_threat", _("False threat of arrest, jail, seizure, suit")
        IMPERSONATION = "impersonation", _("Impersonating a court, police, lawyer, government")
        THIRD_PARTY_DISCLOSURE_THREAT = (
            "third_party_disclosure_threat",
            _("Threat to tell employer, family or contacts"),
        )
        MISSTATEMENT = "misstatement", _("Misstating the debt or its consequences")
        SUIT_THREAT = "suit_threat", _("Threat of suit")
        DEBT_MENTION = "debt_mention", _("Mention of the debt")

    class Language(models.TextChoices):
        EN = "en", _("English")
        ZH = "zh", _("Chinese")

    #: Which categories belong to which rule.
    RULE_CATEGORIES = {
        Rule.PROHIBITED_WORDING: frozenset(rules.WORDING_CATEGORIES),
        Rule.TIME_BARRED_THREAT: frozenset({"suit_threat"}),
        Rule.THIRD_PARTY_DISCLOSURE: frozenset({"debt_mention"}),
    }

    profile = models.ForeignKey(
        JurisdictionProfile,
        verbose_name=_("jurisdiction"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="wording_rules",
        help_text=_("Empty: applies in every jurisdiction."),
    )
    rule = models.CharField(
        _("rule"), max_length=30, choices=Rule.choices, default=Rule.PROHIBITED_WORDING
    )
    category = models.CharField(_("category"), max_length=40, choices=Category.choices)
    language = models.CharField(_("language"), max_length=5, choices=Language.choices)
    pattern = models.CharField(
        _("pattern"),
        max_length=500,
        validators=[validate_pattern],
        help_text=_("A regular expression, matched case-insensitively."),
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("wording rule")
        verbose_name_plural = _("wording rules")
        indexes = [models.Index(fields=["profile", "is_active"])]

    def __str__(self) -> str:
        return f"{self.category} ({self.language}): {self.pattern}"

    def clean(self) -> None:
        allowed = self.RULE_CATEGORIES.get(self.rule, frozenset())
        if self.category and self.category not in allowed:
            raise ValidationError(
                {
                    "category": _("Category %(category)s does not belong to rule %(rule)s.")
                    % {"category": self.category, "rule": self.rule}
                }
            )


class RequiredText(models.Model):
    """A statement a written message must contain: the 1006.18(e) disclosures (first contact
    and later) and the 1006.6(e) opt-out line in email and SMS. Any one accepted pattern (one
    regular expression per line) satisfies it, in the message's language."""

    class Kind(models.TextChoices):
        DISCLOSURE_FIRST = "disclosure_first", _("Disclosure, first communication")
        DISCLOSURE_SUBSEQUENT = "disclosure_subsequent", _("Disclosure, later communications")
        OPT_OUT = "opt_out", _("Opt-out instruction (email, SMS)")

    profile = models.ForeignKey(
        JurisdictionProfile,
        verbose_name=_("jurisdiction"),
        on_delete=models.CASCADE,
        related_name="required_texts",
    )
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    key = models.SlugField(
        _("key"), max_length=60, blank=True, help_text=_("e.g. attempt_to_collect")
    )
    language = models.CharField(_("language"), max_length=5, choices=WordingRule.Language.choices)
    accepted = models.TextField(
        _("accepted patterns"),
        validators=[validate_pattern_lines],
        help_text=_("One regular expression per line; any one satisfies the requirement."),
    )
    description = models.CharField(
        _("what it must state"), max_length=200, blank=True, help_text=_("Shown in the violation.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("required text")
        verbose_name_plural = _("required texts")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.key} ({self.language})"

    @property
    def patterns(self) -> tuple[str, ...]:
        return tuple(line.strip() for line in self.accepted.splitlines() if line.strip())

    def clean(self) -> None:
        if self.kind != self.Kind.OPT_OUT and not self.key:
            raise ValidationError({"key": _("A disclosure needs a key.")})
        if self.kind != self.Kind.OPT_OUT and not self.description:
            raise ValidationError({"description": _("Say what the disclosure must state.")})


# --- Restrictions --------------------------------------------------------------------------


class RestrictionKind(models.TextChoices):
    CEASE_COMMUNICATION = rules.CEASE_COMMUNICATION, _("Cease communication")
    ATTORNEY_REPRESENTED = rules.ATTORNEY_REPRESENTED, _("Represented by an attorney")
    DISPUTE_PENDING = rules.DISPUTE_PENDING, _("Dispute pending")
    DECEASED = rules.DECEASED, _("Deceased")
    BANKRUPTCY = rules.BANKRUPTCY, _("Bankruptcy (stay of collection)")
    MILITARY_SERVICE = "military_service", _("Military service (SCRA rate cap)")
    CHANNEL_OPT_OUT = rules.CHANNEL_OPT_OUT, _("Channel or address opt-out")
    INCONVENIENT_TIME = "inconvenient_time", _("Inconvenient times")


class RestrictionSource(models.TextChoices):
    CUSTOMER_WRITTEN = "customer_written", _("Customer, in writing")
    CUSTOMER_VERBAL = "customer_verbal", _("Customer, verbally")
    ATTORNEY = "attorney", _("Attorney")
    COURT = "court", _("Court")
    BANK = "bank", _("Bank")
    SYSTEM = "system", _("System")


class RestrictionQuerySet(models.QuerySet):
    def for_account(self, account) -> RestrictionQuerySet:
        """The customer's restrictions that cover ``account``: customer-wide and its own."""
        return self.filter(customer_id=account.customer_id).filter(
            Q(account__isnull=True) | Q(account_id=account.pk)
        )

    def in_force(self, day) -> RestrictionQuerySet:
        """Not lifted and not expired by ``day`` (those starting later are included)."""
        return self.filter(ended_at__isnull=True).filter(
            Q(effective_to__isnull=True) | Q(effective_to__gte=day)
        )


class CommunicationRestriction(models.Model):
    """A limit on contacting a customer (COMPLIANCE.md), with its effective dates and source.

    No account: it covers all the customer's accounts. ``effective_to`` is the last day it
    applies (inclusive, in the customer's zone); ``ended_at`` is when someone lifted it
    (``restriction_end``). Created and ended only through ``compliance.services``; audited.
    """

    customer = models.ForeignKey(
        "accounts.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="restrictions",
    )
    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="restrictions",
        help_text=_("Empty: all the customer's accounts."),
    )
    kind = models.CharField(_("kind"), max_length=30, choices=RestrictionKind.choices)
    channel = models.CharField(
        _("channel"),
        max_length=20,
        blank=True,
        choices=[c for c in Channel.choices if c[0] != Channel.INBOUND_CALL],
        help_text=_("Empty: every channel."),
    )
    contact_point = models.ForeignKey(
        "accounts.ContactPoint",
        verbose_name=_("contact point"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="restrictions",
        help_text=_("Only this phone number or address."),
    )
    not_before = models.TimeField(_("not before"), null=True, blank=True)
    not_after = models.TimeField(_("not after"), null=True, blank=True)
    attorney_name = models.CharField(_("attorney"), max_length=200, blank=True)
    attorney_phone = models.CharField(_("attorney phone"), max_length=40, blank=True)
    attorney_email = models.EmailField(_("attorney email"), blank=True)
    effective_from = models.DateField(_("effective from"))
    effective_to = models.DateField(
        _("effective to"), null=True, blank=True, help_text=_("Last day; empty: until ended.")
    )
    source = models.CharField(_("source"), max_length=20, choices=RestrictionSource.choices)
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("ended by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    end_reason = models.CharField(_("why ended"), max_length=200, blank=True)

    objects = RestrictionQuerySet.as_manager()

    class Meta:
        ordering = ["-effective_from", "-id"]
        verbose_name = _("communication restriction")
        verbose_name_plural = _("communication restrictions")
        indexes = [models.Index(fields=["customer", "effective_from"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.customer_id})"

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}

        def add(field: str, message: str) -> None:
            errors.setdefault(field, []).append(message)

        if self.kind == RestrictionKind.INCONVENIENT_TIME:
            if self.not_before is None and self.not_after is None:
                add("not_before", _("Give the time before which, or after which, not to call."))
        elif self.not_before is not None or self.not_after is not None:
            add("not_before", _("Times apply only to inconvenient-time restrictions."))
        if self.kind == RestrictionKind.ATTORNEY_REPRESENTED and not self.attorney_name.strip():
            add("attorney_name", _("Name the attorney."))
        if self.kind == RestrictionKind.CHANNEL_OPT_OUT and not (
            self.channel or self.contact_point_id
        ):
            add("channel", _("Give the channel or the contact point that is closed."))
        if (
            self.effective_to is not None
            and self.effective_from is not None
            and self.effective_to < self.effective_from
        ):
            add("effective_to", _("Must not be before the start."))
        if self.account_id is not None and self.account.customer_id != self.customer_id:
            add("account", _("The account belongs to another customer."))
        if self.contact_point_id is not None and self.contact_point.customer_id != self.customer_id:
            add("contact_point", _("The contact point belongs to another customer."))
        if errors:
            raise ValidationError(errors)

    def as_rule(self, tz: tzinfo) -> rules.Restriction:
        """The pure form the checks take. ``ended_at`` (an instant) cuts a planned end short;
        ``tz`` is the customer's zone, in which ``effective_to`` is a calendar day."""
        end: date | datetime | None = self.effective_to
        if self.ended_at is not None and (
            end is None or self.ended_at.astimezone(tz).date() <= self.effective_to
        ):
            end = self.ended_at
        return rules.Restriction(
            kind=self.kind,
            channel=self.channel or None,
            contact_point_id=self.contact_point_id,
            not_before=self.not_before,
            not_after=self.not_after,
            effective_from=self.effective_from,
            effective_to=end,
        )


# --- Decisions -----------------------------------------------------------------------------


class DecisionQuerySet(AppendOnlyQuerySet):
    """Decisions are evidence (12 CFR 1006.100; 第68条): never changed or removed."""

    refusal = "Compliance decisions are append-only."


class Purpose(models.TextChoices):
    API_CHECK = "api_check", _("API check")
    CONTACT_LOG = "contact_log", _("Contact logged")
    REMINDER = "reminder", _("Reminder")
    UI_PREVIEW = "ui_preview", _("Preview in the browser")
    CUSTOMER_REQUEST = "customer_request", _("Requested by the customer")


class ComplianceDecision(models.Model):
    """One answer of ``contact_check``, with everything it was based on (``inputs``).

    Once its retention period has passed on a closed account, the message text in ``inputs`` is
    cleared (its SHA-256 stays; ``redacted_at`` says when; ``compliance.retention``).

    On PostgreSQL the table is partitioned by month of ``created_at``; foreign keys to it are
    ``db_constraint=False`` (why integrity holds: ``contacts.models.ContactLog``).
    """

    #: What retention may clear (``AppendOnlyQuerySet.redact``).
    REDACTABLE = ("inputs",)

    # Indexes (every reminder stores a decision, so each one costs): ``account`` is served by
    # the (account, created_at) index; nothing looks decisions up by contact point, and contact
    # points are never deleted; ``checked_by`` is empty for the system, so only set values are
    # indexed (the specialist filter of the exceptions dashboard).
    account = models.ForeignKey(
        "accounts.Account",
        on_delete=models.PROTECT,
        related_name="compliance_decisions",
        db_index=False,
    )
    customer = models.ForeignKey(
        "accounts.Customer", on_delete=models.PROTECT, related_name="compliance_decisions"
    )
    contact_point = models.ForeignKey(
        "accounts.ContactPoint",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="compliance_decisions",
        db_index=False,
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    at = models.DateTimeField(_("contact time checked"))
    allowed = models.BooleanField(_("allowed"))
    violations = models.JSONField(_("violations"), default=list, blank=True)
    next_allowed_at = models.DateTimeField(_("next allowed at"), null=True, blank=True)
    jurisdiction = models.CharField(_("jurisdiction"), max_length=2)
    inputs = models.JSONField(_("inputs"), default=dict, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("checked by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty when the system asked."),
        db_index=False,
    )
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    redacted_at = models.DateTimeField(
        _("message removed"),
        null=True,
        blank=True,
        help_text=_("When the retention policy removed the message text from the inputs."),
    )

    objects = DecisionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("compliance decision")
        verbose_name_plural = _("compliance decisions")
        indexes = [
            models.Index(fields=["account", "created_at"]),
            models.Index(fields=["created_at"]),
            models.Index(
                fields=["checked_by"],
                condition=models.Q(checked_by__isnull=False),
                name="compliance_decision_checked_by",
            ),
        ]

    def __str__(self) -> str:
        verdict = _("allowed") if self.allowed else _("blocked")
        return f"{self.channel} {self.at:%Y-%m-%d %H:%M} {verdict}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise PermissionError("Compliance decisions are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Compliance decisions are append-only.")

    @property
    def rule_codes(self) -> list[str]:
        return [v.get("rule", "") for v in self.violations]
