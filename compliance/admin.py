"""Admin: profiles with their wording rules and required texts (patterns validated on save),
restrictions (searchable, audited), decisions read-only."""

from __future__ import annotations

from django.contrib import admin
from django.db import connection
from django.utils.translation import gettext_lazy as _

from accounts.admin import TeamScopedAdmin
from accounts.permissions import TeamScope
from compliance import rules
from compliance.models import (
    CommunicationRestriction,
    ComplianceDecision,
    JurisdictionProfile,
    RequiredText,
    WordingRule,
)


class WordingRuleInline(admin.TabularInline):
    model = WordingRule
    extra = 0
    fields = ["rule", "category", "language", "pattern", "description", "is_active"]


class RequiredTextInline(admin.StackedInline):
    model = RequiredText
    extra = 0
    fields = ["kind", "key", "language", "description", "accepted", "is_active"]


@admin.register(JurisdictionProfile)
class JurisdictionProfileAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "window_start",
        "window_end",
        "weekly_call_limit",
        "daily_connected_call_cap",
        "retention_years",
        "is_active",
    ]
    inlines = [WordingRuleInline, RequiredTextInline]
    fieldsets = [
        (None, {"fields": ["code", "name", "is_active"]}),
        (_("Contact window"), {"fields": ["window_start", "window_end", "default_time_zones"]}),
        (
            _("Frequency"),
            {
                "fields": [
                    "weekly_call_limit",
                    "weekly_window_days",
                    "post_conversation_quiet_days",
                    "daily_connected_call_cap",
                ]
            },
        ),
        (_("Records and plans"), {"fields": ["retention_years", "max_plan_installments"]}),
        (_("Citations"), {"fields": ["citations"]}),
    ]

    def has_delete_permission(self, request, obj=None):
        return False  # switch a profile off instead; the built-in defaults then apply


@admin.register(WordingRule)
class WordingRuleAdmin(admin.ModelAdmin):
    """All wording rules, including the ones shared by every jurisdiction (no profile)."""

    list_display = ["pattern", "rule", "category", "language", "profile", "is_active"]
    list_filter = ["rule", "category", "language", "profile", "is_active"]
    search_fields = ["pattern", "description"]
    list_select_related = ["profile"]


@admin.register(RequiredText)
class RequiredTextAdmin(admin.ModelAdmin):
    list_display = ["profile", "kind", "key", "language", "is_active"]
    list_filter = ["profile", "kind", "language", "is_active"]
    search_fields = ["key", "accepted", "description"]


@admin.register(CommunicationRestriction)
class CommunicationRestrictionAdmin(TeamScopedAdmin, admin.ModelAdmin):
    team_scope = TeamScope(customer="customer")
    list_display = [
        "customer",
        "account",
        "kind",
        "channel",
        "effective_from",
        "effective_to",
        "ended_at",
        "source",
        "created_by",
    ]
    list_filter = ["kind", "channel", "source", ("ended_at", admin.EmptyFieldListFilter)]
    search_fields = ["customer__name", "customer__external_ref", "attorney_name"]
    list_select_related = ["customer", "account", "created_by"]
    raw_id_fields = ["customer", "account", "contact_point", "created_by", "ended_by"]
    date_hierarchy = "effective_from"
    readonly_fields = ["created_by", "created_at", "ended_at", "ended_by"]

    def save_model(self, request, obj, form, change):
        if not change and obj.created_by_id is None:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request, obj=None):
        return False  # history: end a restriction instead


class RuleFilter(admin.SimpleListFilter):
    title = _("rule")
    parameter_name = "rule"

    def lookups(self, request, model_admin):
        return [(code, code) for code in rules.RULE_CODES]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if connection.vendor == "postgresql":
            return queryset.filter(violations__contains=[{"rule": value}])
        return queryset.filter(violations__icontains=f'"{value}"')


@admin.register(ComplianceDecision)
class ComplianceDecisionAdmin(TeamScopedAdmin, admin.ModelAdmin):
    """Read-only: decisions are evidence."""

    team_scope = TeamScope(team="account__team")

    list_display = ["created_at", "account", "channel", "at", "allowed", "rules", "purpose"]
    list_filter = ["allowed", RuleFilter, "channel", "purpose", "jurisdiction"]
    search_fields = ["customer__name", "customer__external_ref"]
    list_select_related = ["account"]
    date_hierarchy = "created_at"
    raw_id_fields = ["account", "customer", "contact_point", "checked_by"]

    @admin.display(description=_("rules"))
    def rules(self, obj: ComplianceDecision) -> str:
        return ", ".join(obj.rule_codes)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
