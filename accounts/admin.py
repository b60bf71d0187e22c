"""Admin: searchable, filterable, personal data masked in lists; audit rows read-only."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts import services
from accounts.models import (
    Account,
    BucketHistory,
    BucketRange,
    Customer,
    ImportBatch,
    PersonalDataReveal,
    Team,
    User,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """For audit trails: visible to those allowed, changed by nobody."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class MaskedPersonalDataMixin:
    """Hide raw personal fields from the form unless the user may reveal them (logged)."""

    personal_fields: tuple[str, ...] = ()

    def get_exclude(self, request, obj=None):
        excluded = list(super().get_exclude(request, obj) or [])
        if obj is not None and not request.user.has_perm(services.REVEAL_PERMISSION):
            excluded += list(self.personal_fields)
        return excluded

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        if (
            obj is not None
            and request.method == "GET"
            and request.user.has_perm(services.REVEAL_PERMISSION)
        ):
            customer = obj if isinstance(obj, Customer) else obj.customer
            services.personal_data_reveal(
                user=request.user,
                customer=customer,
                account=obj if isinstance(obj, Account) else None,
                channel="admin",
                remote_addr=request.META.get("REMOTE_ADDR"),
            )
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "get_full_name", "team", "is_active", "is_staff", "last_login"]
    list_filter = ["team", "groups", "is_active", "is_staff"]
    fieldsets = [*BaseUserAdmin.fieldsets, (_("Settle"), {"fields": ["team"]})]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "jurisdiction", "is_active"]
    list_filter = ["jurisdiction", "is_active"]
    search_fields = ["code", "name"]


@admin.register(BucketRange)
class BucketRangeAdmin(admin.ModelAdmin):
    list_display = ["code", "label", "min_days", "max_days"]


@admin.register(Customer)
class CustomerAdmin(MaskedPersonalDataMixin, admin.ModelAdmin):
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
    readonly_fields = ["masked_national_id", "created_at", "updated_at"]

    @admin.display(description=_("national ID"))
    def masked_national_id(self, obj):
        return obj.masked_national_id


@admin.register(Account)
class AccountAdmin(MaskedPersonalDataMixin, admin.ModelAdmin):
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
    list_filter = ["stage", "risk_tier", "product", "currency", "team"]
    search_fields = ["customer__name", "customer__external_ref"]
    list_select_related = ["customer", "team", "assigned_to"]
    raw_id_fields = ["customer"]
    readonly_fields = [
        "masked_number",
        "risk_score",
        "risk_factors",
        "risk_scored_at",
        "created_at",
        "updated_at",
    ]
    date_hierarchy = "delinquent_since"

    @admin.display(description=_("account number"))
    def masked_number(self, obj):
        return obj.masked_number


@admin.register(BucketHistory)
class BucketHistoryAdmin(ReadOnlyAdmin):
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


@admin.register(PersonalDataReveal)
class PersonalDataRevealAdmin(ReadOnlyAdmin):
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
    list_display = [
        "started_at",
        "file_name",
        "status",
        "rows",
        "accounts_created",
        "accounts_updated",
    ]
    list_filter = ["status"]
