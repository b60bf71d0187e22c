"""Admin: agencies are set up here (admins); placements, batches, commissions and export
downloads change only through ``agencies.services``, so they are read-only, limited by team."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts.admin import ReadOnlyAdmin, TeamScopedAdmin
from accounts.models import Jurisdiction
from accounts.permissions import TeamScope
from agencies.models import Agency, AgencyCommission, ExportDownload, Placement, PlacementBatch


class AgencyForm(forms.ModelForm):
    jurisdictions = forms.MultipleChoiceField(
        label=_("jurisdictions"),
        choices=Jurisdiction.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Where the agency is licensed to collect."),
    )

    class Meta:
        model = Agency
        fields = [
            "code",
            "name",
            "jurisdictions",
            "commission_rate",
            "max_placement_days",
            "contact_email",
            "is_active",
        ]


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    form = AgencyForm
    list_display = [
        "code",
        "name",
        "jurisdictions",
        "commission_rate",
        "max_placement_days",
        "is_active",
    ]
    list_filter = ["is_active"]
    search_fields = ["code", "name"]

    def has_delete_permission(self, request, obj=None):
        return False  # placements refer to it: make it inactive instead


@admin.register(Placement)
class PlacementAdmin(TeamScopedAdmin, ReadOnlyAdmin):
    team_scope = TeamScope(team="account__team")
    list_display = [
        "id",
        "account",
        "agency",
        "status",
        "placed_at",
        "recall_on",
        "balance_at_placement",
        "currency",
        "recalled_at",
    ]
    list_filter = ["status", "agency", "currency"]
    search_fields = ["account__customer__name", "agency__code"]
    list_select_related = ["account", "agency"]
    date_hierarchy = "placed_at"


@admin.register(PlacementBatch)
class PlacementBatchAdmin(ReadOnlyAdmin):
    """Admins only (role table): a batch may span teams."""

    list_display = ["id", "agency", "placed_at", "placed_by", "count", "export_sha256"]
    list_filter = ["agency"]
    list_select_related = ["agency", "placed_by"]
    date_hierarchy = "placed_at"
    exclude = ["export_content"]  # the file, with its personal data: downloaded from its page


@admin.register(AgencyCommission)
class AgencyCommissionAdmin(TeamScopedAdmin, ReadOnlyAdmin):
    team_scope = TeamScope(team="placement__account__team")
    list_display = ["id", "payment", "placement", "amount", "created_at"]
    list_select_related = ["payment", "placement"]
    search_fields = ["payment__reference"]


@admin.register(ExportDownload)
class ExportDownloadAdmin(ReadOnlyAdmin):
    list_display = ["at", "user", "batch", "remote_addr"]
    list_select_related = ["user", "batch"]
    date_hierarchy = "at"
