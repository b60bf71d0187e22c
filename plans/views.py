"""Pages for plans: the plan builder, a detail page with approval, and the printable agreement.

Thin: scope, parse, call ``plans.selectors`` / ``plans.services``, render. The builder's options
and schedule preview come from the pure engine; nothing is saved until the specialist creates
the plan.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import delinquency
from accounts.models import Account, Role
from accounts.permissions import account_for_page, require_role, user_can_see_account
from plans import selectors, services
from plans.forms import (
    OptionsForm,
    PlanBuilderForm,
    PlanRejectForm,
    RescheduleForm,
    SettlementForm,
)
from plans.models import Plan, PlanStatus, Settlement, SettlementStatus
from plans.schedule import ScheduleError


def _visible_plan(request: HttpRequest, pk: int) -> Plan:
    require_role(request.user)
    try:
        plan = selectors.plan_with_schedule(pk)
    except Plan.DoesNotExist:
        raise Http404("No such plan.") from None
    if not user_can_see_account(request.user, plan.account):
        raise PermissionDenied(_("This plan belongs to another team's account."))
    return plan


def _percent_input(rate: Decimal | None) -> Decimal | None:
    """A stored rate (0.120000) as the form types it (12)."""
    if rate is None:
        return None
    value = (rate * 100).normalize()
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value


def _render_detail(
    request: HttpRequest, plan: Plan, *, reschedule_form: RescheduleForm | None = None, status=200
) -> HttpResponse:
    return render(
        request,
        "plans/plan_detail.html",
        {
            **selectors.agreement_context(plan),
            "events": plan.events.all(),
            "payments": selectors.payments_of(plan.account).filter(plan=plan),
            "can_decide": plan.status == PlanStatus.PENDING_APPROVAL
            and request.user.has_role(Role.SUPERVISOR, Role.ADMIN),
            "reject_form": PlanRejectForm(),
            "can_reschedule": plan.status in (PlanStatus.ACTIVE, PlanStatus.BROKEN),
            "reschedule_form": reschedule_form
            or RescheduleForm(
                initial={
                    "method": plan.method,
                    "annual_rate": _percent_input(plan.annual_rate),
                    "period_fee_rate": _percent_input(plan.period_fee_rate),
                    "installments": plan.installment_count,
                }
            ),
            "replaced_by": getattr(plan, "replaced_by", None),
        },
        status=status,
    )


@login_required
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, _visible_plan(request, pk))


@login_required
@require_POST
def plan_reschedule(request: HttpRequest, pk: int) -> HttpResponse:
    """New terms for an active or broken plan through ``plans.services.plan_reschedule``: the
    new plan's page on success, else this plan's page with the errors by the fields."""
    plan = _visible_plan(request, pk)
    form = RescheduleForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            new = services.plan_reschedule(
                plan=plan,
                by=request.user,
                method=data["method"],
                installments=data["installments"],
                first_due_date=data.get("first_due_date"),
                payment_holiday_months=data["payment_holiday_months"],
                arrears=data["arrears"],
                reason=data["reason"],
                **form.rates(),
            )
        except (ValidationError, PermissionDenied, services.ConflictError) as error:
            _form_errors(form, error)
        else:
            if new.status == PlanStatus.ACTIVE:
                messages.success(request, _("Plan rescheduled; the new plan is active."))
            else:
                messages.success(
                    request, _("Plan rescheduled; the new plan waits for a supervisor's approval.")
                )
            return redirect("plans:detail", pk=new.pk)
    return _render_detail(
        request, selectors.plan_with_schedule(pk), reschedule_form=form, status=400
    )


def _service_errors(request: HttpRequest, error: Exception) -> None:
    if isinstance(error, services.ConflictError):
        messages.error(request, error.message)
    elif isinstance(error, ValidationError):
        for text in error.messages:
            messages.error(request, text)
    else:
        messages.error(request, str(error))


def _decide(request: HttpRequest, pk: int) -> Plan:
    plan = _visible_plan(request, pk)
    if not request.user.has_role(Role.SUPERVISOR, Role.ADMIN):
        raise PermissionDenied(_("Only a supervisor or an admin may approve or reject plans."))
    return plan


@login_required
@require_POST
def plan_approve(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _decide(request, pk)
    try:
        services.plan_approve(plan=plan, by=request.user, note=request.POST.get("reason", "")[:500])
    except (ValidationError, PermissionDenied) as error:
        _service_errors(request, error)
    else:
        messages.success(request, _("Plan approved and now active."))
    return redirect("plans:detail", pk=pk)


@login_required
@require_POST
def plan_reject(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _decide(request, pk)
    form = PlanRejectForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason for rejecting the plan."))
        return redirect("plans:detail", pk=pk)
    try:
        services.plan_reject(plan=plan, by=request.user, reason=form.cleaned_data["reason"])
    except (ValidationError, PermissionDenied) as error:
        _service_errors(request, error)
    else:
        messages.success(request, _("Plan rejected."))
    return redirect("plans:detail", pk=pk)


# --- Plan builder ------------------------------------------------------------------------------
def _options(account: Account, form: OptionsForm, start):
    """The options side by side for the pricing in ``form``, or an error message."""
    data = form.cleaned_data
    try:
        return (
            selectors.plan_options_for_account(
                account,
                start_date=start,
                method=data["method"],
                frequency=data["frequency"],
                **form.concessions(),
                **form.rates(),
            ),
            "",
        )
    except ScheduleError as error:  # a ConcessionError too
        return None, error.message


def _preview(account: Account, form: OptionsForm, user, start) -> selectors.PlanPreview | None:
    """The schedule the typed terms would have (the engine; nothing saved)."""
    data = form.cleaned_data
    if not data.get("installments"):
        return None
    return selectors.plan_preview(
        account,
        proposed_by=user,
        start_date=start,
        method=data["method"],
        installments=data["installments"],
        frequency=data["frequency"],
        first_due_date=data.get("first_due_date"),
        down_payment=data["down_payment"],
        **form.concessions(),
        **form.rates(),
    )


def _chosen(query) -> dict:
    """The query as a dict, with an option picked from the table (``pick``) as the term."""
    data = query.dict()
    if data.get("pick"):
        data["installments"] = data.pop("pick")
    return data


def _pricing_form(request: HttpRequest, *, defaults_only: bool = False) -> OptionsForm:
    data = {
        "method": PlanBuilderForm.base_fields["method"].initial,
        "annual_rate": PlanBuilderForm.base_fields["annual_rate"].initial,
        "frequency": PlanBuilderForm.base_fields["frequency"].initial,
    }
    if not defaults_only:
        data.update(_chosen(request.POST if request.method == "POST" else request.GET))
    form = OptionsForm(data)
    form.is_valid()
    return form


@login_required
def plan_builder(request: HttpRequest, account_id: int) -> HttpResponse:
    """GET: options side by side and the form (``?installments=`` picks one). POST: create the
    plan, and with ``action=submit`` record the customer's acceptance and submit it — activated
    within the specialist's authority, else sent to a supervisor."""
    account = account_for_page(request.user, account_id)
    pricing = _pricing_form(request)
    if request.method == "POST":
        form = PlanBuilderForm(request.POST)
        if form.is_valid():
            try:
                plan = _plan_create_and_submit(account, form, request.user)
            except (ValidationError, PermissionDenied) as error:
                _form_errors(form, error)
            else:
                return redirect("plans:detail", pk=plan.pk)
        status = 400
    else:
        form = PlanBuilderForm(initial=_chosen(request.GET))
        status = 200
    return _render_builder(request, account, form=form, pricing=pricing, status=status)


