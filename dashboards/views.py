"""Supervisor pages: dashboard, approvals queue, workload, compliance exceptions.

Thin: check the role and team, validate the filters, call ``dashboards.kpis`` /
``plans.services`` / ``accounts.workload`` / ``dashboards.selectors``, render or export CSV.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import delinquency, workload
from accounts.models import Role, Team, User
from accounts.permissions import require_role
from contacts.models import ContactLog
from core.bounds import id_or_none
from core.db_routing import reads_from_replica
from dashboards import charts, kpis, selectors, services, targets, trends
from dashboards.forms import DashboardFilterForm, DecisionForm, ExceptionFilterForm
from dashboards.models import RefreshRun
from dashboards.tables import TABLES
from plans.models import Plan, PlanStatus, Settlement, SettlementStatus, WriteOff, WriteOffStatus
from plans.services import ConflictError
from workspace import views as workspace_views

PAGE_SIZE = 25


def _require_supervisor(request: HttpRequest) -> None:
    if not request.user.has_role(Role.SUPERVISOR, Role.ADMIN):
        raise PermissionDenied(_("Only supervisors and admins may open this page."))


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    """A text cell a spreadsheet would run as a formula (a name from a feed starting with
    ``=``, say) is written with a leading apostrophe; numbers are left as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        try:
            float(value)
        except ValueError:
            return "'" + value
    return value


def csv_response(name: str, header: list, rows, *, day: date | None = None) -> HttpResponse:
    day = day or delinquency.business_date()
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}-{day.isoformat()}.csv"'
    writer = csv.writer(response)
    writer.writerow(header)
    writer.writerows([spreadsheet_safe(cell) for cell in row] for row in rows)
    return response


# --- Dashboard -----------------------------------------------------------------------------
def _filter_form(request: HttpRequest) -> DashboardFilterForm:
    return DashboardFilterForm(request.GET, user=request.user, today=delinquency.business_date())


@login_required
@reads_from_replica
def dashboard(request: HttpRequest) -> HttpResponse:
    _require_supervisor(request)
    form = _filter_form(request)
    context = {
        "form": form,
        "definitions": {**kpis.DEFINITIONS, **trends.DEFINITIONS, **targets.DEFINITIONS},
        "refresh": RefreshRun.objects.order_by("-finished_at").first(),
    }
    if not form.is_valid():
        return render(request, "dashboards/dashboard.html", context, status=400)
    f = form.filters()
    portfolio = kpis.portfolio(f)
    matrices = kpis.roll_rates(f)
    buckets = [b.code for b in delinquency.configured_buckets()]
    tiers = ["good", "general", "high"]
    by_bucket_tier = {(r["bucket"], r["tier"]): 0 for r in portfolio.rows}
    for r in portfolio.rows:
        by_bucket_tier[(r["bucket"], r["tier"])] += r["accounts"]
    matrix_items = [
        {
            "m": m,
            "rows": [
                {
                    **row,
                    "cells": [{**c, "heat": charts.heat(c["rate"])} for c in row["cells"]],
                }
                for row in m.rows()
            ],
        }
        for m in matrices
    ]
    reasons = kpis.reasons(f)
    reason_labels = dict(ContactLog.Reason.choices)
    blocks = kpis.blocks(f)
    context.update(
        {
            "filters": f,
            "query": request.GET.urlencode(),
            "portfolio": portfolio,
            "portfolio_chart": charts.stacked_bars(
                [(b, [(t, by_bucket_tier.get((b, t), 0)) for t in tiers]) for b in buckets],
                series=tiers,
                title=_("Open accounts by bucket and risk tier"),
            ),
            # The latest month pair is shown; the earlier ones are one click away (<details>).
            "latest_matrix": matrix_items[-1] if matrix_items else None,
            "earlier_matrices": list(reversed(matrix_items[:-1])),
            "buckets": buckets,
            "cure": kpis.cure_rate(matrices),
            "contacts": kpis.contact_rates(f),
            "promises": kpis.promise_rates(f),
            "collections": kpis.collections(f),
            "plans": kpis.plan_rates(f),
            "complaints": kpis.complaint_rate(f),
            "self_service": kpis.self_service(f),
            "reasons": [
                {**r, "label": reason_labels.get(r["reason"], r["reason"])} for r in reasons
            ],
            "reasons_chart": charts.bars(
                [(str(reason_labels.get(r["reason"], r["reason"])), r["count"]) for r in reasons],
                title=_("Reasons for delinquency"),
            ),
            "blocks": blocks,
            "blocks_chart": charts.bars(
                [(r["rule"], r["count"]) for r in blocks["by_rule"]],
                title=_("Compliance blocks by rule"),
            ),
            "specialists": kpis.specialists(f),
            "trends": _trend_charts(f),
            "attainment": targets.attainment(f),
        }
    )
    return render(request, "dashboards/dashboard.html", context)


