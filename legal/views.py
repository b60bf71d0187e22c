"""Legal pages for supervisors and admins: refer an account, decide referrals, work cases.

Each page checks the role (``_require_lead``) and the team (``Account.objects.visible_to``),
parses a form and calls one service in ``legal.services``; a refusal comes back as the form's
error (400 bad input, 403 not allowed, 409 conflicts with what is stored), writing nothing.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Min, Q
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from accounts.models import Account
from accounts.permissions import account_for_page
from core.business_calendar import business_date
from core.client_ip import client_ip
from core.conflicts import DomainConflict
from legal import forms, services
from legal.models import LegalCase, LegalReferral, LegalStep, ReferralDocument, ReferralStatus

PAGE_SIZE = 25
REFUSALS = (ValidationError, PermissionDenied, DomainConflict)


def _require_lead(request: HttpRequest) -> None:
    if not services.may_refer(request.user):
        raise PermissionDenied(_("Only supervisors and admins work legal cases."))


def _status(error: Exception) -> int:
    if isinstance(error, PermissionDenied):
        return 403
    return 409 if isinstance(error, DomainConflict) else 400


def _add_errors(form, error: Exception) -> None:
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        for field, problems in error.message_dict.items():
            form.add_error(field if field in form.fields else None, problems)
    else:
        form.add_error(
            None, str(error.messages[0] if isinstance(error, ValidationError) else error)
        )


def _visible(queryset, user, path: str = "account__"):
    return queryset.filter(**{f"{path}in": Account.objects.visible_to(user)})


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """Referrals waiting for a decision, the open cases with their next date, what is due."""
    _require_lead(request)
    today = business_date()
    pending = list(
        _visible(LegalReferral.objects.filter(status=ReferralStatus.PENDING), request.user)
        .select_related("account__customer", "referred_by")
        .order_by("referred_at")[:50]
    )
    for referral in pending:
        referral.may_decide = referral.referred_by_id != request.user.pk and (
            services.authority_covers(request.user, referral.balance, referral.currency)
        )
    cases = (
        _visible(LegalCase.objects.filter(closed_at__isnull=True), request.user)
        .select_related("account__customer", "handler")
        .annotate(next_date=Min("steps__due_on", filter=Q(steps__done_on__isnull=True)))
        .order_by("next_date", "opened_at", "id")
    )
    due = (
        _visible(
            LegalStep.objects.filter(
                done_on__isnull=True,
                case__closed_at__isnull=True,
                due_on__lte=today + timedelta(days=services.LEGAL_DATE_DAYS),
            ),
            request.user,
            "case__account__",
        )
        .select_related("case__account__customer")
        .order_by("due_on", "id")[:50]
    )
    return render(
        request,
        "legal/index.html",
        {
            "pending": pending,
            "page": Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page")),
            "due": due,
            "today": today,
            "days": services.LEGAL_DATE_DAYS,
        },
    )


@login_required
def refer(request: HttpRequest, pk: int) -> HttpResponse:
    _require_lead(request)
    account = account_for_page(request.user, pk)
    form = forms.ReferralForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                referral = services.referral_create(
                    account=account,
                    by=request.user,
                    reasons=form.cleaned_data["reasons"],
                    note=form.cleaned_data["note"],
                    documents=form.cleaned_data["documents"],
                )
            except REFUSALS as error:
                _add_errors(form, error)
                status = _status(error)
            else:
                if referral.status == ReferralStatus.APPROVED:
                    messages.success(request, _("Referred to legal: the case is open."))
                    return redirect("legal:case", referral.case.pk)
                messages.success(request, _("Referred to legal: the referral waits for approval."))
                return redirect("legal:referral", referral.pk)
    refusals = services.referral_refusals(account, day=business_date())
    return render(
        request,
        "legal/refer.html",
        {
            "account": account,
            "form": form,
            "refusals": refusals,
            "within_authority": services.authority_covers(
                request.user, account.total_balance, account.currency
            ),
        },
        status=status,
    )


def _referral_for(request: HttpRequest, pk: int) -> LegalReferral:
    referral = get_object_or_404(
        LegalReferral.objects.select_related("account__customer", "referred_by", "decided_by"),
        pk=pk,
    )
    account_for_page(request.user, referral.account_id)
    return referral


@login_required
def referral(request: HttpRequest, pk: int) -> HttpResponse:
    _require_lead(request)
    referral = _referral_for(request, pk)
    form = forms.DecisionForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.referral_decide(
                    referral=referral,
                    by=request.user,
                    approve=form.cleaned_data["action"] == "approve",
                    note=form.cleaned_data["note"],
                )
            except REFUSALS as error:
                _add_errors(form, error)
                status = _status(error)
            else:
                referral.refresh_from_db()
                if referral.status == ReferralStatus.APPROVED:
                    messages.success(request, _("Approved: the legal case is open."))
                    return redirect("legal:case", referral.case.pk)
                messages.success(request, _("Referral rejected."))
                return redirect("legal:index")
    may_decide = (
        referral.status == ReferralStatus.PENDING
        and referral.referred_by_id != request.user.pk
        and services.authority_covers(request.user, referral.balance, referral.currency)
    )
    return render(
        request,
        "legal/referral.html",
        {
            "referral": referral,
            "documents": referral.documents.all(),
            "form": form,
            "may_decide": may_decide,
        },
        status=status,
    )


#: The case page's forms: action name → (form class, the service call it makes).
def _case_update(case, by, data):
    return services.case_update(case=case, by=by, data=data)


def _step_add(case, by, data):
    return services.step_add(case=case, by=by, **data)


def _step_done(case, by, data):
    step = get_object_or_404(LegalStep, case=case, pk=data["step"])
    return services.step_done(step=step, by=by, done_on=data["done_on"])


def _cost_add(case, by, data):
    return services.cost_add(case=case, by=by, **data)


def _close(case, by, data):
    return services.case_close(case=case, by=by, outcome=data["outcome"])


CASE_ACTIONS = {
    "update": (forms.CaseForm, _case_update, _("The case's details are saved.")),
    "step": (forms.StepForm, _step_add, _("The step is added.")),
    "done": (forms.StepDoneForm, _step_done, _("The step is done.")),
    "cost": (forms.CostForm, _cost_add, _("The cost is recorded.")),
    "close": (forms.CloseForm, _close, _("The case is closed.")),
}


def _case_forms(case: LegalCase) -> dict:
    return {
        "update": forms.CaseForm(instance=case, prefix="update"),
        "step": forms.StepForm(prefix="step"),
        "cost": forms.CostForm(prefix="cost"),
        "close": forms.CloseForm(prefix="close"),
    }


@login_required
def case(request: HttpRequest, pk: int) -> HttpResponse:
    _require_lead(request)
    case = get_object_or_404(
        LegalCase.objects.select_related("account__customer", "referral", "handler"), pk=pk
    )
    account_for_page(request.user, case.account_id)
    bound = _case_forms(case)
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action not in CASE_ACTIONS:
            return HttpResponse(_("Unknown action."), status=400)
        form_class, call, done = CASE_ACTIONS[action]
        prefix = None if action == "done" else action
        kwargs = {"instance": LegalCase.objects.get(pk=case.pk)} if action == "update" else {}
        form = form_class(request.POST, prefix=prefix, **kwargs)
        status = 400
        if form.is_valid():
            try:
                call(case, request.user, form.cleaned_data)
            except REFUSALS as error:
                _add_errors(form, error)
                status = _status(error)
            else:
                messages.success(request, done)
                return redirect("legal:case", case.pk)
        if action != "done":
            bound[action] = form
        else:
            messages.error(request, " ".join(str(e) for e in form.errors.values()))
    return render(
        request,
        "legal/case.html",
        {
            "case": case,
            "account": case.account,
            "steps": case.steps.select_related("created_by"),
            "costs": case.costs.all(),
            "totals": services.cost_totals(case),
            "documents": case.referral.documents.all(),
            "forms": bound,
            "today": business_date(),
        },
        status=status,
    )


@login_required
def document(request: HttpRequest, pk: int) -> FileResponse:
    """A referral's document, for the account's team's supervisors; every opening is recorded."""
    _require_lead(request)
    doc = get_object_or_404(ReferralDocument.objects.select_related("referral__account"), pk=pk)
    account = account_for_page(request.user, doc.referral.account_id)
    services.document_access_record(
        user=request.user, document=doc, account=account, remote_addr=client_ip(request)
    )
    return FileResponse(doc.file.open("rb"), as_attachment=True, filename=doc.name)
