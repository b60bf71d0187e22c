"""Admin: policies are edited here; plans, payments and promises only change through services,
so they are read-only (searchable and filterable)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts.admin import ReadOnlyAdmin, TeamScopedAdmin, import_origin
from accounts.permissions import TeamScope
from plans.models import (
    Allocation,
    HardshipArrangement,
    Installment,
    MinimumInstallment,
    Payment,
    Plan,
    PlanEvent,
    PlanPolicy,
    PromiseToPay,
    Settlement,
    SettlementAuthority,
    WriteOff,
    WriteOffPolicy,
)


class MinimumInstallmentInline(admin.TabularInline):
    model = MinimumInstallment
    extra = 1


class SettlementAuthorityInline(admin.TabularInline):
    model = SettlementAuthority
    extra = 0


@admin.register(PlanPolicy)
class PlanPolicyAdmin(admin.ModelAdmin):
    list_display = [
        "jurisdiction",
        "max_installments",
        "affordability_share",
        "missed_installments_to_break",
        "grace_days",
        "specialist_concession_limit",
        "supervisor_concession_limit",
        "max_payment_holiday_months",
        "max_reschedules_per_year",
        "max_hardship_months",
    ]
    inlines = [MinimumInstallmentInline, SettlementAuthorityInline]

    def has_delete_permission(self, request, obj=None):
        return False  # a missing policy silently falls back to the defaults


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class InstallmentInline(ReadOnlyInline):
    model = Installment
    fields = [
        "number",
        "due_date",
        "principal",
        "interest",
        "fee",
        "amount",
        "paid_amount",
        "status",
        "paid_at",
    ]


class PlanEventInline(ReadOnlyInline):
    model = PlanEvent
    fields = ["at", "action", "from_status", "to_status", "by", "note"]


@admin.register(Plan)
class PlanAdmin(TeamScopedAdmin, ReadOnlyAdmin):
    team_scope = TeamScope(team="account__team")
    list_display = [
        "id",
        "account",
        "status",
        "method",
        "principal",
        "installment_count",
        "apr",
        "currency",
        "proposed_by",
        "approved_by",
        "created_at",
    ]
    list_filter = ["status", "method", "frequency", "currency", "concessions_conditional"]
    search_fields = ["=id", "account__customer__name", "account__customer__external_ref"]
    list_select_related = ["account", "proposed_by", "approved_by"]
    date_hierarchy = "created_at"
    inlines = [InstallmentInline, PlanEventInline]


@admin.register(PlanEvent)
class PlanEventAdmin(TeamScopedAdmin, ReadOnlyAdmin):
    team_scope = TeamScope(team="plan__account__team")
    list_display = ["at", "plan", "action", "from_status", "to_status", "by"]
    list_filter = ["action", "to_status"]
    search_fields = ["=plan__id", "by__username", "note"]
    list_select_related = ["plan", "by"]
    date_hierarchy = "at"


class AllocationInline(ReadOnlyInline):
    model = Allocation
    fields = ["installment", "component", "amount"]


@admin.register(Payment)
class PaymentAdmin(TeamScopedAdmin, ReadOnlyAdmin):
    team_scope = TeamScope(team="account__team")
    list_display = ["reference", "account", "amount", "received_at", "source", "plan"]
    list_filter = ["source"]
    search_fields = ["reference", "account__customer__name", "account__customer__external_ref"]
    list_select_related = ["account", "plan"]
    date_hierarchy = "received_at"
    inlines = [AllocationInline]


@admin.register(Allocation)
class AllocationAdmin(TeamScopedAdmin, ReadOnlyAdmin):
    team_scope = TeamScope(team="payment__account__team")
    list_display = ["payment", "installment", "component", "amount"]
    list_filter = ["component"]
    search_fields = ["payment__reference"]
    list_select_related = ["payment", "installment"]


@admin.register(PromiseToPay)
class PromiseToPayAdmin(TeamScopedAdmin, ReadOnlyAdmin):
    team_scope = TeamScope(team="account__team")
    list_display = ["account", "amount", "due_date", "status", "paid_amount", "created_by"]
    list_filter = ["status"]
    search_fields = ["account__customer__name", "account__customer__external_ref"]
    list_select_related = ["account", "created_by"]
    date_hierarchy = "due_date"


@admin.register(Settlement)
class SettlementAdmin(TeamScopedAdmin, ReadOnlyAdmin):
    team_scope = TeamScope(team="account__team")
    list_display = [
        "id",
        "account",
        "status",
        "amount",
        "discount",
        "installment_count",
        "expires_on",
        "paid_amount",
        "currency",
        "proposed_by",
    ]
    list_filter = ["status", "currency"]
    search_fields = ["=id", "account__customer__name", "account__customer__external_ref"]
    list_select_related = ["account", "proposed_by"]
    date_hierarchy = "created_at"


@admin.register(HardshipArrangement)
class HardshipArrangementAdmin(TeamScopedAdmin, ReadOnlyAdmin):
    team_scope = TeamScope(team="account__team")
    list_display = [
        "id",
        "account",
        "kind",
        "status",
        "monthly_amount",
        "starts_on",
        "ends_on",
        "review_on",
        "outcome",
    ]
    list_filter = ["kind", "status", "outcome"]
    search_fields = ["=id", "account__customer__name", "account__customer__external_ref"]
    list_select_related = ["account"]
    date_hierarchy = "starts_on"


@admin.register(WriteOffPolicy)
class WriteOffPolicyAdmin(admin.ModelAdmin):
    list_display = ["jurisdiction", "product", "days_past_due", "active", "citation"]
    list_filter = ["jurisdiction", "product", "active"]

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: write-offs name the policy that applied


@admin.register(WriteOff)
class WriteOffAdmin(TeamScopedAdmin, ReadOnlyAdmin):
    """Read-only: write-offs are applied by the nightly policy run or approved on the approvals
    page (``plans.services.writeoff``), never edited."""

    team_scope = TeamScope(team="account__team")
    list_display = [
        "id",
        "account",
        "kind",
        "status",
        "charge_off_date",
        "principal",
        "interest",
        "fees",
        "total",
        "currency",
        "days_past_due",
        "stop_collecting",
        "proposed_by",
        "decided_by",
    ]
    list_filter = ["kind", "status", "currency", "stop_collecting"]
    search_fields = ["=id", "account__customer__name", "account__customer__external_ref"]
    list_select_related = ["account", "proposed_by", "decided_by"]
    date_hierarchy = "proposed_at"
    readonly_fields = ["import_origin"]

    @admin.display(description=_("created by import"))
    def import_origin(self, obj):
        """A policy write-off the account feed made with the account it created."""
        return import_origin(obj)
