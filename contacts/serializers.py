from decimal import Decimal

from django.urls import reverse
from rest_framework import serializers

from accounts.permissions import TeamScope
from accounts.serializers import ScopedPrimaryKeyRelatedField
from contacts.evidence_files import validate_evidence_file
from contacts.models import (
    CallbackTask,
    CaseStatus,
    Complaint,
    ContactLog,
    ContactPoint,
    Dispute,
)
from core.api import AwareDateTimeField, BoundedDateField
from core.bounds import MAX_MESSAGE_LENGTH, MAX_NOTE_LENGTH


class ContactPointSerializer(serializers.ModelSerializer):
    value = serializers.CharField(max_length=254)

    class Meta:
        model = ContactPoint
        fields = [
            "id",
            "customer",
            "kind",
            "value",
            "label",
            "region",
            "time_zone",
            "is_primary",
            "opted_out",
            "opted_out_at",
            "is_valid",
            "invalid_reason",
            "valid_from",
            "valid_until",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["customer", "region", "opted_out_at", "created_at", "updated_at"]

    def to_representation(self, instance: ContactPoint) -> dict:
        data = super().to_representation(instance)
        data["value"] = instance.masked_value
        return data


class ContactLogSerializer(serializers.ModelSerializer):
    """Output of the contact log; personal data of the contact point masked."""

    contact_point_masked = serializers.SerializerMethodField()
    user = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    # Blank when the entry has none: declared so the schema admits "".
    disposition = serializers.ChoiceField(
        choices=ContactLog.Disposition.choices, allow_blank=True, read_only=True
    )
    reason = serializers.ChoiceField(
        choices=ContactLog.Reason.choices, allow_blank=True, read_only=True
    )
    attachment = serializers.SerializerMethodField(
        help_text="Where to fetch the evidence file (team-checked, each access recorded)."
    )

    class Meta:
        model = ContactLog
        fields = [
            "id",
            "account",
            "channel",
            "direction",
            "occurred_at",
            "contact_point",
            "contact_point_masked",
            "outcome",
            "disposition",
            "reason",
            "notes",
            "message",
            "consent_to_call_until",
            "user",
            "source",
            "corrects",
            "decision",
            "attachment",
            "created_at",
        ]
        read_only_fields = fields

    def get_contact_point_masked(self, obj: ContactLog) -> str | None:
        return obj.contact_point.masked_value if obj.contact_point_id else None

    def get_attachment(self, obj: ContactLog) -> str | None:
        if not obj.attachment:
            return None
        return reverse(
            "account-contact-attachment", kwargs={"account_id": obj.account_id, "pk": obj.pk}
        )


class ContactLogCreateSerializer(serializers.Serializer):
    """``POST /accounts/{id}/contacts/`` (API.md) plus what a disposition needs."""

    channel = serializers.ChoiceField(choices=ContactLog.Channel.choices)
    direction = serializers.ChoiceField(
        choices=ContactLog.Direction.choices, default=ContactLog.Direction.OUTBOUND
    )
    occurred_at = AwareDateTimeField()
    contact_point = ScopedPrimaryKeyRelatedField(
        queryset=ContactPoint.objects.all(),
        scope=TeamScope(customer="customer"),
        required=False,
        allow_null=True,
    )
    outcome = serializers.ChoiceField(choices=ContactLog.Outcome.choices)
    disposition = serializers.ChoiceField(
        choices=ContactLog.Disposition.choices, required=False, allow_null=True, allow_blank=True
    )
    reason = serializers.ChoiceField(
        choices=ContactLog.Reason.choices, required=False, allow_null=True, allow_blank=True
    )
    notes = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=MAX_NOTE_LENGTH
    )
    message = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=MAX_MESSAGE_LENGTH
    )
    attachment = serializers.FileField(
        required=False,
        allow_empty_file=False,
        max_length=200,
        validators=[validate_evidence_file],
        help_text="multipart upload: a recording or a scan, checked by its content",
    )
    consent_to_call_until = AwareDateTimeField(required=False, allow_null=True)
    corrects = ScopedPrimaryKeyRelatedField(
        queryset=ContactLog.objects.all(),
        scope=TeamScope(team="account__team"),
        required=False,
        allow_null=True,
    )
    promise_amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, required=False, min_value=Decimal("0.01")
    )
    promise_date = BoundedDateField(required=False)
    callback_at = AwareDateTimeField(required=False)
    dispute_kind = serializers.ChoiceField(choices=Dispute.Kind.choices, required=False)
    complaint_category = serializers.ChoiceField(choices=Complaint.Category.choices, required=False)
    cease_in_writing = serializers.BooleanField(required=False, default=False)


class AttachmentUploadSerializer(serializers.Serializer):
    """``POST /accounts/{id}/contacts/{cid}/attachment/``: the evidence file, judged by content."""

    file = serializers.FileField(
        allow_empty_file=False, max_length=200, validators=[validate_evidence_file]
    )


class CallbackSerializer(serializers.ModelSerializer):
    """A callback (API.md, "The life of a case"); the contact point's value masked."""

    contact_point = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    contact_point_masked = serializers.SerializerMethodField()
    assigned_to = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = CallbackTask
        fields = [
            "id",
            "account",
            "status",
            "due_at",
            "contact_point",
            "contact_point_masked",
            "note",
            "assigned_to",
            "contact",
            "done_at",
            "created_at",
        ]
        read_only_fields = fields

    def get_contact_point_masked(self, obj: CallbackTask) -> str | None:
        return obj.contact_point.masked_value if obj.contact_point_id else None


class CallbackCreateSerializer(serializers.Serializer):
    """``POST /accounts/{id}/callbacks/``: when, on which contact point, and a note."""

    due_at = AwareDateTimeField()
    contact_point = ScopedPrimaryKeyRelatedField(
        queryset=ContactPoint.objects.all(),
        scope=TeamScope(customer="customer"),
        required=False,
        allow_null=True,
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=250)


class CallbackRescheduleSerializer(serializers.Serializer):
    due_at = AwareDateTimeField()
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=250)


class CallbackCompleteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=250)


class CaseRecordSerializer(serializers.ModelSerializer):
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    opened_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        fields = [
            "id",
            "account",
            "status",
            "description",
            "owner",
            "opened_at",
            "opened_by",
            "due_date",
            "resolved_at",
            "resolution",
            "contact",
        ]
        read_only_fields = fields


class DisputeSerializer(CaseRecordSerializer):
    class Meta(CaseRecordSerializer.Meta):
        model = Dispute
        fields = [*CaseRecordSerializer.Meta.fields, "kind", "restriction"]
        read_only_fields = fields


class ComplaintSerializer(CaseRecordSerializer):
    class Meta(CaseRecordSerializer.Meta):
        model = Complaint
        fields = [*CaseRecordSerializer.Meta.fields, "category", "received_via"]
        read_only_fields = fields


class CaseTransitionSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=CaseStatus.choices)
    note = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=MAX_NOTE_LENGTH
    )


class TimelineEventSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    kind = serializers.CharField()
    title = serializers.CharField()
    detail = serializers.CharField()
    by = serializers.CharField()
    ref = serializers.IntegerField(allow_null=True)
    reason = serializers.CharField(help_text="A contact's reason for delinquency.")
    message = serializers.CharField(help_text="The text an SMS, email or letter sent.")
    recording = serializers.CharField(
        help_text="Where to fetch the contact's evidence file (team-checked, access recorded)."
    )
