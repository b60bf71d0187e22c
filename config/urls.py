import re

from django.conf import settings
from django.contrib import admin
from django.http import HttpResponse
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from accounts import api as accounts_api
from contacts import api as contacts_api
from dashboards import views as dashboards_views
from outreach import api as outreach_api
from workspace import api as workspace_api

router = DefaultRouter()
router.register("customers", accounts_api.CustomerViewSet, basename="customer")
router.register("accounts", accounts_api.AccountViewSet, basename="account")
router.register("disputes", outreach_api.DisputeViewSet, basename="dispute")
router.register("complaints", outreach_api.ComplaintViewSet, basename="complaint")

api_v1 = [
    path("auth/token/", accounts_api.TokenView.as_view(), name="api-token"),
    path(
        "customers/<int:customer_id>/contact-points/",
        contacts_api.CustomerContactPointsView.as_view(),
        name="customer-contact-points",
    ),
    path(
        "accounts/<int:account_id>/contacts/",
        outreach_api.AccountContactsView.as_view(),
        name="account-contacts",
    ),
    path(
        "accounts/<int:account_id>/contacts/<int:pk>/",
        contacts_api.ContactDetailView.as_view(),
        name="account-contact-detail",
    ),
    path(
        "accounts/<int:account_id>/contacts/<int:pk>/attachment/",
        contacts_api.ContactAttachmentView.as_view(),
        name="account-contact-attachment",
    ),
    path(
        "accounts/<int:account_id>/letters/<int:pk>/pdf/",
        contacts_api.LetterPdfView.as_view(),
        name="account-letter-pdf",
    ),
    path(
        "accounts/<int:account_id>/callbacks/",
        outreach_api.AccountCallbacksView.as_view(),
        name="account-callbacks",
    ),
    path(
        "callbacks/<int:pk>/complete/",
        outreach_api.CallbackCompleteView.as_view(),
        name="callback-complete",
    ),
    path(
        "callbacks/<int:pk>/reschedule/",
        outreach_api.CallbackRescheduleView.as_view(),
        name="callback-reschedule",
    ),
    path(
        "accounts/<int:account_id>/timeline/",
        workspace_api.AccountTimelineView.as_view(),
        name="account-timeline",
    ),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("plans.api_urls")),
    path("", include("compliance.api_urls")),
    *router.urls,
]

urlpatterns = [
    # The home page (workspace.views.home_context) with the user's targets, which live above.
    path("", dashboards_views.home, name="home"),
    path("healthz/", lambda request: HttpResponse("ok", content_type="text/plain")),
    path("accounts/", include("workspace.urls")),
    path("plans/", include("plans.urls")),
    path("contacts/", include("outreach.urls")),
    path("p/", include("portal.urls")),
    path("webhooks/", include("outreach.webhook_urls")),
    path("dashboards/", include("dashboards.urls")),
    path("compliance/", include("compliance.urls")),
    path("checkout/", include("checkout.urls")),
    path("legal/", include("legal.urls")),
    path("agencies/", include("agencies.urls")),
    path("", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include(api_v1)),
    # Contact points moved from contacts to accounts: old admin links still arrive.
    re_path(
        rf"^{re.escape(settings.ADMIN_URL)}contacts/contactpoint/(?P<rest>.*)$",
        RedirectView.as_view(
            url=f"/{settings.ADMIN_URL}accounts/contactpoint/%(rest)s", query_string=True
        ),
    ),
    path(settings.ADMIN_URL, admin.site.urls),
]

# Errors outside DRF's views answer JSON on the API and pages elsewhere.
handler400 = "core.errors.bad_request"
handler403 = "core.errors.permission_denied"
handler404 = "core.errors.page_not_found"
handler500 = "core.errors.server_error"