def _render_builder(
    request: HttpRequest,
    account: Account,
    *,
    form: PlanBuilderForm,
    pricing: OptionsForm,
    status: int = 200,
    settlement_form: SettlementForm | None = None,
) -> HttpResponse:
    start = delinquency.business_date()
    options, options_error = _options(account, pricing, start)
    return render(
        request,
        "plans/builder.html",
        {
            "account": account,
            "customer": account.customer,
            "form": form,
            "options": options,
            "option_rows": [(o, selectors.rate_percent(o.apr)) for o in options.result.options]
            if options
            else [],
            "options_error": options_error,
            "preview": _preview(account, pricing, request.user, start),
            "chosen": pricing.cleaned_data.get("installments"),
            "start": start,
            "settlement_form": settlement_form or SettlementForm(),
            "settlements": selectors.settlements_of(account),
            "is_lead": request.user.has_role(Role.SUPERVISOR, Role.ADMIN),
        },
        status=status,
    )


# --- Settlement offers (shown in the plan builder) ----------------------------------------------
@login_required
@require_POST
def settlement_new(request: HttpRequest, account_id: int) -> HttpResponse:
    """Propose a settlement through ``plans.services.settlement_create``; the builder shows it
    with the account's other offers, or the form again with the errors by the fields."""
    account = account_for_page(request.user, account_id)
    form = SettlementForm(request.POST)
    if form.is_valid():
        try:
            settlement = services.settlement_create(
                account=account, by=request.user, **form.cleaned_data
            )
        except (ValidationError, PermissionDenied, services.ConflictError) as error:
            _form_errors(form, error)
        else:
            if settlement.status == SettlementStatus.OFFERED:
                messages.success(request, _("Settlement offered to the customer."))
            else:
                messages.success(
                    request, _("Settlement proposed; it waits for a supervisor's approval.")
                )
            return redirect(reverse("plans:new", args=[account.pk]) + "#settlements")
    return _render_builder(
        request,
        account,
        form=PlanBuilderForm(),
        pricing=_pricing_form(request, defaults_only=True),  # the POST is the offer's
        settlement_form=form,
        status=400,
    )


