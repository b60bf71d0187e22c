"""API views of the workspace: the case timeline."""

from __future__ import annotations

from rest_framework import generics

from accounts.permissions import AccountScopedAPIMixin, IsStaffRole
from contacts.serializers import TimelineEventSerializer
from workspace.timeline import account_timeline


class AccountTimelineView(AccountScopedAPIMixin, generics.GenericAPIView):
    """``GET /accounts/{id}/timeline/?kind=contact&kind=payment``: merged events, newest first."""

    permission_classes = [IsStaffRole]
    serializer_class = TimelineEventSerializer
    filter_backends: list = []

    def get(self, request, *args, **kwargs):
        kinds = set(request.query_params.getlist("kind"))
        events = account_timeline(self.get_account(), kinds=kinds or None)
        page = self.paginate_queryset(events)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)
