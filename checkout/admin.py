"""Admin: checkout sessions and provider events change only through ``checkout.services``, so
they are read-only, limited by team like every account's records."""

from django.contrib import admin

from accounts.admin import ReadOnlyAdmin, TeamScopedAdmin
from accounts.permissions import TeamScope
from checkout.models import CheckoutSession, ProviderEvent


@admin.register(CheckoutSession)
class CheckoutSessionAdmin(TeamScopedAdmin, ReadOnlyAdmin):
    team_scope = TeamScope(team="account__team")
    list_display = [
        "id",
        "account",
        "amount",
        "currency",
        "status",
        "purpose",
        "provider",
        "created_at",
        "completed_at",
        "payment",
    ]
    list_filter = ["status", "purpose", "provider", "self_service"]
    search_fields = ["provider_session_id", "payment__reference", "account__customer__name"]
    list_select_related = ["account", "payment"]
    date_hierarchy = "created_at"
    exclude = ["token"]  # the customer's link: not for the admin to hand around


@admin.register(ProviderEvent)
class ProviderEventAdmin(TeamScopedAdmin, ReadOnlyAdmin):
    team_scope = TeamScope(team="session__account__team")
    list_display = ["event_id", "provider", "type", "outcome", "received_at", "session"]
    list_filter = ["outcome", "provider", "type"]
    search_fields = ["event_id", "session__provider_session_id"]
    list_select_related = ["session"]
    date_hierarchy = "received_at"
