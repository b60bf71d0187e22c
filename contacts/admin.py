from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from contacts.models import ContactLog, ContactPoint


@admin.register(ContactPoint)
class ContactPointAdmin(admin.ModelAdmin):
    list_display = ["customer", "kind", "label", "masked", "region", "opted_out", "is_valid"]
    list_filter = ["kind", "label", "opted_out", "is_valid", "region"]
    search_fields = ["customer__name", "customer__external_ref"]
    list_select_related = ["customer"]
    raw_id_fields = ["customer"]

    @admin.display(description=_("value"))
    def masked(self, obj):
        return obj.masked_value

    def get_exclude(self, request, obj=None):
        if obj is not None and not request.user.has_perm("accounts.reveal_personal_data"):
            return ["value"]
        return super().get_exclude(request, obj)


@admin.register(ContactLog)
class ContactLogAdmin(admin.ModelAdmin):
    """Read-only: the log is evidence, corrected by new entries, never edited."""

    list_display = [
        "occurred_at",
        "account",
        "channel",
        "direction",
        "outcome",
        "disposition",
        "user",
        "source",
    ]
    list_filter = ["channel", "direction", "outcome", "disposition", "reason", "source"]
    search_fields = ["account__customer__name", "account__customer__external_ref"]
    list_select_related = ["account", "user"]
    date_hierarchy = "occurred_at"
    raw_id_fields = ["account", "customer", "contact_point", "user", "corrects"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
