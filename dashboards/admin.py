from django.contrib import admin

from dashboards.models import DailyActivity, PortfolioSnapshot, RefreshRun, RollFact


class ReadOnlyAdmin(admin.ModelAdmin):
    """Facts are written only by the refresh; admins may look, not edit."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PortfolioSnapshot)
class PortfolioSnapshotAdmin(ReadOnlyAdmin):
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
class DailyActivityAdmin(ReadOnlyAdmin):
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
class RollFactAdmin(ReadOnlyAdmin):
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
