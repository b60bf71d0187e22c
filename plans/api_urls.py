"""API routes of the plans app, mounted under /api/v1/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from plans import api

router = SimpleRouter()
router.register("plans", api.PlanViewSet, basename="plan")
router.register("settlements", api.SettlementViewSet, basename="settlement")
router.register("hardship", api.HardshipViewSet, basename="hardship")

urlpatterns = [
    # Before the router, whose plans/<pk>/ would otherwise be tried first.
    path("plans/quote/", api.QuoteView.as_view(), name="plan-quote"),
    path(
        "accounts/<int:account_id>/plan-options/",
        api.AccountPlanOptionsView.as_view(),
        name="account-plan-options",
    ),
    path(
        "accounts/<int:account_id>/payments/",
        api.AccountPaymentsView.as_view(),
        name="account-payments",
    ),
    path(
        "accounts/<int:account_id>/promises/",
        api.AccountPromisesView.as_view(),
        name="account-promises",
    ),
    path(
        "accounts/<int:account_id>/settlements/",
        api.AccountSettlementsView.as_view(),
        name="account-settlements",
    ),
    path(
        "accounts/<int:account_id>/hardship/",
        api.AccountHardshipView.as_view(),
        name="account-hardship",
    ),
    *router.urls,
]
