"""API shapes for the compliance check, restrictions and stored decisions (API.md)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.models import ContactPoint
from accounts.permissions import TeamScope
from accounts.serializers import ScopedPrimaryKeyRelatedField
from compliance import services
from compliance.models import (
    Channel,
    CommunicationRestriction,
    ComplianceDecision,
    RestrictionKind,
    RestrictionSource,
)
from core.api import AwareDateTimeField
from core.bounds import MAX_MESSAGE_LENGTH


class ViolationSerializer(serializers.Serializer):
    rule = serializers.CharField()
    citation = serializers.CharField()
    message = serializers.CharField()


class CheckRequestSerializer(serializers.Serializer):
    account = serializers.IntegerField(min_value=1)
    channel = serializers.ChoiceField(choices=Channel.choices)
    at = AwareDateTimeField(required=False, help_text=_("Defaults to now."))
    contact_point = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    message = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        trim_whitespace=False,
        max_length=MAX_MESSAGE_LENGTH,
    )
    recipient = serializers.ChoiceField(
        choices=[(r, r) for r in services.RECIPIENTS], required=False, default="debtor"
    )


class CheckResponseSerializer(serializers.Serializer):
    allowed = serializers.BooleanField()
    violations = ViolationSerializer(many=True)
    next_allowed_at = serializers.CharField(
        allow_null=True, help_text=_("ISO 8601 in the customer's local offset, or null.")
    )


class RestrictionSerializer(serializers.ModelSerializer):
    all_accounts = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text=_("Cover every account of the customer (default: yes, except a dispute)."),
    )
    contact_point = ScopedPrimaryKeyRelatedField(
        queryset=ContactPoint.objects.all(),
        scope=TeamScope(customer="customer"),
        required=False,
        allow_null=True,
    )
    kind = serializers.ChoiceField(choices=RestrictionKind.choices)
    source = serializers.ChoiceField(choices=RestrictionSource.choices)
    created_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    ended_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    is_active = serializers.SerializerMethodField()

    class Meta:
        model = CommunicationRestriction
        fields = [
            "id",
            "customer",
            "account",
            "all_accounts",
            "kind",
            "channel",
            "contact_point",
            "not_before",
            "not_after",
            "attorney_name",
            "attorney_phone",
            "attorney_email",
            "effective_from",
            "effective_to",
            "source",
            "notes",
            "is_active",
            "created_by",
            "created_at",
            "ended_at",
            "ended_by",
            "end_reason",
        ]
        read_only_fields = [
            "customer",
            "account",
            "created_by",
            "created_at",
            "ended_at",
            "ended_by",
            "end_reason",
        ]
        extra_kwargs = {"effective_from": {"required": False}}

    def get_is_active(self, obj: CommunicationRestriction) -> bool:
        return services.restriction_is_active(obj, at=self.context.get("now") or timezone.now())

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["all_accounts"] = instance.account_id is None
        return data


class RestrictionEndSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)


class DecisionSerializer(serializers.ModelSerializer):
    checked_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    # Plain strings: one enum component per choice set keeps the OpenAPI names stable.
    channel = serializers.CharField(read_only=True)
    purpose = serializers.CharField(read_only=True)

    class Meta:
        model = ComplianceDecision
        fields = [
            "id",
            "account",
            "customer",
            "contact_point",
            "channel",
            "at",
            "allowed",
            "violations",
            "next_allowed_at",
            "jurisdiction",
            "inputs",
            "checked_by",
            "purpose",
            "created_at",
        ]
        read_only_fields = fields
