"""Pages for accounts. Thin: scope by team, call selectors and services, render."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth import authenticate
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, F, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts import delinquency, services
from accounts import reauth as reauth_module
from accounts.models import Account, RiskTier, Role, Stage, User
from accounts.permissions import account_for_page, require_role
from compliance.models import CommunicationRestriction
from contacts.models import CLOSED_CASE_STATUSES, CallbackTask, Complaint, Dispute
from core.bounds import id_or_none
from core.client_ip import client_ip
from legal.services import REFERABLE_STAGES
from outreach.forms import ContactLogForm
from plans.models import OPEN_PLAN_STATUSES, PromiseStatus, WriteOffStatus
from plans.services import write_off_refusal
from workspace import case_forms, propensity, queue
from workspace.timeline import timeline_page

QUEUE_PAGE_SIZE = 25


def home_context(request: HttpRequest) -> dict:
    """What the home page shows from the floors up to this one (``dashboards.views.home`` adds
    the targets, which live above)."""
    as_of = delinquency.business_date()
    visible = Account.objects.visible_to(request.user).open()
    by_bucket = (
        visible.with_delinquency(as_of)
        .values("bucket_code")
        .annotate(count=Count("id"), past_due=Sum("past_due_amount"))
        .order_by("bucket_code")
    )
    mine = visible.filter(assigned_to=request.user).count()
    return {
        "as_of": as_of,
        "by_bucket": by_bucket,
        "mine": mine,
        "total": sum(row["count"] for row in by_bucket),
    }


@login_required
def account_list(request: HttpRequest) -> HttpResponse:
    require_role(request.user)
    as_of = delinquency.business_date()
    accounts = (
        Account.objects.visible_to(request.user)
        .with_delinquency(as_of)
        .select_related("customer", "assigned_to")
        # Most delinquent first; current accounts (no date) last on every database.
        .order_by(F("delinquent_since").asc(nulls_last=True), "id")
    )
    filters = {
        "bucket": request.GET.get("bucket", ""),
        "stage": request.GET.get("stage", ""),
        "risk_tier": request.GET.get("risk_tier", ""),
        "q": request.GET.get("q", "").strip(),
        "mine": request.GET.get("mine", ""),
    }
    if filters["bucket"]:
        accounts = accounts.filter(bucket_code=filters["bucket"])
    if filters["stage"]:
        accounts = accounts.filter(stage=filters["stage"])
    if filters["risk_tier"]:
        accounts = accounts.filter(risk_tier=filters["risk_tier"])
    if filters["mine"]:
        accounts = accounts.filter(assigned_to=request.user)
    if filters["q"]:
        accounts = accounts.search(filters["q"])
    page = Paginator(accounts, 25).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "accounts/account_list.html",
        {
            "page": page,
            "filters": filters,
            "as_of": as_of,
            "query": query.urlencode(),
            "buckets": delinquency.configured_buckets(),
            "stages": Stage.choices,
            "tiers": RiskTier.choices,
        },
    )


@login_required
def work_queue(request: HttpRequest) -> HttpResponse:
    """The cases to work, most urgent first, with why each is here."""
    require_role(request.user)
    as_of = delinquency.business_date()
    is_lead = request.user.has_role(Role.SUPERVISOR, Role.ADMIN)
    specialist = id_or_none(request.GET.get("specialist", ""))
    filters = queue.QueueFilters(
        reason=request.GET.get("reason", ""),
        bucket=request.GET.get("bucket", ""),
        risk_tier=request.GET.get("risk_tier", ""),
        specialist=specialist if is_lead else None,
        q=request.GET.get("q", "").strip()[:100],
    )
    accounts = queue.work_queue(request.user, as_of=as_of, filters=filters)
    counts = queue.queue_counts(accounts)
    paginator = Paginator(accounts, QUEUE_PAGE_SIZE)
    paginator.count = counts["total"]  # already counted above with the reasons
    page = paginator.get_page(request.GET.get("page"))
    rows = list(page.object_list)
    now = timezone.now()
    next_call = queue.next_call_times(rows, now=now)
    actions = queue.recommended_actions(rows)
    query = request.GET.copy()
    query.pop("page", None)
    specialists = (
        User.objects.filter(team_id=request.user.team_id, groups__name=Role.SPECIALIST)
        .order_by("username")
        .only("id", "username", "first_name", "last_name")
        if is_lead and request.user.team_id
        else User.objects.none()
    )
    return render(
        request,
        "accounts/queue.html",
        {
            "page": page,
            "rows": [
                {
                    "account": a,
                    "reasons": queue.row_reasons(a),
                    "next_call": next_call.get(a.pk, "unknown"),
                    "call_now": next_call.get(a.pk) == now,
                    "action": actions.get(a.pk, ""),
                }
                for a in rows
            ],
            "counts": counts,
            "filters": filters,
            "as_of": as_of,
            "now": now,
            "query": query.urlencode(),
            "reasons": queue.Reason.choices,
            "reason_counts": [(code, label, counts[code]) for code, label in queue.Reason.choices],
            "buckets": delinquency.configured_buckets(),
            "tiers": RiskTier.choices,
            "is_lead": is_lead,
            "specialists": specialists,
        },
    )


@login_required
def account_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The case page: summary, tier factors, contactability, open items, timeline, the "Log a
    contact" form and the case's actions (``workspace.case_actions``)."""
    account = account_for_page(request.user, pk)
    return case_page(request, account)


