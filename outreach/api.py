"""The API that makes contact: log a contact through the gate (``POST /accounts/{id}/contacts/``)
and move disputes and complaints along (``/disputes/``, ``/complaints/``). Reads of the contact
log, contact points and the timeline stay in ``contacts.api``.
"""

from django.db import transaction
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from accounts.models import Account
from accounts.permissions import AccountScopedAPIMixin, IsStaffRole
from compliance.services import ContactBlocked
from contacts.models import ContactLog
from contacts.serializers import (
    CaseTransitionSerializer,
    ComplaintSerializer,
    ContactLogCreateSerializer,
    ContactLogSerializer,
    DisputeSerializer,
)
from outreach import services


class AccountContactsView(AccountScopedAPIMixin, generics.ListCreateAPIView):
    """The contact log of an account. Append-only: no PUT, PATCH or DELETE (405)."""

    queryset = ContactLog.objects.none()
    serializer_class = ContactLogSerializer
    permission_classes = [IsStaffRole]
    filterset_fields = ["channel", "direction", "outcome", "disposition"]
    ordering_fields = ["occurred_at", "id"]
    search_fields: list[str] = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ContactLog.objects.none()
        return ContactLog.objects.filter(account=self.get_account()).select_related(
            "contact_point", "user"
        )

    def get_serializer_class(self):
        return ContactLogCreateSerializer if self.request.method == "POST" else ContactLogSerializer

    @extend_schema(
        request=ContactLogCreateSerializer,
        responses={201: ContactLogSerializer, 422: OpenApiResponse(description="blocked")},
    )
    def post(self, request, *args, **kwargs):
        account = self.get_account()
        data = ContactLogCreateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        details = services.DispositionDetails(
            **{k: fields.pop(k) for k in list(fields) if k in DETAIL_FIELDS}
        )
        for key in ("disposition", "reason"):
            fields[key] = fields.get(key) or ""
        try:
            entry = services.contact_log_create(
                account=account, by=request.user, details=details, **fields
            )
        except ContactBlocked as blocked:
            return Response(blocked.decision.as_api(), status=422)
        return Response(ContactLogSerializer(entry).data, status=201)


DETAIL_FIELDS = {
    "promise_amount",
    "promise_date",
    "callback_at",
    "dispute_kind",
    "complaint_category",
    "cease_in_writing",
}


class CaseRecordViewSet(viewsets.ReadOnlyModelViewSet):
    """Disputes or complaints of the accounts the user can see, with their transitions."""

    permission_classes = [IsStaffRole]
    filterset_fields = ["status", "account"]
    ordering_fields = ["opened_at", "due_date"]
    search_fields: list[str] = []

    def get_queryset(self):
        model = self.serializer_class.Meta.model
        if getattr(self, "swagger_fake_view", False):
            return model.objects.none()
        accounts = Account.objects.visible_to(self.request.user)
        return model.objects.filter(account__in=accounts).select_related("owner", "opened_by")

    @extend_schema(request=CaseTransitionSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        record = self.get_object()
        # Who may comes before what they sent: a refusal never depends on the body.
        if not request.user.has_role("supervisor", "admin") and record.owner_id != request.user.pk:
            raise PermissionDenied("Only the owner or a supervisor may move this along.")
        data = CaseTransitionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with transaction.atomic():
            record = services.case_transition(
                record=record,
                to_status=data.validated_data["status"],
                by=request.user,
                now=timezone.now(),
                note=data.validated_data["note"],
            )
        return Response(self.get_serializer(record).data)


class DisputeViewSet(CaseRecordViewSet):
    serializer_class = DisputeSerializer


class ComplaintViewSet(CaseRecordViewSet):
    serializer_class = ComplaintSerializer
