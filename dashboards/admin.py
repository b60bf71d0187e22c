from django.contrib import admin

from accounts.admin import ReadOnlyAdmin, TeamScopedAdmin
from accounts.permissions import TeamScope
from dashboards.models import DailyActivity, PortfolioSnapshot, RefreshRun, RollFact


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
