"""Agency pages for supervisors and admins: agencies with their KPIs, one agency's open
placements (recall), placing accounts, a placement batch and its export.

Thin: check the role and the team, validate the form, call ``agencies.services`` /
``agencies.kpis`` / ``agencies.eligibility``, render.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import delinquency
from accounts.models import Account, Role
from agencies import eligibility, kpis, services
from agencies.forms import PlaceForm, PlacementFilterForm, RecallForm
from agencies.models import Agency, Placement, PlacementBatch, PlacementStatus
from core.client_ip import client_ip

PAGE_SIZE = 25


def _require_lead(request: HttpRequest) -> None:
    if not request.user.has_role(Role.SUPERVISOR, Role.ADMIN):
        raise PermissionDenied(_("Only supervisors and admins may open this page."))


def _visible(request: HttpRequest):
    return Account.objects.visible_to(request.user)


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@login_required
def agency_list(request: HttpRequest) -> HttpResponse:
    _require_lead(request)
    figures = kpis.agency_figures(_visible(request))
    agencies = [(agency, figures.get(agency.pk, [])) for agency in Agency.objects.all()]
    return render(request, "agencies/list.html", {"agencies": agencies})


@login_required
def agency_detail(
    request: HttpRequest, pk: int, *, status: int = 200, error: str = ""
) -> HttpResponse:
    _require_lead(request)
    agency = get_object_or_404(Agency, pk=pk)
    placements = (
        Placement.objects.filter(
            agency=agency, status=PlacementStatus.PLACED, account__in=_visible(request)
        )
        .select_related("account__customer", "batch")
        .order_by("recall_on", "id")
    )
    page = Paginator(placements, PAGE_SIZE).get_page(request.GET.get("page"))
    batches = PlacementBatch.objects.filter(agency=agency).exclude(
        placements__in=Placement.objects.exclude(account__in=_visible(request))
    )[:10]
    return render(
        request,
        "agencies/detail.html",
        {
            "agency": agency,
            "figures": kpis.agency_figures(_visible(request), agency_ids=[agency.pk]).get(
                agency.pk, []
            ),
            "page": page,
            "query": _query_without_page(request),
            "batches": batches,
            "error": error,
        },
        status=status,
    )


@login_required
def placement_page(
    request: HttpRequest, *, form: PlaceForm | None = None, status: int = 200
) -> HttpResponse:
    _require_lead(request)
    today = delinquency.business_date()
    filters = PlacementFilterForm(request.GET)
    accounts = Account.objects.none()
    if filters.is_valid():
        data = filters.cleaned_data
        accounts = (
            eligibility.eligible_accounts(_visible(request), day=today, agency=data["agency"])
            .with_delinquency(today)
            .select_related("customer", "team")
            .order_by(F("delinquent_since").asc(nulls_last=True), "id")
        )
        if data["jurisdiction"]:
            accounts = accounts.filter(customer__jurisdiction=data["jurisdiction"])
        if data["bucket"]:
            accounts = accounts.filter(bucket_code=data["bucket"])
        if data["dpd_min"] is not None:
            accounts = accounts.filter(dpd__gte=data["dpd_min"])
        if data["dpd_max"] is not None:
            accounts = accounts.filter(dpd__lte=data["dpd_max"])
        if data["q"]:
            accounts = accounts.search(data["q"])
    elif status == 200:
        status = 400
    page = Paginator(accounts, PAGE_SIZE).get_page(request.GET.get("page"))
    if form is None:
        agency = filters.cleaned_data.get("agency") if filters.is_valid() else None
        form = PlaceForm(initial={"agency": agency})
    return render(
        request,
        "agencies/place.html",
        {
            "filters": filters,
            "form": form,
            "page": page,
            "query": _query_without_page(request),
            "buckets": [b.code for b in delinquency.configured_buckets()],
            "default_days": services.DEFAULT_PLACEMENT_DAYS,
        },
        status=status,
    )


@login_required
@require_POST
def placement_submit(request: HttpRequest) -> HttpResponse:
    _require_lead(request)
    form = PlaceForm(request.POST)
    if not form.is_valid():
        return placement_page(request, form=form, status=400)
    try:
        batch = services.placement_create(
            accounts=form.cleaned_data["accounts"],
            agency=form.cleaned_data["agency"],
            by=request.user,
            recall_on=form.cleaned_data["recall_on"],
        )
    except ValidationError as exc:
        for field, texts in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, texts)
        return placement_page(request, form=form, status=400)
    messages.success(
        request,
        _("%(n)s accounts placed with %(agency)s.") % {"n": batch.count, "agency": batch.agency},
    )
    return redirect("agencies:batch", pk=batch.pk)


def _batch_for(request: HttpRequest, pk: int) -> PlacementBatch:
    """A batch the user may see: every account in it is theirs to see (404 none, 403 not)."""
    _require_lead(request)
    batch = get_object_or_404(PlacementBatch.objects.select_related("agency", "placed_by"), pk=pk)
    if batch.placements.exclude(account__in=_visible(request)).exists():
        raise PermissionDenied(_("This batch holds another team's accounts."))
    return batch


@login_required
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch_for(request, pk)
    placements = batch.placements.select_related("account__customer").order_by("id")
    page = Paginator(placements, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "agencies/batch.html",
        {
            "batch": batch,
            "page": page,
            "query": _query_without_page(request),
            "downloads": batch.downloads.select_related("user")[:20],
        },
    )


@login_required
def batch_export(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch_for(request, pk)
    content = services.export_download_record(
        batch=batch, user=request.user, remote_addr=client_ip(request)
    )
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    name = f"placement-{batch.pk}-{batch.agency.code}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-SHA256"] = batch.export_sha256
    return response


@login_required
@require_POST
def placement_recall(request: HttpRequest, pk: int) -> HttpResponse:
    _require_lead(request)
    placement = get_object_or_404(Placement.objects.select_related("account", "agency"), pk=pk)
    if not _visible(request).filter(pk=placement.account_id).exists():
        raise PermissionDenied(_("This account belongs to another team."))
    form = RecallForm(request.POST)
    if not form.is_valid():
        message = _("Why recall: %(error)s") % {"error": " ".join(form.errors["reason"])}
        return agency_detail(request, placement.agency_id, status=400, error=message)
    try:
        services.placement_recall(
            placement=placement, by=request.user, reason=form.cleaned_data["reason"]
        )
    except services.PlacementEnded as exc:
        return agency_detail(request, placement.agency_id, status=409, error=exc.message)
    except ValidationError as exc:
        return agency_detail(request, placement.agency_id, status=400, error=" ".join(exc.messages))
    messages.success(
        request,
        _("Account %(number)s recalled from %(agency)s.")
        % {"number": placement.account.masked_number, "agency": placement.agency.name},
    )
    return redirect(reverse("agencies:detail", args=[placement.agency_id]))
