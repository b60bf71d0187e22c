"""REST endpoints for customers and accounts (shared API.md). Thin: serializer → service."""

from __future__ import annotations

from datetime import timedelta

import django_filters
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.filters import OrderingFilter, SearchFilter
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from accounts import delinquency, services
from accounts.models import Account, Customer, Jurisdiction, RiskTier, Stage
from accounts.permissions import IsStaffRole, SupervisorWrites
from accounts.reauth import REAUTH_MESSAGE, request_is_fresh
from accounts.serializers import (
    AccountSerializer,
    CustomerSerializer,
    CustomerUpdateSerializer,
    RevealSerializer,
    TokenRequestSerializer,
    TokenResponseSerializer,
)
from accounts.tokens import token_for
from core.bounds import MAX_DAY_COUNT
from core.client_ip import client_ip


class TokenView(ObtainAuthToken):
    """``POST /api/v1/auth/token/``: exchange username and password for an API token."""

    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"

    @extend_schema(request=TokenRequestSerializer, responses=TokenResponseSerializer)
    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token = token_for(serializer.validated_data["user"])
        return Response({"token": token.key})


class CustomerFilter(django_filters.FilterSet):
    class Meta:
        model = Customer
        fields = {
            "jurisdiction": ["exact"],
            "language": ["exact"],
            "external_ref": ["exact"],
            "country": ["exact"],
        }


class ScopedMixin:
    """Lists show only what the user may see; a detail outside that scope is a 403, not a 404."""

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user, no DB
            return self.serializer_class.Meta.model.objects.none()
        queryset = self.base_queryset()
        if self.action == "list":
            return self.scope(queryset)
        return queryset


class CustomerViewSet(
    ScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    permission_classes = [SupervisorWrites]
    serializer_class = CustomerSerializer
    filterset_class = CustomerFilter
    search_fields = ["name", "external_ref"]
    ordering_fields = ["name", "created_at", "id"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def base_queryset(self):
        return Customer.objects.all()

    def scope(self, queryset):
        return queryset.visible_to(self.request.user)

    def get_permissions(self):
        if self.action == "partial_update":
            # Specialists may record declared income/expenses; the serializer limits fields.
            return [IsStaffRole()]
        return super().get_permissions()

    def get_serializer_class(self):
        if self.action == "partial_update":
            return CustomerUpdateSerializer
        return CustomerSerializer

    def perform_create(self, serializer):
        serializer.instance = services.customer_create(
            by=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = services.customer_update(
            customer=serializer.instance, by=self.request.user, data=serializer.validated_data
        )

    @extend_schema(request=None, responses=RevealSerializer)
    @action(detail=True, methods=["post"])
    def reveal(self, request: Request, pk=None) -> Response:
        """Unmask this customer's national ID and contact points (needs the permission; audited)."""
        if not request_is_fresh(request):
            raise PermissionDenied(REAUTH_MESSAGE)
        customer = self.get_object()
        data = services.personal_data_reveal(
            user=request.user,
            customer=customer,
            channel="api",
            remote_addr=client_ip(request),
        )
        return Response(data)


class AccountFilter(django_filters.FilterSet):
    team = django_filters.CharFilter(field_name="team__code")
    assigned_to = django_filters.CharFilter(field_name="assigned_to__username")
    jurisdiction = django_filters.ChoiceFilter(
        field_name="customer__jurisdiction", choices=Jurisdiction.choices
    )
    stage = django_filters.MultipleChoiceFilter(choices=Stage.choices)
    risk_tier = django_filters.MultipleChoiceFilter(choices=RiskTier.choices)
    bucket = django_filters.CharFilter(method="filter_bucket")
    dpd_min = django_filters.NumberFilter(
        method="filter_dpd_min", min_value=0, max_value=MAX_DAY_COUNT
    )
    dpd_max = django_filters.NumberFilter(
        method="filter_dpd_max", min_value=0, max_value=MAX_DAY_COUNT
    )
    number = django_filters.CharFilter(field_name="number")

    class Meta:
        model = Account
        fields = ["customer", "currency", "product"]

    def filter_bucket(self, queryset, name, value):
        return queryset.filter(bucket_code=value)

    def filter_dpd_min(self, queryset, name, value):
        if value <= 0:
            return queryset
        # dpd >= n  <=>  delinquent_since <= as_of - n (index-friendly; see delinquency.py)
        return queryset.filter(
            delinquent_since__lte=delinquency.business_date() - timedelta(days=int(value))
        )

    def filter_dpd_max(self, queryset, name, value):
        as_of = delinquency.business_date()
        return queryset.exclude(delinquent_since__lt=as_of - timedelta(days=int(value)))


class AccountSearchFilter(SearchFilter):
    """``?search=`` on accounts follows the pages' one rule (``AccountQuerySet.search``)."""

    def filter_queryset(self, request, queryset, view):
        q = request.query_params.get(self.search_param, "")
        return queryset.search(q) if q.strip() else queryset


class AccountViewSet(
    ScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    permission_classes = [SupervisorWrites]
    serializer_class = AccountSerializer
    filterset_class = AccountFilter
    filter_backends = [DjangoFilterBackend, AccountSearchFilter, OrderingFilter]
    search_fields = ["customer__name", "customer__external_ref"]  # schema; rule: .search()
    ordering_fields = [
        "delinquent_since",
        "past_due_amount",
        "principal_balance",
        "id",
        "risk_score",
        "dpd",
    ]
    ordering = ["id"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def base_queryset(self):
        return Account.objects.with_delinquency().select_related("team", "assigned_to", "customer")

    def scope(self, queryset):
        return queryset.visible_to(self.request.user)

    def perform_create(self, serializer):
        serializer.instance = services.account_create(
            by=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = services.account_update(
            account=serializer.instance, by=self.request.user, data=serializer.validated_data
        )

    @extend_schema(request=None, responses=RevealSerializer)
    @action(detail=True, methods=["post"])
    def reveal(self, request: Request, pk=None) -> Response:
        """Unmask the account number and the customer's personal data (audited)."""
        if not request_is_fresh(request):
            raise PermissionDenied(REAUTH_MESSAGE)
        account = self.get_object()
        data = services.personal_data_reveal(
            user=request.user,
            customer=account.customer,
            account=account,
            channel="api",
            remote_addr=client_ip(request),
        )
        return Response(data)
