"""``/customers/{id}/contact-points/``: list and add a customer's phones, emails, addresses;
reading an account's contact log entry and its timeline. Logging a contact and moving disputes
and complaints along make contact: ``outreach.api``."""

from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Customer
from accounts.permissions import AccountScopedAPIMixin, IsStaffRole
from contacts import services
from contacts.evidence_files import evidence_kind
from contacts.models import ContactLog, ContactPoint, Letter
from contacts.serializers import (
    AttachmentUploadSerializer,
    ContactLogSerializer,
    ContactPointSerializer,
)
from core.client_ip import client_ip


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


class ContactAttachmentView(AccountScopedAPIMixin, APIView):
    """``GET /accounts/{id}/contacts/{cid}/attachment/``: the evidence file of a contact, for
    the account's team only; every access is recorded like a reveal. ``POST`` (multipart
    ``file``) keeps a recording or scan on an entry that has none (201; 409 if it has one)."""

    permission_classes = [IsStaffRole]
    parser_classes = [MultiPartParser]

    @extend_schema(
        request={"multipart/form-data": AttachmentUploadSerializer},
        responses={201: ContactLogSerializer},
    )
    def post(self, request, account_id: int, pk: int):
        account = self.get_account()
        entry = get_object_or_404(ContactLog, account=account, pk=pk)
        data = AttachmentUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        entry = services.contact_attachment_add(
            entry=entry, file=data.validated_data["file"], by=request.user
        )
        return Response(ContactLogSerializer(entry).data, status=201)

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request, account_id: int, pk: int):
        account = self.get_account()
        entry = get_object_or_404(ContactLog, account=account, pk=pk)
        if not entry.attachment:
            raise Http404("This contact has no evidence file.")
        handle = entry.attachment.open("rb")
        kind = evidence_kind(handle.read(16))
        handle.seek(0)
        services.evidence_access_record(
            user=request.user,
            entry=entry,
            channel="api" if request.auth is not None else "web",
            remote_addr=client_ip(request),
        )
        return FileResponse(
            handle,
            content_type=kind[1] if kind else "application/octet-stream",
            filename=entry.attachment.name.rsplit("/", 1)[-1],
        )


class LetterPdfView(AccountScopedAPIMixin, APIView):
    """``GET /accounts/{id}/letters/{lid}/pdf/``: a letter's PDF as it was printed, for the
    account's team only; every access is recorded like a reveal. ``X-Content-SHA256`` is the
    hash stored when it was made."""

    permission_classes = [IsStaffRole]

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    def get(self, request, account_id: int, pk: int):
        account = self.get_account()
        letter = get_object_or_404(Letter, account=account, pk=pk)
        try:
            handle = letter.path.open("rb")
        except FileNotFoundError as exc:
            raise Http404("The letter's file is missing.") from exc
        services.letter_access_record(
            user=request.user,
            letter=letter,
            channel="api" if request.auth is not None else "web",
            remote_addr=client_ip(request),
        )
        response = FileResponse(
            handle, content_type="application/pdf", filename=f"letter-{letter.pk}.pdf"
        )
        response["X-Content-SHA256"] = letter.sha256
        return response
