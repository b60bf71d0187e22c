"""API views of the workspace: the case timeline."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics

from accounts.permissions import AccountScopedAPIMixin, IsStaffRole
from contacts.serializers import TimelineEventSerializer
from workspace.timeline import account_timeline


@extend_schema(
    parameters=[
        OpenApiParameter(
            "kind",
            OpenApiTypes.STR,
            many=True,
            description="Only events of these kinds (contact, payment, promise, plan, bucket, "
            "re_age, restriction, dispute, complaint, callback, settlement, hardship, "
            "customer); repeat for several.",
        )
    ]
)
class AccountTimelineView(AccountScopedAPIMixin, generics.ListAPIView):
    """``GET /accounts/{id}/timeline/?kind=contact&kind=payment``: merged events, newest first,
    one page at a time."""

    permission_classes = [IsStaffRole]
    serializer_class = TimelineEventSerializer
    filter_backends: list = []

    def get_queryset(self):
        kinds = set(self.request.query_params.getlist("kind"))
        return account_timeline(self.get_account(), kinds=kinds or None)
