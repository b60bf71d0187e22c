"""Admin: legal authorities are edited here; referrals, cases, steps and costs change only
through ``legal.services`` (the legal pages), so they are read-only, limited by team."""

from django.contrib import admin

from accounts.admin import ReadOnlyAdmin, TeamScopedAdmin
from accounts.permissions import TeamScope
from legal.models import (
    LegalAuthority,
    LegalCase,
    LegalCost,
    LegalReferral,
    LegalStep,
    ReferralDocument,
)


@admin.register(LegalAuthority)
class LegalAuthorityAdmin(admin.ModelAdmin):
    list_display = ["role", "currency", "max_balance"]
    list_filter = ["role", "currency"]


class ReadOnlyInline(admin.TabularInline):
    """A record's rows as they were written: nothing added, changed or deleted here."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class ReferralDocumentInline(ReadOnlyInline):
    model = ReferralDocument
    fields = ["name", "sha256", "size", "uploaded_by", "uploaded_at"]


@admin.register(LegalReferral)
class LegalReferralAdmin(TeamScopedAdmin, ReadOnlyAdmin):
    team_scope = TeamScope(team="account__team")
    list_display = ["id", "account", "status", "balance", "currency", "referred_by", "referred_at"]
    list_filter = ["status", "currency"]
    search_fields = ["account__number", "account__customer__name"]
    list_select_related = ["account", "referred_by"]
    date_hierarchy = "referred_at"
    inlines = [ReferralDocumentInline]


class LegalStepInline(ReadOnlyInline):
    model = LegalStep
    fields = ["kind", "due_on", "done_on", "note", "created_by"]


class LegalCostInline(ReadOnlyInline):
    model = LegalCost
    fields = ["kind", "incurred_on", "amount", "currency", "recoverable", "note"]


@admin.register(LegalCase)
class LegalCaseAdmin(TeamScopedAdmin, ReadOnlyAdmin):
    team_scope = TeamScope(team="account__team")
    list_display = [
        "id",
        "account",
        "status",
        "court",
        "case_number",
        "claim_amount",
        "currency",
        "filed_on",
        "judgment_on",
        "outcome",
    ]
    list_filter = ["status", "outcome", "currency"]
    search_fields = ["case_number", "court", "account__number", "account__customer__name"]
    list_select_related = ["account"]
    date_hierarchy = "opened_at"
    inlines = [LegalStepInline, LegalCostInline]
