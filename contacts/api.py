"""``/customers/{id}/contact-points/``: list and add a customer's phones, emails, addresses;
reading an account's contact log entry and its timeline. Logging a contact and moving disputes
and complaints along make contact: ``outreach.api``."""

from django.shortcuts import get_object_or_404
from rest_framework import generics

from accounts.models import Customer
from accounts.permissions import AccountScopedAPIMixin, IsStaffRole
from contacts import services
from contacts.models import ContactLog, ContactPoint
from contacts.serializers import (
    ContactLogSerializer,
    ContactPointSerializer,
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


class ContactDetailView(AccountScopedAPIMixin, generics.RetrieveAPIView):
    serializer_class = ContactLogSerializer
    permission_classes = [IsStaffRole]
    queryset = ContactLog.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ContactLog.objects.none()
        return ContactLog.objects.filter(account=self.get_account())
