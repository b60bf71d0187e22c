from django.contrib import admin

from accounts.admin import ReadOnlyAdmin, TeamScopedAdmin
from accounts.permissions import TeamScope
from dashboards.models import DailyActivity, PortfolioSnapshot, RefreshRun, RollFact, Target


@admin.register(PortfolioSnapshot)
class PortfolioSnapshotAdmin(TeamScopedAdmin, ReadOnlyAdmin):
    team_scope = TeamScope(team="team_id")
    list_display = [
        "day",
        "team_id",
        "specialist_id",
        "jurisdiction",
        "product",
        "currency",
        "bucket",
        "tier",
        "accounts",
        "balance",
    ]
    list_filter = ["day", "jurisdiction", "product", "bucket", "tier"]


@admin.register(DailyActivity)
class DailyActivityAdmin(TeamScopedAdmin, ReadOnlyAdmin):
    team_scope = TeamScope(team="team_id")
    list_display = [
        "day",
        "metric",
        "key",
        "team_id",
        "specialist_id",
        "product",
        "currency",
        "count",
        "amount",
    ]
    list_filter = ["metric", "day", "jurisdiction", "product"]


@admin.register(RollFact)
class RollFactAdmin(TeamScopedAdmin, ReadOnlyAdmin):
    team_scope = TeamScope(team="team_id")
    list_display = [
        "month",
        "team_id",
        "jurisdiction",
        "product",
        "from_bucket",
        "to_bucket",
        "accounts",
    ]
    list_filter = ["month", "from_bucket", "to_bucket"]


@admin.register(RefreshRun)
class RefreshRunAdmin(ReadOnlyAdmin):
    list_display = ["day", "started_at", "finished_at", "seconds", "rows", "by"]


@admin.register(Target)
class TargetAdmin(TeamScopedAdmin, admin.ModelAdmin):
    """Monthly targets; a supervisor sets them for their team and its specialists only (the
    team and specialist choices are scoped like the pages)."""

    team_scope = TeamScope(team="team")
    list_display = ["month", "team", "specialist", "metric", "value", "currency", "created_by"]
    list_filter = ["month", "metric", ("team", admin.RelatedOnlyFieldListFilter)]
    fields = [
        "month",
        "team",
        "specialist",
        "metric",
        "value",
        "currency",
        "created_by",
        "created_at",
    ]
    readonly_fields = ["created_by", "created_at"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
