"""Pre-aggregated daily facts the supervisor dashboard reads (written only by ``dashboards.facts``).

Live aggregation over millions of accounts and contacts is too slow for a page, so the refresh
writes small tables once per day (and intraday for today) and the KPIs sum them. Team, product
and jurisdiction are the account's at refresh time; jurisdiction is the customer's rule set.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.validators import validate_currency
from core.money import CURRENCY_PLACES


class PortfolioSnapshot(models.Model):
    """Open accounts on ``day`` by team × specialist × jurisdiction × product × currency × bucket
    × tier: how many, their total balance and past-due amount."""

    day = models.DateField(_("day"))
    team_id = models.IntegerField(_("team"))
    specialist_id = models.IntegerField(_("specialist"), null=True, blank=True)
    jurisdiction = models.CharField(_("jurisdiction"), max_length=2)
    product = models.CharField(_("product"), max_length=30)
    currency = models.CharField(_("currency"), max_length=3)
    bucket = models.CharField(_("bucket"), max_length=10)
    tier = models.CharField(_("risk tier"), max_length=10)
    accounts = models.IntegerField(_("accounts"))
    balance = models.DecimalField(_("balance"), max_digits=18, decimal_places=2)
    past_due = models.DecimalField(_("past due"), max_digits=18, decimal_places=2)

    class Meta:
        verbose_name = _("portfolio snapshot row")
        verbose_name_plural = _("portfolio snapshot")
        indexes = [models.Index(fields=["day", "team_id"])]

    def __str__(self) -> str:
        return f"{self.day} {self.bucket}/{self.tier}: {self.accounts}"


class DailyActivity(models.Model):
    """One metric counted on one business day for team × specialist × jurisdiction × product ×
    currency; ``key`` refines it (reason code, compliance rule). See ``dashboards.facts``."""

    day = models.DateField(_("day"))
    team_id = models.IntegerField(_("team"))
    specialist_id = models.IntegerField(_("specialist"), null=True, blank=True)
    jurisdiction = models.CharField(_("jurisdiction"), max_length=2)
    product = models.CharField(_("product"), max_length=30)
    currency = models.CharField(_("currency"), max_length=3)
    metric = models.CharField(_("metric"), max_length=30)
    key = models.CharField(_("key"), max_length=60, blank=True)
    count = models.IntegerField(_("count"), default=0)
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("daily activity fact")
        verbose_name_plural = _("daily activity facts")
        indexes = [models.Index(fields=["day", "metric"]), models.Index(fields=["team_id", "day"])]

    def __str__(self) -> str:
        return f"{self.day} {self.metric} {self.key}: {self.count}"


class RollFact(models.Model):
    """Accounts in ``from_bucket`` at the end of ``month`` and in ``to_bucket`` at the end of the
    next month (from bucket history); ``to_bucket`` is a closed stage for the accounts that left
    collections in between."""

    month = models.DateField(_("month"), help_text=_("First day of the starting month."))
    team_id = models.IntegerField(_("team"))
    jurisdiction = models.CharField(_("jurisdiction"), max_length=2)
    product = models.CharField(_("product"), max_length=30)
    from_bucket = models.CharField(_("from bucket"), max_length=10)
    to_bucket = models.CharField(_("to bucket or stage"), max_length=20)
    accounts = models.IntegerField(_("accounts"))

    class Meta:
        verbose_name = _("roll fact")
        verbose_name_plural = _("roll facts")
        indexes = [models.Index(fields=["month", "team_id"])]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.from_bucket}→{self.to_bucket}: {self.accounts}"


class RefreshRun(models.Model):
    """One refresh of the facts for ``day``; the page shows the latest as "as of"."""

    day = models.DateField(_("day"))
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"))
    seconds = models.FloatField(_("seconds"))
    rows = models.IntegerField(_("rows written"), default=0)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-finished_at"]
        verbose_name = _("dashboard refresh")
        verbose_name_plural = _("dashboard refreshes")

    def __str__(self) -> str:
        return f"{self.day} at {self.finished_at:%Y-%m-%d %H:%M}"


class Target(models.Model):
    """A monthly target of a team, or of one specialist of it (``specialist`` set).

    The team is always stored (for a specialist's target, the specialist's team) so a target is
    scoped like every other team row; ``specialist`` empty means the team's own target."""

    class Metric(models.TextChoices):
        COLLECTED = "collected", _("Amount collected")
        PROMISES_KEPT = "promises_kept", _("Promises kept")
        CONTACTS = "contacts", _("Contacts")

    month = models.DateField(_("month"), help_text=_("First day of the month."))
    team = models.ForeignKey(
        "accounts.Team", on_delete=models.CASCADE, related_name="targets", verbose_name=_("team")
    )
    specialist = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="targets",
        verbose_name=_("specialist"),
        help_text=_("Leave empty for the team's target."),
    )
    metric = models.CharField(_("metric"), max_length=20, choices=Metric.choices)
    value = models.DecimalField(_("target"), max_digits=18, decimal_places=2)
    currency = models.CharField(
        _("currency"),
        max_length=3,
        blank=True,
        validators=[validate_currency],
        help_text=_("Only for the amount collected."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-month", "team_id", "specialist_id", "metric"]
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        constraints = [
            models.UniqueConstraint(
                fields=["month", "team", "metric", "currency"],
                condition=models.Q(specialist__isnull=True),
                name="target_one_per_team_metric",
            ),
            models.UniqueConstraint(
                fields=["month", "specialist", "metric", "currency"],
                condition=models.Q(specialist__isnull=False),
                name="target_one_per_specialist_metric",
            ),
            models.CheckConstraint(condition=models.Q(value__gt=0), name="target_value_positive"),
        ]

    def __str__(self) -> str:
        who = self.specialist or self.team
        return f"{self.month:%Y-%m} {who} {self.metric} {self.value} {self.currency}".strip()

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.month and self.month.day != 1:
            errors["month"] = _("Give the first day of the month.")
        if self.metric == self.Metric.COLLECTED and not self.currency:
            errors["currency"] = _("A target for the amount collected needs a currency.")
        if self.metric and self.metric != self.Metric.COLLECTED and self.currency:
            errors["currency"] = _("Only a target for the amount collected has a currency.")
        counted = self.metric and self.metric != self.Metric.COLLECTED
        if counted and self.value is not None and self.value != self.value.to_integral_value():
            errors["value"] = _("A count target is a whole number.")
        places = CURRENCY_PLACES.get(self.currency)
        if (
            self.metric == self.Metric.COLLECTED
            and places is not None
            and self.value is not None
            and self.value != self.value.quantize(Decimal(1).scaleb(-places))
        ):
            errors["value"] = _("Use at most %(places)s decimal places.") % {"places": places}
        if self.specialist_id and self.team_id and self.specialist.team_id != self.team_id:
            errors["specialist"] = _("The specialist is not in this team.")
        if errors:
            raise ValidationError(errors)
