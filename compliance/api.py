"""``/compliance/check/``, ``/compliance/decisions/`` and ``/accounts/{id}/restrictions/``.

Thin: input serializer → ``compliance.services`` → output. Bad input is a 400 naming the field;
an account outside the user's team is a 403.
"""

from __future__ import annotations

import django_filters
from django.db import connection
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Account, Role
from accounts.permissions import AccountScopedAPIMixin, IsStaffRole, user_can_see_account
from compliance import rules, services
from compliance.models import CommunicationRestriction, ComplianceDecision
from compliance.serializers import (
    CheckRequestSerializer,
    CheckResponseSerializer,
    DecisionSerializer,
    RestrictionEndSerializer,
    RestrictionSerializer,
)
from core.api import Conflict


class ComplianceBlocked(exceptions.APIException):
    """422 with the API.md body ``{"allowed": false, "violations": [...], ...}``: raise it
    from any view whose action ``compliance.services.contact_authorize`` refused."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "compliance_blocked"

    def __init__(self, decision: services.StoredDecision) -> None:
        super().__init__()
        self.decision = decision
        self.detail = decision.as_api()  # plain values: booleans stay booleans


class IsSupervisorOrAdmin(IsStaffRole):
    message = "Only supervisors and admins may do this."

    def has_permission(self, request, view) -> bool:
        return super().has_permission(request, view) and request.user.has_role(
            Role.SUPERVISOR, Role.ADMIN
        )


class ComplianceCheckView(APIView):
    """May this contact happen? 200 whether allowed or not; the decision is stored."""

    permission_classes = [IsStaffRole]

    @extend_schema(request=CheckRequestSerializer, responses=CheckResponseSerializer)
    def post(self, request: Request) -> Response:
        serializer = CheckRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        account = Account.objects.select_related("customer").filter(pk=data["account"]).first()
        if account is None:
            raise exceptions.ValidationError({"account": ["No account with this id."]})
        if not user_can_see_account(request.user, account):
            raise exceptions.PermissionDenied("This account belongs to another team.")
        decision = services.contact_check(
            account=account,
            channel=data["channel"],
            at=data.get("at") or timezone.now(),
            contact_point=data.get("contact_point"),
            message=data["message"],
            recipient=data["recipient"],
            by=request.user,
            purpose="api_check",
        )
        return Response(decision.as_api())


class DecisionFilter(django_filters.FilterSet):
    rule = django_filters.CharFilter(method="filter_rule")

    class Meta:
        model = ComplianceDecision
        fields = ["account", "customer", "allowed", "channel", "purpose", "jurisdiction"]

    def filter_rule(self, queryset, name, value):
        if value not in rules.RULE_CODES:
            return queryset.none()
        if connection.vendor == "postgresql":
            return queryset.filter(violations__contains=[{"rule": value}])
        return queryset.filter(violations__icontains=f'"{value}"')  # SQLite: no JSON contains


class DecisionListView(generics.ListAPIView):
    """Stored decisions, newest first (supervisors and admins; their teams' accounts)."""

    serializer_class = DecisionSerializer
    permission_classes = [IsSupervisorOrAdmin]
    filterset_class = DecisionFilter
    search_fields: list[str] = []
    ordering_fields = ["created_at", "at", "id"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ComplianceDecision.objects.none()
        visible = Account.objects.visible_to(self.request.user)
        return ComplianceDecision.objects.filter(account__in=visible).select_related("checked_by")


class AccountRestrictionsView(AccountScopedAPIMixin, generics.ListCreateAPIView):
    """The restrictions covering this account, current and past. Any role that can see the
    account may record one (a specialist learns of an attorney on a call)."""

    serializer_class = RestrictionSerializer
    permission_classes = [IsStaffRole]
    filterset_fields = ["kind", "channel", "source"]
    search_fields: list[str] = []
    ordering_fields = ["effective_from", "created_at", "id"]
    ordering = ["-effective_from", "-id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return CommunicationRestriction.objects.none()
        return CommunicationRestriction.objects.for_account(self.get_account()).select_related(
            "customer", "created_by", "ended_by"
        )

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": timezone.now()}

    def perform_create(self, serializer):
        serializer.instance = services.restriction_create(
            by=self.request.user, account=self.get_account(), **serializer.validated_data
        )


class RestrictionEndView(AccountScopedAPIMixin, APIView):
    """Lift a restriction: supervisors and admins only, since it reopens contact."""

    permission_classes = [IsSupervisorOrAdmin]

    @extend_schema(request=RestrictionEndSerializer, responses=RestrictionSerializer)
    def post(self, request: Request, account_id: int, restriction_id: int) -> Response:
        account = self.get_account()
        restriction = get_object_or_404(
            CommunicationRestriction.objects.for_account(account), pk=restriction_id
        )
        serializer = RestrictionEndSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            restriction = services.restriction_end(
                restriction=restriction, by=request.user, reason=serializer.validated_data["reason"]
            )
        except (services.RestrictionAlreadyEnded, services.RestrictionHeldByDispute) as exc:
            raise Conflict(str(exc)) from exc
        return Response(RestrictionSerializer(restriction, context={"request": request}).data)
