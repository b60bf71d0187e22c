"""API routes of the compliance app, mounted under /api/v1/."""

from django.urls import path

from compliance import api

urlpatterns = [
    path("compliance/check/", api.ComplianceCheckView.as_view(), name="compliance-check"),
    path("compliance/decisions/", api.DecisionListView.as_view(), name="compliance-decisions"),
    path(
        "accounts/<int:account_id>/restrictions/",
        api.AccountRestrictionsView.as_view(),
        name="account-restrictions",
    ),
    path(
        "accounts/<int:account_id>/restrictions/<int:restriction_id>/end/",
        api.RestrictionEndView.as_view(),
        name="account-restriction-end",
    ),
]