def _trend_charts(f: kpis.Filters) -> dict:
    """The weekly series and one small chart per KPI (one per currency for collected)."""
    result = trends.trends(f)
    weeks = result.weeks

    def series(attr: str) -> list:
        return [(w.label, getattr(w, attr)) for w in weeks]

    charts_ = [
        {
            "key": "contact_rate",
            "title": _("Contact rate"),
            "svg": charts.trend(series("contact_rate"), title=_("Contact rate"), percent=True),
        },
        {
            "key": "kept_rate",
            "title": _("Promise-kept rate"),
            "svg": charts.trend(series("kept_rate"), title=_("Promise-kept rate"), percent=True),
        },
        {
            "key": "cure_rate",
            "title": _("Weekly cure rate"),
            "svg": charts.trend(series("cure_rate"), title=_("Weekly cure rate"), percent=True),
        },
        *[
            {
                "key": f"collected-{currency}",
                "title": _("Collected %(currency)s") % {"currency": currency},
                "svg": charts.trend(
                    [(w.label, w.collected.get(currency)) for w in weeks],
                    title=_("Collected %(currency)s") % {"currency": currency},
                    kind="bar",
                ),
            }
            for currency in result.currencies
        ],
        {
            "key": "complaint_rate",
            "title": _("Complaints per 1,000 right-party contacts"),
            "svg": charts.trend(
                series("complaint_rate"), title=_("Complaints per 1,000 right-party contacts")
            ),
        },
    ]
    return {
        "result": result,
        "charts": charts_,
        "latest": weeks[-1].label,
        "rows": [(w, [w.collected.get(c, 0) for c in result.currencies]) for w in weeks],
    }


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The home page of ``workspace`` with the user's targets and attainment this month.

    Composed here because the targets and the facts they are measured on live in this app,
    above ``workspace``; ``config/urls.py`` routes ``home`` to this view."""
    require_role(request.user)
    context = workspace_views.home_context(request)
    context["attainment"] = targets.for_specialist(request.user, day=context["as_of"])
    return render(request, "accounts/home.html", context)


@login_required
@reads_from_replica
def dashboard_export(request: HttpRequest, table: str) -> HttpResponse:
    _require_supervisor(request)
    if table not in TABLES:
        raise Http404(_("No such table."))
    form = _filter_form(request)
    if not form.is_valid():
        return HttpResponse(
            " ".join(form.non_field_errors()) or _("Invalid filters."),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    header, rows = TABLES[table](form.filters())
    return csv_response(table, header, rows)


# --- Approvals -----------------------------------------------------------------------------
def _visible_plans(user):
    plans = Plan.objects.filter(status=PlanStatus.PENDING_APPROVAL)
    if not user.sees_all_teams:
        plans = plans.filter(account__team_id=user.team_id)
    return plans


def _visible_settlements(user):
    offers = Settlement.objects.filter(status=SettlementStatus.PENDING_APPROVAL)
    if not user.sees_all_teams:
        offers = offers.filter(account__team_id=user.team_id)
    return offers


def _visible_write_offs(user):
    proposals = WriteOff.objects.filter(status=WriteOffStatus.PROPOSED)
    if not user.sees_all_teams:
        proposals = proposals.filter(account__team_id=user.team_id)
    return proposals


@login_required
def approvals(
    request: HttpRequest,
    form: DecisionForm | None = None,
    failed: tuple[str, int] | None = None,
    status: int = 200,
) -> HttpResponse:
    """Plans, settlement offers and write-offs waiting for a decision, oldest first, each list
    paged. ``failed`` names the row whose decision was refused: ``("plan", 3)``,
    ``("settlement", 5)``, ``("write_off", 7)``."""
    _require_supervisor(request)
    plans = (
        _visible_plans(request.user)
        .select_related("account__customer", "account__team", "proposed_by")
        .order_by("created_at", "id")
    )
    offers = (
        _visible_settlements(request.user)
        .select_related("account__customer", "account__team", "proposed_by")
        .order_by("created_at", "id")
    )
    write_offs = (
        _visible_write_offs(request.user)
        .select_related("account__customer", "account__team", "proposed_by")
        .order_by("proposed_at", "id")
    )
    return render(
        request,
        "dashboards/approvals.html",
        {
            "page": Paginator(plans, PAGE_SIZE).get_page(request.GET.get("page")),
            "offers": Paginator(offers, PAGE_SIZE).get_page(request.GET.get("offers_page")),
            "write_offs": Paginator(write_offs, PAGE_SIZE).get_page(
                request.GET.get("write_offs_page")
            ),
            "failed_write_off": failed[1] if failed and failed[0] == "write_off" else None,
            "query": _query_without_page(request),
            "form": form or DecisionForm(),
            "failed_plan": failed[1] if failed and failed[0] == "plan" else None,
            "failed_settlement": failed[1] if failed and failed[0] == "settlement" else None,
            "today": delinquency.business_date(),
        },
        status=status,
    )


def _decide(
    request: HttpRequest,
    pk: int,
    *,
    kind: str,
    waiting: Callable,
    decide: Callable[[object, str, str], object],
    approved: str,
    rejected: str,
) -> HttpResponse:
    """Approve or reject one of ``waiting(user)`` (plans, settlement offers) with the reason
    typed; refused: the page again with the reason by the row."""
    _require_supervisor(request)
    item = get_object_or_404(waiting(request.user), pk=pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return approvals(request, form=form, failed=(kind, item.pk), status=400)
    try:
        decide(item, form.cleaned_data["action"], form.cleaned_data["reason"])
    except (PermissionDenied, ValidationError, ConflictError) as exc:
        form.add_error(None, " ".join(getattr(exc, "messages", None) or [str(exc)]))
        return approvals(request, form=form, failed=(kind, item.pk), status=400)
    done = approved if form.cleaned_data["action"] == "approve" else rejected
    messages.success(request, done % {"id": item.pk})
    return redirect("dashboards:approvals")


@login_required
@require_POST
def approval_decide(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(
        request,
        pk,
        kind="plan",
        waiting=_visible_plans,
        decide=lambda plan, action, reason: services.plan_decide(
            plan=plan, by=request.user, action=action, reason=reason
        ),
        approved=_("Plan %(id)s approved."),
        rejected=_("Plan %(id)s rejected."),
    )


@login_required
@require_POST
def settlement_approval_decide(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(
        request,
        pk,
        kind="settlement",
        waiting=_visible_settlements,
        decide=lambda offer, action, reason: services.settlement_decide(
            settlement=offer, by=request.user, action=action, reason=reason
        ),
        approved=_("Settlement %(id)s approved and offered to the customer."),
        rejected=_("Settlement %(id)s rejected."),
    )


@login_required
@require_POST
def write_off_approval_decide(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(
        request,
        pk,
        kind="write_off",
        waiting=_visible_write_offs,
        decide=lambda write_off, action, reason: services.write_off_decide(
            write_off=write_off, by=request.user, action=action, reason=reason
        ),
        approved=_("Write-off %(id)s approved: the account is charged off."),
        rejected=_("Write-off %(id)s rejected."),
    )


# --- Workload ------------------------------------------------------------------------------
def _workload_team(request: HttpRequest) -> Team:
    user = request.user
    if user.sees_all_teams:
        team_id = request.GET.get("team") or request.POST.get("team")
        if team_id:
            pk = id_or_none(team_id)
            if pk is None:
                raise Http404
            return get_object_or_404(Team, pk=pk)
        team = Team.objects.order_by("name").first()
        if team is None:
            raise Http404(_("There is no team yet."))
        return team
    if user.team_id is None:
        raise PermissionDenied(_("You have no team."))
    requested = request.GET.get("team") or request.POST.get("team")
    if requested and requested != str(user.team_id):
        raise PermissionDenied(_("This team is not yours."))
    return user.team


@login_required
def workload_page(request: HttpRequest, status: int = 200, error: str = "") -> HttpResponse:
    _require_supervisor(request)
    team = _workload_team(request)
    as_of = delinquency.business_date()
    accounts, account_filters = selectors.team_accounts(team, request.GET, as_of=as_of)
    page = Paginator(accounts, PAGE_SIZE).get_page(request.GET.get("page"))
    specialists = list(workload.active_specialists(team).order_by("username"))
    return render(
        request,
        "dashboards/workload.html",
        {
            "team": team,
            "teams": Team.objects.all() if request.user.sees_all_teams else [team],
            "loads": selectors.specialist_loads(team, as_of=as_of),
            "buckets": [b.code for b in delinquency.configured_buckets()],
            "page": page,
            "query": _query_without_page(request),
            "account_filters": account_filters,
            "specialists": specialists,
            "error": error,
        },
        status=status,
    )


@login_required
@require_POST
def workload_reassign(request: HttpRequest) -> HttpResponse:
    _require_supervisor(request)
    team = _workload_team(request)
    try:
        to = User.objects.get(pk=int(request.POST.get("to", "")), team=team)
        ids = [int(i) for i in request.POST.getlist("accounts")]
        moved = workload.accounts_reassign(account_ids=ids, to=to, by=request.user)
    except (ValueError, User.DoesNotExist):
        return workload_page(request, status=400, error=_("Choose a specialist of this team."))
    except ValidationError as exc:
        return workload_page(request, status=400, error=" ".join(exc.messages))
    messages.success(
        request, _("%(n)s accounts reassigned to %(who)s.") % {"n": moved, "who": to.get_username()}
    )
    return redirect(f"{reverse('dashboards:workload')}?team={team.pk}")


@login_required
@require_POST
def workload_rebalance(request: HttpRequest) -> HttpResponse:
    _require_supervisor(request)
    team = _workload_team(request)
    try:
        moved = workload.team_rebalance(team=team, by=request.user)
    except ValidationError as exc:
        return workload_page(request, status=400, error=" ".join(exc.messages))
    messages.success(request, _("Team rebalanced: %(n)s accounts moved.") % {"n": moved})
    return redirect(f"{reverse('dashboards:workload')}?team={team.pk}")


# --- Compliance exceptions -------------------------------------------------------------------
EXCEPTION_TABS = ("blocked", "consent", "complaints", "disputes")


@login_required
def exceptions(request: HttpRequest) -> HttpResponse:
    _require_supervisor(request)
    tab = request.GET.get("tab", "blocked")
    if tab not in EXCEPTION_TABS:
        raise Http404(_("No such list."))
    form = ExceptionFilterForm(request.GET)
    if not form.is_valid():
        return render(
            request,
            "dashboards/exceptions.html",
            {"form": form, "tab": tab, "tabs": EXCEPTION_TABS},
            status=400,
        )
    rows = selectors.exception_rows(tab, user=request.user, filters=form.cleaned_data)
    if request.GET.get("format") == "csv":
        header, data = selectors.exception_csv(tab, rows)
        return csv_response(f"exceptions-{tab}", header, data)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    csv_query = query.copy()
    csv_query["format"] = "csv"
    return render(
        request,
        "dashboards/exceptions.html",
        {
            "form": form,
            "tab": tab,
            "tabs": EXCEPTION_TABS,
            "page": page,
            "query": query.urlencode(),
            "csv_query": csv_query.urlencode(),
            "today": delinquency.business_date(),
        },
    )
