from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from contacts.models import ContactPoint


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
