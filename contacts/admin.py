from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts import masking
from accounts.admin import MaskedPersonalDataMixin, ReadOnlyAdmin, TeamScopedAdmin
from accounts.permissions import TeamScope
from contacts.models import (
    CallbackTask,
    CaseEvent,
    Complaint,
    ContactFollowUp,
    ContactLog,
    ContactPoint,
    Dispute,
    Letter,
    PrintBatch,
)


@admin.register(ContactPoint)
class ContactPointAdmin(TeamScopedAdmin, MaskedPersonalDataMixin, admin.ModelAdmin):
    team_scope = TeamScope(customer="customer")
    personal_fields = ("value",)
    list_display = ["customer", "kind", "label", "masked", "region", "opted_out", "is_valid"]
    list_filter = ["kind", "label", "opted_out", "is_valid", "region"]
    search_fields = ["customer__name", "customer__external_ref"]
    list_select_related = ["customer"]
    raw_id_fields = ["customer"]
    readonly_fields = ["masked"]

    @admin.display(description=_("value"))
    def masked(self, obj):
        return obj.masked_value


@admin.register(ContactLog)
class ContactLogAdmin(TeamScopedAdmin, admin.ModelAdmin):
    """Read-only: the log is evidence, corrected by new entries, never edited."""

    team_scope = TeamScope(team="account__team")
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


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    extra = 0
    can_delete = False
    readonly_fields = ["from_status", "to_status", "by", "at", "note"]

    def has_add_permission(self, request, obj=None):
        return False


class CaseRecordAdmin(TeamScopedAdmin, admin.ModelAdmin):
    """Status moves go through the API or services (they write events); the rest is editable."""

    team_scope = TeamScope(team="account__team")
    list_display = ["id", "account", "status", "owner", "opened_at", "due_date", "resolved_at"]
    list_filter = ["status"]
    search_fields = ["account__customer__name", "description"]
    list_select_related = ["account", "owner"]
    raw_id_fields = ["account", "customer", "contact", "owner", "opened_by"]
    readonly_fields = ["status", "opened_at", "opened_by", "resolved_at"]
    date_hierarchy = "opened_at"
    inlines = [CaseEventInline]


@admin.register(Dispute)
class DisputeAdmin(CaseRecordAdmin):
    list_display = [*CaseRecordAdmin.list_display, "kind"]
    list_filter = ["status", "kind"]


@admin.register(Complaint)
class ComplaintAdmin(CaseRecordAdmin):
    list_display = [*CaseRecordAdmin.list_display, "category"]
    list_filter = ["status", "category"]


@admin.register(CallbackTask)
class CallbackTaskAdmin(TeamScopedAdmin, admin.ModelAdmin):
    team_scope = TeamScope(team="account__team")
    list_display = ["due_at", "account", "assigned_to", "status", "note"]
    list_filter = ["status"]
    list_select_related = ["account", "assigned_to"]
    raw_id_fields = ["account", "assigned_to", "contact"]


# --- Reminders and treatment strategies ------------------------------------------------------
from contacts.models import Reminder, StrategyVersion, TreatmentStrategy  # noqa: E402


@admin.register(StrategyVersion)
class StrategyVersionAdmin(ReadOnlyAdmin):
    """Read-only: versions are started, stopped and promoted on the Strategies page."""

    list_display = ["number", "name", "status", "challenger_share", "started_at", "stopped_at"]
    list_filter = ["status"]


@admin.register(TreatmentStrategy)
class TreatmentStrategyAdmin(admin.ModelAdmin):
    """Supervisors tune which tier × bucket gets which channel, template and cadence."""

    list_display = [
        "code",
        "version",
        "jurisdiction",
        "risk_tier",
        "bucket_code",
        "stage",
        "channel",
        "template_code",
        "cadence_days",
        "propensity_from",
        "propensity_below",
        "is_active",
    ]
    list_filter = ["version", "jurisdiction", "risk_tier", "bucket_code", "channel", "is_active"]
    list_editable = ["cadence_days", "is_active"]
    search_fields = ["code", "name", "template_code"]


