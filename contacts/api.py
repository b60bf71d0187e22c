"""``/customers/{id}/contact-points/``: list and add a customer's phones, emails, addresses;
reading an account's contact log entry and its timeline. Logging a contact and moving disputes
and complaints along make contact: ``outreach.api``."""

from django.shortcuts import get_object_or_404
from rest_framework import generics

from accounts.models import Account, Customer
from accounts.permissions import IsStaffRole
from contacts import selectors, services
from contacts.models import ContactLog, ContactPoint
from contacts.serializers import (
    ContactLogSerializer,
    ContactPointSerializer,
    TimelineEventSerializer,
)


class CustomerContactPointsView(generics.ListCreateAPIView):
    """Any role that can see the customer may list or add contact points (learned on calls)."""

    queryset = ContactPoint.objects.none()  # for the schema; the real one is per customer
    serializer_class = ContactPointSerializer
    permission_classes = [IsStaffRole]
    filterset_fields = ["kind", "label", "opted_out", "is_valid"]
    ordering_fields = ["id", "kind", "created_at"]
    search_fields: list[str] = []

    def get_customer(self) -> Customer:
        if not hasattr(self, "_customer"):
            self._customer = get_object_or_404(Customer, pk=self.kwargs["customer_id"])
            self.check_object_permissions(self.request, self._customer)
        return self._customer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ContactPoint.objects.none()
        return ContactPoint.objects.filter(customer=self.get_customer())

    def perform_create(self, serializer):
        serializer.instance = services.contact_point_create(
            by=self.request.user, customer=self.get_customer(), **serializer.validated_data
        )


class AccountScopedMixin:
    """Views under ``/accounts/{account_id}/``: another team's account is a 403."""

    def get_account(self) -> Account:
        if not hasattr(self, "_account"):
            self._account = get_object_or_404(
                Account.objects.select_related("customer"), pk=self.kwargs["account_id"]
            )
            self.check_object_permissions(self.request, self._account)
        return self._account


class ContactDetailView(AccountScopedMixin, generics.RetrieveAPIView):
    serializer_class = ContactLogSerializer
    permission_classes = [IsStaffRole]
    queryset = ContactLog.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ContactLog.objects.none()
        return ContactLog.objects.filter(account=self.get_account())


class AccountTimelineView(AccountScopedMixin, generics.GenericAPIView):
    """``GET /accounts/{id}/timeline/?kind=contact&kind=payment``: merged events, newest first."""

    permission_classes = [IsStaffRole]
    serializer_class = TimelineEventSerializer
    filter_backends: list = []

    def get(self, request, *args, **kwargs):
        kinds = set(request.query_params.getlist("kind"))
        events = selectors.account_timeline(self.get_account(), kinds=kinds or None)
        page = self.paginate_queryset(events)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)
