"""The API that makes contact: log a contact through the gate (``POST /accounts/{id}/contacts/``),
move disputes and complaints along (``/disputes/``, ``/complaints/``) and book, complete and
reschedule callbacks (``/accounts/{id}/callbacks/``, ``/callbacks/{id}/…``). Reads of the
contact log, contact points and the timeline stay in ``contacts.api``.

Domain conflicts (a promise while one is pending, a closed case or callback) answer 409 through
``core.api.exception_handler``; nothing of the request is kept.
"""

from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Account
from accounts.permissions import AccountScopedAPIMixin, IsStaffRole, user_can_see_account
from compliance.services import ContactBlocked
from contacts.models import CallbackTask, ContactLog
from contacts.serializers import (
    CallbackCompleteSerializer,
    CallbackCreateSerializer,
    CallbackRescheduleSerializer,
    CallbackSerializer,
    CaseTransitionSerializer,
    ComplaintSerializer,
    ContactLogCreateSerializer,
    ContactLogSerializer,
    DisputeSerializer,
)
from outreach import callbacks, services


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


# --- Callbacks -----------------------------------------------------------------------------
class AccountCallbacksView(AccountScopedAPIMixin, generics.ListCreateAPIView):
    """``GET/POST /accounts/{id}/callbacks/``: any role that can see the account may book one
    (for the account's specialist); its time must be in the future and allowed by compliance
    for a call (a 400 naming ``due_at`` with the reason)."""

    queryset = CallbackTask.objects.none()
    serializer_class = CallbackSerializer
    permission_classes = [IsStaffRole]
    filterset_fields = ["status"]
    ordering_fields = ["due_at", "created_at", "id"]
    ordering = ["due_at", "id"]
    search_fields: list[str] = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return CallbackTask.objects.none()
        return CallbackTask.objects.filter(account=self.get_account()).select_related(
            "assigned_to", "contact_point"
        )

    @extend_schema(request=CallbackCreateSerializer, responses={201: CallbackSerializer})
    def post(self, request, *args, **kwargs):
        account = self.get_account()
        data = CallbackCreateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        callback = callbacks.callback_create(
            account=account, by=request.user, now=timezone.now(), **data.validated_data
        )
        return Response(CallbackSerializer(callback).data, status=201)


class CallbackActionView(APIView):
    """A callback's transition: its team only (403), then its owner or a supervisor (403),
    decided before the body is read; a closed callback is a 409."""

    permission_classes = [IsStaffRole]

    def get_callback(self, pk: int) -> CallbackTask:
        callback = get_object_or_404(CallbackTask.objects.select_related("account"), pk=pk)
        if not user_can_see_account(self.request.user, callback.account):
            raise PermissionDenied("This callback belongs to another team.")
        if not callbacks.callback_may_change(self.request.user, callback):
            raise PermissionDenied(
                "Only the specialist the callback belongs to or a supervisor may change it."
            )
        return callback


class CallbackCompleteView(CallbackActionView):
    """``POST /callbacks/{id}/complete/``: the callback is done."""

    @extend_schema(request=CallbackCompleteSerializer, responses=CallbackSerializer)
    def post(self, request, pk: int):
        callback = self.get_callback(pk)
        data = CallbackCompleteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        callback = callbacks.callback_complete(
            callback=callback, by=request.user, note=data.validated_data["note"]
        )
        return Response(CallbackSerializer(callback).data)


class CallbackRescheduleView(CallbackActionView):
    """``POST /callbacks/{id}/reschedule/``: a new ``due_at`` (future, allowed by compliance)."""

    @extend_schema(request=CallbackRescheduleSerializer, responses=CallbackSerializer)
    def post(self, request, pk: int):
        callback = self.get_callback(pk)
        data = CallbackRescheduleSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        callback = callbacks.callback_reschedule(
            callback=callback, by=request.user, **data.validated_data
        )
        return Response(CallbackSerializer(callback).data)