@admin.register(Reminder)
class ReminderAdmin(TeamScopedAdmin, admin.ModelAdmin):
    """Read-only: reminders change state only through ``outreach.reminders``."""

    team_scope = TeamScope(team="account__team")
    list_display = [
        "idempotency_key",
        "account",
        "kind",
        "channel",
        "status",
        "attempts",
        "due_at",
        "next_attempt_at",
        "sent_at",
        "delivery_status",
    ]
    list_filter = ["status", "kind", "channel", "delivery_status"]
    search_fields = ["idempotency_key"]
    list_select_related = ["account"]
    raw_id_fields = ["account", "contact_point", "template", "decision", "contact"]
    date_hierarchy = "due_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ContactFollowUp)
class ContactFollowUpAdmin(TeamScopedAdmin, ReadOnlyAdmin):
    """The outbox of logged contacts: pending rows are work a broker outage held back."""

    team_scope = TeamScope(team="account__team")
    list_display = ["entry", "account", "created_at", "done_at", "attempts", "last_error"]
    list_filter = [("done_at", admin.EmptyFieldListFilter)]
    list_select_related = ["entry", "account"]
    date_hierarchy = "created_at"


# --- Two-way messages ------------------------------------------------------------------------
from contacts.models import DeliveryReceipt, InboundMessage  # noqa: E402


@admin.register(InboundMessage)
class InboundMessageAdmin(TeamScopedAdmin, MaskedPersonalDataMixin, ReadOnlyAdmin):
    """Read-only: what customers sent (``outreach.inbound`` writes them). The sender is masked;
    a message from an unknown sender belongs to no team (admins see it)."""

    team_scope = TeamScope(team="account__team")
    personal_fields = ("sender",)
    list_display = [
        "received_at",
        "channel",
        "masked_sender",
        "intent",
        "known_sender",
        "account",
        "reply_status",
    ]
    list_filter = ["channel", "intent", "known_sender", "reply_status"]
    search_fields = ["provider_message_id", "account__customer__name"]
    list_select_related = ["account"]
    date_hierarchy = "received_at"
    raw_id_fields = [
        "customer",
        "account",
        "contact_point",
        "entry",
        "reply",
        "reply_decision",
    ]
    readonly_fields = ["masked_sender"]

    @admin.display(description=_("sender"))
    def masked_sender(self, obj):
        if obj.channel == InboundMessage.Channel.EMAIL:
            return masking.mask_email(obj.sender)
        return masking.mask_phone(obj.sender)


@admin.register(DeliveryReceipt)
class DeliveryReceiptAdmin(TeamScopedAdmin, ReadOnlyAdmin):
    """Read-only: delivery receipts and bounces the channels posted."""

    team_scope = TeamScope(team="reminder__account__team")
    list_display = ["occurred_at", "channel", "status", "provider_message_id", "reminder", "error"]
    list_filter = ["channel", "status"]
    search_fields = ["provider_event_id", "provider_message_id", "reference"]
    list_select_related = ["reminder"]
    date_hierarchy = "occurred_at"
    raw_id_fields = ["reminder", "contact_point"]


@admin.register(Letter)
class LetterAdmin(TeamScopedAdmin, ReadOnlyAdmin):
    """Letters are evidence: read-only here; the PDF is fetched from the case timeline, where
    each download is recorded."""

    team_scope = TeamScope(team="account__team")
    list_display = ["id", "created_at", "account", "kind", "language", "pages", "sha256"]
    list_filter = ["kind", "language"]
    search_fields = ["idempotency_key", "sha256"]
    list_select_related = ["account"]
    raw_id_fields = ["account", "reminder"]
    date_hierarchy = "created_at"


@admin.register(PrintBatch)
class PrintBatchAdmin(ReadOnlyAdmin):
    """The day's letters for the print shop (``manage.py print_batch``, the beat task)."""

    list_display = ["day", "letter_count", "page_count", "manifest", "manifest_sha256"]
    date_hierarchy = "day"
    filter_horizontal = ["letters"]
