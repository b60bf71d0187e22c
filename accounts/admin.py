"""Admin: searchable, filterable, limited by team like the pages; personal data never unmasked;
audit rows read-only."""

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models.constants import LOOKUP_SEP
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from accounts.models import (
    Account,
    BucketHistory,
    BucketRange,
    Customer,
    ImportBatch,
    PersonalDataReveal,
    PropensityModel,
    ReAge,
    Team,
    User,
)
from accounts.permissions import TeamScope


class ReadOnlyAdmin(admin.ModelAdmin):
    """For audit trails: visible to those allowed, changed by nobody."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class TeamScopedAdmin:
    """Admin of team data, limited by team exactly like the pages (``team_scope``).

    A specialist or supervisor lists their team's rows only; another team's object answers as
    Django answers for a missing one; every foreign key offers only what the user may see (the
    related model's admin's ``choice_scope``, else its ``team_scope``). Admins and heads of
    collections see every team. Put it first among the bases.
    """

    team_scope: TeamScope
    choice_scope: TeamScope | None = None  # what other forms may link to, if not team_scope

    def get_queryset(self, request):
        return self.team_scope(super().get_queryset(request), request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related = self.admin_site._registry.get(db_field.related_model)
        scope = getattr(related, "choice_scope", None) or getattr(related, "team_scope", None)
        if scope is not None and "queryset" not in kwargs:
            queryset = self.get_field_queryset(kwargs.get("using"), db_field, request)
            if queryset is None:
                queryset = db_field.related_model._default_manager.using(kwargs.get("using"))
            kwargs["queryset"] = scope(queryset.all(), request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class MaskedPersonalDataMixin:
    """Personal data (``personal_fields``) is never shown unmasked in the admin.

    Lists show the masked value; a change form has only the masked, read-only copy (to see or
    correct the value, use the pages or the API, whose reveal is recorded); the field is typed
    in only when adding. Filtering on it by URL (``?number__startswith=41``), which Django
    allows for any local field, is refused so the list can't be used to guess a value.
    """

    personal_fields: tuple[str, ...] = ()

    def get_exclude(self, request, obj=None):
        excluded = list(super().get_exclude(request, obj) or [])
        if obj is not None:
            excluded += list(self.personal_fields)
        return excluded

    def lookup_allowed(self, lookup, value, request=None):
        if lookup.split(LOOKUP_SEP)[0] in self.personal_fields:
            return False
        return super().lookup_allowed(lookup, value, request)


@admin.register(User)
class UserAdmin(TeamScopedAdmin, BaseUserAdmin):
    team_scope = TeamScope(team="team")
    list_display = ["username", "get_full_name", "team", "is_active", "is_staff", "last_login"]
    list_filter = [("team", admin.RelatedOnlyFieldListFilter), "groups", "is_active", "is_staff"]
    fieldsets = [*BaseUserAdmin.fieldsets, (_("Settle"), {"fields": ["team"]})]


@admin.register(Team)
class TeamAdmin(TeamScopedAdmin, admin.ModelAdmin):
    team_scope = TeamScope(team="pk")
    list_display = ["code", "name", "jurisdiction", "is_active"]
    list_filter = ["jurisdiction", "is_active"]
    search_fields = ["code", "name"]


@admin.register(BucketRange)
class BucketRangeAdmin(admin.ModelAdmin):
    list_display = ["code", "label", "min_days", "max_days"]


def import_origin(obj: Any) -> str:
    """The trail of a record the account feed created (a customer, an account, a write-off of
    an account it created): it has no audit entry of its own."""
    if obj is None or obj.import_batch_id is None:
        return "-"
    batch = obj.import_batch
    return _("batch #%(batch)s, line %(line)s of %(file)s (SHA-256 %(sha)s), run by %(by)s") % {
        "batch": batch.pk,
        "line": obj.import_row,
        "file": batch.file_name,
        "sha": batch.sha256,
        "by": batch.started_by or "-",
    }


@admin.register(Customer)
class CustomerAdmin(TeamScopedAdmin, MaskedPersonalDataMixin, admin.ModelAdmin):
    team_scope = TeamScope(customer="")
    choice_scope = TeamScope(customer="", new_customers=True)  # a new one gets its first account
    personal_fields = ("national_id",)
    list_display = [
        "name",
        "external_ref",
        "masked_national_id",
        "jurisdiction",
        "language",
        "time_zone",
    ]
    list_filter = ["jurisdiction", "language", "country"]
    search_fields = ["name", "external_ref"]
    readonly_fields = ["masked_national_id", "import_origin", "created_at", "updated_at"]

    @admin.display(description=_("national ID"))
    def masked_national_id(self, obj):
        return obj.masked_national_id

    @admin.display(description=_("created by import"))
    def import_origin(self, obj):
        return import_origin(obj)


@admin.register(Account)
class AccountAdmin(TeamScopedAdmin, MaskedPersonalDataMixin, admin.ModelAdmin):
    team_scope = TeamScope(team="team")
    personal_fields = ("number",)
    list_display = [
        "masked_number",
        "customer",
        "product",
        "currency",
        "past_due_amount",
        "delinquent_since",
        "stage",
        "risk_tier",
        "team",
        "assigned_to",
    ]
    list_filter = [
        "stage",
        "risk_tier",
        "product",
        "currency",
        ("team", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["customer__name", "customer__external_ref"]
    list_select_related = ["customer", "team", "assigned_to"]
    raw_id_fields = ["customer"]
    readonly_fields = [
        "masked_number",
        "risk_score",
        "risk_factors",
        "risk_scored_at",
        "propensity",
        "propensity_inputs",
        "import_origin",
        "created_at",
        "updated_at",
    ]
    date_hierarchy = "delinquent_since"

    @admin.display(description=_("account number"))
    def masked_number(self, obj):
        return obj.masked_number

    @admin.display(description=_("created by import"))
    def import_origin(self, obj):
        return import_origin(obj)


@admin.register(BucketHistory)
class BucketHistoryAdmin(TeamScopedAdmin, ReadOnlyAdmin):
    team_scope = TeamScope(team="account__team")
    list_display = [
        "account",
        "bucket",
        "entered_on",
        "entry_balance",
        "exited_on",
        "exit_balance",
        "exited_to",
    ]
    list_filter = ["bucket", "exited_to"]
    list_select_related = ["account"]
    date_hierarchy = "entered_on"


@admin.register(ReAge)
class ReAgeAdmin(TeamScopedAdmin, ReadOnlyAdmin):
    team_scope = TeamScope(team="account__team")
    list_display = [
        "at",
        "account",
        "reason",
        "previous_delinquent_since",
        "delinquent_since",
        "plan_id",
        "by",
    ]
    list_filter = ["reason"]
    list_select_related = ["account", "by"]
    date_hierarchy = "at"


@admin.register(PersonalDataReveal)
class PersonalDataRevealAdmin(TeamScopedAdmin, ReadOnlyAdmin):
    team_scope = TeamScope(customer="customer")
    list_display = [
        "revealed_at",
        "user",
        "customer",
        "account",
        "fields",
        "channel",
        "remote_addr",
    ]
    list_filter = ["channel"]
    search_fields = ["user__username", "customer__name"]
    list_select_related = ["user", "customer", "account"]


@admin.register(ImportBatch)
class ImportBatchAdmin(ReadOnlyAdmin):
    """A feed covers every team, and its errors name customers of all of them: admins and
    heads of collections only."""

    # The admin asks anonymous visitors too (its login page lists the apps): no role, no batches.
    def has_view_permission(self, request, obj=None):
        sees_all = getattr(request.user, "sees_all_teams", False)
        return sees_all and super().has_view_permission(request, obj)

    def has_module_permission(self, request):
        sees_all = getattr(request.user, "sees_all_teams", False)
        return sees_all and super().has_module_permission(request)

    list_display = [
        "started_at",
        "file_name",
        "status",
        "rows",
        "accounts_created",
        "accounts_updated",
    ]
    list_filter = ["status"]


@admin.register(PropensityModel)
class PropensityModelAdmin(ReadOnlyAdmin):
    """Each training of the propensity-to-pay model (``workspace.propensity``): its held-out
    AUC, sizes and coefficients. Written only by ``manage.py propensity_train`` and beat."""

    list_display = [
        "version",
        "status",
        "trained_at",
        "holdout_month",
        "auc_display",
        "train_samples",
        "train_positives",
        "holdout_samples",
        "holdout_positives",
    ]
    list_filter = ["status"]
    fields = [
        "version",
        "status",
        "note",
        "trained_at",
        "as_of",
        "holdout_month",
        "auc_display",
        "train_samples",
        "train_positives",
        "holdout_samples",
        "holdout_positives",
        "coefficient_table",
        "intercept",
    ]
    readonly_fields = fields

    @admin.display(description=_("held-out AUC"), ordering="auc")
    def auc_display(self, obj):
        return "—" if obj.auc is None else f"{obj.auc:.3f}"

    @admin.display(description=_("coefficients (per standardised feature)"))
    def coefficient_table(self, obj):
        rows = [
            (code, f"{coef:+.4f}", f"{mean:.3f}", f"{scale:.3f}")
            for code, coef, mean, scale in zip(
                obj.features, obj.coefficients, obj.means, obj.scales, strict=False
            )
        ]
        if not rows:
            return "—"
        return format_html(
            "<table><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>{}</table>",
            _("feature"),
            _("coefficient"),
            _("mean"),
            _("scale"),
            format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", rows),
        )