@login_required
@require_POST
def settlement_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve, reject or withdraw an offer (``action``, with ``reason``) from the builder."""
    require_role(request.user)
    settlement = get_object_or_404(Settlement.objects.select_related("account"), pk=pk)
    if not user_can_see_account(request.user, settlement.account):
        raise PermissionDenied(_("This settlement belongs to another team's account."))
    action = request.POST.get("action")
    reason = request.POST.get("reason", "")[:500]
    decisions = {
        "approve": lambda: services.settlement_approve(
            settlement=settlement, by=request.user, note=reason
        ),
        "reject": lambda: services.settlement_reject(
            settlement=settlement, by=request.user, reason=reason
        ),
        "withdraw": lambda: services.settlement_withdraw(
            settlement=settlement, by=request.user, reason=reason
        ),
    }
    if action not in decisions:
        messages.error(request, _("Choose approve, reject or withdraw."))
    else:
        try:
            done = decisions[action]()
        except (ValidationError, PermissionDenied, services.ConflictError) as error:
            _service_errors(request, error)
        else:
            messages.success(
                request,
                _("Settlement %(id)s is now %(status)s.")
                % {"id": done.pk, "status": done.get_status_display().lower()},
            )
    return redirect(reverse("plans:new", args=[settlement.account_id]) + "#settlements")


@login_required
@require_POST
def plan_preview(request: HttpRequest, account_id: int) -> HttpResponse:
    """htmx: the schedule preview for the terms typed so far."""
    account = account_for_page(request.user, account_id)
    start = delinquency.business_date()
    pricing = _pricing_form(request)
    return render(
        request,
        "plans/_preview.html",
        {
            "account": account,
            "preview": _preview(account, pricing, request.user, start),
            "pricing_errors": pricing.errors,
        },
    )


def _form_errors(form: forms.Form, error: Exception) -> None:
    if isinstance(error, services.ConflictError):
        form.add_error(None, error.message)
    elif isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        for field, texts in error.message_dict.items():
            form.add_error(field if field in form.fields else None, texts)
    elif isinstance(error, ValidationError):
        form.add_error(None, error.messages)
    else:
        form.add_error(None, str(error))


def _plan_create_and_submit(account: Account, form: PlanBuilderForm, user) -> Plan:
    data = form.cleaned_data
    return services.plan_create_and_submit(
        account=account,
        by=user,
        submit=data.get("action") == PlanBuilderForm.SUBMIT,
        acceptance_channel=data.get("acceptance_channel", ""),
        acceptance_reference=data.get("acceptance_reference", ""),
        method=data["method"],
        installments=data["installments"],
        frequency=data["frequency"],
        first_due_date=data.get("first_due_date"),
        down_payment=data["down_payment"],
        concessions_conditional=bool(data.get("concessions_conditional")),
        **form.rates(),
        **form.concessions(),
    )


@login_required
def plan_agreement(request: HttpRequest, pk: int) -> HttpResponse:
    """Printed in the customer's language; ``?language=`` prints a copy in another one."""
    plan = _visible_plan(request, pk)
    languages = {code for code, _name in settings.LANGUAGES}
    language = request.GET.get("language")
    if language not in languages:
        language = plan.account.customer.language
    with translation.override(language):
        return render(request, "plans/agreement.html", selectors.agreement_context(plan))
