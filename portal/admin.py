from django.contrib import admin

from accounts.admin import ReadOnlyAdmin, TeamScopedAdmin
from accounts.permissions import TeamScope
from portal.models import (
    PortalEvent,
    PortalSession,
    SelfServiceAcceptance,
    SelfServicePolicy,
    VerificationAttempt,
)


@admin.register(SelfServicePolicy)
class SelfServicePolicyAdmin(admin.ModelAdmin):
    list_display = [
        "jurisdiction",
        "plans_enabled",
        "max_installments",
        "annual_rate",
        "settlements_enabled",
        "max_discount",
        "buckets",
        "risk_tiers",
        "updated_at",
    ]


@admin.register(PortalEvent)
class PortalEventAdmin(TeamScopedAdmin, ReadOnlyAdmin):
    team_scope = TeamScope(team="account__team")
    list_display = ["at", "kind", "account", "detail", "ip_address"]
    list_filter = ["kind"]
    list_select_related = ["account"]
    date_hierarchy = "at"


@admin.register(SelfServiceAcceptance)
class SelfServiceAcceptanceAdmin(TeamScopedAdmin, ReadOnlyAdmin):
    team_scope = TeamScope(team="account__team")
    list_display = ["accepted_at", "account", "plan", "language", "ip_address", "text_sha256"]
    list_select_related = ["account", "plan"]
    date_hierarchy = "accepted_at"


class SecurityRecordAdmin(ReadOnlyAdmin):
    """Sessions and verification attempts: for admins investigating abuse, nobody else."""

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_module_permission(self, request):
        return request.user.is_superuser


@admin.register(PortalSession)
class PortalSessionAdmin(SecurityRecordAdmin):
    list_display = [
        "created_at",
        "customer_id",
        "identified_at",
        "verified_at",
        "ended_at",
        "ip_address",
    ]
    exclude = ["key_hash"]


@admin.register(VerificationAttempt)
class VerificationAttemptAdmin(SecurityRecordAdmin):
    list_display = ["at", "customer_id", "step", "succeeded", "ip_address"]
    list_filter = ["step", "succeeded"]