def case_page(request: HttpRequest, account: Account, *, status: int = 200) -> HttpResponse:
    """The case page of an account the user may see (the actions render it after a change)."""
    as_of = delinquency.business_date()
    dpd = delinquency.days_past_due(account.delinquent_since, as_of)
    restrictions = list(
        CommunicationRestriction.objects.for_account(account)
        .in_force(as_of)
        .select_related("contact_point")
    )
    closed_points = {
        r.contact_point_id
        for r in restrictions
        if r.contact_point_id and r.kind == "channel_opt_out"
    }
    open_disputes = list(
        Dispute.objects.filter(account=account)
        .exclude(status__in=CLOSED_CASE_STATUSES)
        .select_related("owner")
    )
    # An open dispute's hold ends with the dispute, never by hand (compliance.services).
    held = {d.restriction_id for d in open_disputes if d.restriction_id}
    promises = list(account.promises.order_by("-due_date")[:10])
    plans = list(account.plans.order_by("-created_at")[:10])
    # One query: the account's write-offs (one applied at most, one proposed at most).
    write_offs = list(
        account.write_offs.select_related("proposed_by", "decided_by").order_by("-proposed_at")[:5]
    )
    applied = next((w for w in write_offs if w.status == WriteOffStatus.APPLIED), None)
    proposed = next((w for w in write_offs if w.status == WriteOffStatus.PROPOSED), None)
    contact_points = list(account.customer.contact_points.all())
    history = list(account.bucket_history.order_by("-entered_on", "-id")[:24])
    settlements = list(account.settlements.order_by("-created_at", "-id")[:5])
    hardship = list(account.hardship_arrangements.order_by("-created_at", "-id")[:5])
    open_callbacks = list(
        account.callbacks.open().select_related("assigned_to", "contact_point").order_by("due_at")
    )
    closed_callbacks = list(
        account.callbacks.exclude(status=CallbackTask.Status.OPEN)
        .select_related("assigned_to")
        .order_by("-due_at")[:5]
    )
    # The timeline does not query what these lists show the account has none of.
    absent = [
        name
        for name, rows in (
            ("promises", promises),
            ("plans", plans),
            ("bucket_history", history),
            ("callbacks", open_callbacks + closed_callbacks),
            ("settlements", settlements),
            ("hardship", hardship),
        )
        if not rows
    ]
    legal_case = (
        account.legal_cases.filter(closed_at__isnull=True).first()
        if account.stage == Stage.LEGAL
        else None
    )
    return render(
        request,
        "accounts/account_detail.html",
        {
            "account": account,
            "customer": account.customer,
            "as_of": as_of,
            "dpd": dpd,
            "bucket": delinquency.bucket_for(dpd),
            "propensity": propensity.account_propensity(account),
            "history": history,
            "contact_points": [(cp, cp.pk in closed_points) for cp in contact_points],
            "restrictions": [(r, r.pk in held) for r in restrictions],
            "plans": plans,
            "write_off": applied,
            "write_off_proposed": proposed,
            "write_offs": write_offs,
            # Why no write-off may be proposed (the plans on the page tell an open one).
            "write_off_refusal": write_off_refusal(
                account,
                open_plan=next((p for p in plans if p.status in OPEN_PLAN_STATUSES), None),
            ),
            "promises": promises,
            "open_promises": [p for p in promises if p.status == PromiseStatus.PENDING],
            "settlements": settlements,
            "hardship": hardship,
            "open_disputes": open_disputes,
            "open_complaints": Complaint.objects.filter(account=account)
            .exclude(status__in=CLOSED_CASE_STATUSES)
            .select_related("owner"),
            "open_callbacks": open_callbacks,
            "closed_callbacks": closed_callbacks,
            "timeline": timeline_page(account, request.GET.get("page"), absent=absent),
            "can_reveal": request.user.has_perm(services.REVEAL_PERMISSION),
            "is_lead": request.user.has_role(Role.SUPERVISOR, Role.ADMIN),
            "legal_case": legal_case,
            "referable": account.stage in REFERABLE_STAGES,
            "form": ContactLogForm(account=account, contact_points=contact_points),
            "check": None,
            **case_forms.hardship_end_choices(),
        },
        status=status,
    )


@login_required
@require_POST
def account_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    account = account_for_page(request.user, pk)
    may_reveal = request.user.has_perm(services.REVEAL_PERMISSION)
    if may_reveal and not reauth_module.session_is_fresh(request):
        # The password first (accounts.reauth); then back to the case to reveal.
        case = reverse("accounts:detail", args=[account.pk])
        target = f"{reverse('accounts:reauth')}?{urlencode({'next': case})}"
        response = HttpResponse(status=204)
        response["HX-Redirect"] = target
        return response if request.headers.get("HX-Request") else redirect(target)
    revealed = services.personal_data_reveal(
        user=request.user,
        customer=account.customer,
        account=account,
        channel="web",
        remote_addr=client_ip(request),
    )
    points = {p.id: p for p in account.customer.contact_points.all()}
    return render(
        request,
        "accounts/_revealed.html",
        {
            "revealed": revealed,
            "contact_points": [
                (points[int(pid)], value) for pid, value in revealed["contact_points"].items()
            ],
        },
    )


@login_required
def reauth(request: HttpRequest) -> HttpResponse:
    """Enter the password again (before a reveal); then back to where the user was."""
    require_role(request.user)
    next_url = request.POST.get("next") or request.GET.get("next") or reverse("home")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = reverse("home")
    failed = False
    if request.method == "POST":
        user = authenticate(
            request, username=request.user.get_username(), password=request.POST.get("password")
        )
        if user is not None and user.pk == request.user.pk:
            reauth_module.password_entered(request)
            return redirect(next_url)
        failed = True
    return render(
        request,
        "accounts/reauth.html",
        {"next": next_url, "failed": failed},
        status=200 if not failed else 400,
    )
