"""The case page's actions: each a small form posted with htmx, through the service the API uses.

Every action checks who may (team scoping by ``account_for_page``, then the API's own rule:
a supervisor to end a restriction or opt a contact point back in, the owner or a supervisor to
move a dispute, complaint or callback along, the plan service for cancelling), parses its form
and calls one service; the service writes the change, its audit row and what the timeline reads.

A section's blank form (budget, contact point, restriction, hardship, write-off, a contact's
recording) is not written into the case page: the page carries a link to the action, and
opening the section fetches the form from it (GET, with htmx; without JavaScript the link
opens it as a page). The page then costs what it shows, not every form it could show.

Answers: done → the case page again (htmx swaps its ``<main>``, so the timeline and every
section show the change; without JavaScript a redirect to it) with a message. Refused → the
action's form with the reason: 400 for bad input, 403 for who may not, 409 for a conflict
with what is stored (``core.conflicts.DomainConflict``); nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import Account, ContactPoint, Role
from accounts.permissions import account_for_page
from accounts.services import customer_update
from compliance.models import CommunicationRestriction
from compliance.services import restriction_create, restriction_end
from contacts.models import CallbackTask, Complaint, ContactLog, Dispute
from contacts.services import contact_attachment_add, contact_point_create, contact_point_update
from core.conflicts import DomainConflict
from outreach.callbacks import callback_complete, callback_may_change, callback_reschedule
from outreach.services import case_transition
from plans.models import HardshipArrangement, Plan
from plans.services import (
    PlanStateError,
    hardship_create,
    hardship_end,
    plan_cancel,
    write_off_propose,
)
from workspace import case_forms
from workspace.views import case_page

SERVICE_ERRORS = (ValidationError, PermissionDenied, DomainConflict)


def _htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _done(request: HttpRequest, account: Account, message: str, anchor: str) -> HttpResponse:
    messages.success(request, message)
    if _htmx(request):
        # Read again: the service changed its own copy (a hardship's minimum due, a plan's stage).
        response = case_page(request, account_for_page(request.user, account.pk))
        response["HX-Retarget"] = "main"
        response["HX-Reselect"] = "main"
        response["HX-Reswap"] = "outerHTML"
        return response
    return redirect(f"{reverse('accounts:detail', args=[account.pk])}#{anchor}")


def _form_response(
    request: HttpRequest, account: Account, template: str, context: dict, status: int
) -> HttpResponse:
    """The action's form, blank (GET) or again saying what went wrong: the fragment for htmx,
    else a page."""
    context = {
        "account": account,
        "customer": account.customer,
        "is_lead": _is_lead(request.user),
        **context,
    }
    if _htmx(request):
        return render(request, template, context, status=status)
    return render(
        request,
        "accounts/case_action.html",
        {**context, "action_template": template},
        status=status,
    )


def _posted(request: HttpRequest) -> Any:
    """The form's data: what was posted, or None (unbound) for the blank form on GET."""
    return request.POST if request.method == "POST" else None


def _error_status(error: Exception) -> int:
    # A plan in the wrong state is a conflict too (the plans API answers it 409 as well).
    if isinstance(error, DomainConflict | PlanStateError):
        return 409
    if isinstance(error, PermissionDenied):
        return 403
    return 400


def _form_errors(form: forms.Form, error: Exception) -> None:
    if isinstance(error, DomainConflict):
        form.add_error(None, error.message)
    elif isinstance(error, PermissionDenied):
        form.add_error(None, str(error) or _("You may not do this."))
    elif isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        for field, texts in error.message_dict.items():
            form.add_error(field if field in form.fields else None, texts)
    elif isinstance(error, ValidationError):
        form.add_error(None, error.messages)


def _act(
    request: HttpRequest,
    account: Account,
    *,
    form: forms.Form,
    template: str,
    call: Callable[[dict], Any],
    done: str,
    anchor: str,
    context: dict | None = None,
) -> HttpResponse:
    """Parse, call the service, answer (see the module's docstring). On GET, the blank form."""
    context = context or {}
    if request.method == "GET":
        return _form_response(request, account, template, {**context, "form": form}, 200)
    if not form.is_valid():
        return _form_response(request, account, template, {**context, "form": form}, 400)
    try:
        call(form.cleaned_data)
    except SERVICE_ERRORS as error:
        _form_errors(form, error)
        status = _error_status(error)
        return _form_response(request, account, template, {**context, "form": form}, status)
    return _done(request, account, done, anchor)


def _forbidden(
    request: HttpRequest, account: Account, template: str, context: dict, message: str
) -> HttpResponse:
    """Who may not: decided before the body is read, answered in the action's place (403)."""
    form = forms.Form({})
    form.is_valid()
    form.add_error(None, message)
    return _form_response(request, account, template, {**context, "form": form}, 403)


def _is_lead(user) -> bool:
    return user.has_role(Role.SUPERVISOR, Role.ADMIN)


# --- The customer: declared budget and contact points ------------------------------------------
@login_required
@require_http_methods(["GET", "POST"])
def budget_update(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the customer's declared monthly income and expenses (as ``PATCH /customers/``)."""
    account = account_for_page(request.user, pk)
    return _act(
        request,
        account,
        form=case_forms.budget_form(_posted(request), account),
        template="accounts/actions/_budget.html",
        call=lambda data: customer_update(customer=account.customer, by=request.user, data=data),
        done=_("Declared income and expenses saved."),
        anchor="customer",
    )


@login_required
@require_http_methods(["GET", "POST"])
def contact_point_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a phone, email or address (as ``POST /customers/{id}/contact-points/``)."""
    account = account_for_page(request.user, pk)
    return _act(
        request,
        account,
        form=case_forms.ContactPointAddForm(_posted(request), prefix="point"),
        template="accounts/actions/_contact_point_add.html",
        call=lambda data: contact_point_create(by=request.user, customer=account.customer, **data),
        done=_("Contact point added."),
        anchor="customer",
    )


@login_required
@require_POST
def contact_point_opt_out(request: HttpRequest, pk: int, item: int) -> HttpResponse:
    """Mark a contact point opted out (any role), or opted back in (supervisors and admins:
    it reopens a channel the customer closed)."""
    account = account_for_page(request.user, pk)
    point = get_object_or_404(ContactPoint, pk=item, customer_id=account.customer_id)

    def call(data: dict) -> None:
        if not data["opted_out"] and not _is_lead(request.user):
            raise PermissionDenied(_("Only a supervisor may opt a contact point back in."))
        changes: dict[str, Any] = {"opted_out": data["opted_out"]}
        if not data["opted_out"]:
            changes["opted_out_at"] = None
        contact_point_update(point=point, by=request.user, data=changes)

    opted_out = request.POST.get("opted_out") == "1"
    done = _("Contact point marked opted out.") if opted_out else _("Contact point opted back in.")
    return _act(
        request,
        account,
        form=case_forms.OptOutForm(request.POST),
        template="accounts/actions/_opt_out.html",
        call=call,
        done=done,
        anchor="customer",
        context={"cp": point},
    )


# --- Restrictions --------------------------------------------------------------------------
@login_required
@require_http_methods(["GET", "POST"])
def restriction_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a restriction, any role (as ``POST /accounts/{id}/restrictions/``)."""
    account = account_for_page(request.user, pk)
    form = case_forms.RestrictionAddForm(_posted(request), account=account, prefix="restriction")
    return _act(
        request,
        account,
        form=form,
        template="accounts/actions/_restriction_add.html",
        call=lambda data: restriction_create(
            by=request.user, account=account, **form.service_kwargs()
        ),
        done=_("Restriction recorded."),
        anchor="restrictions",
    )


@login_required
@require_POST
def restriction_lift(request: HttpRequest, pk: int, item: int) -> HttpResponse:
    """End a restriction: supervisors and admins only (as ``…/restrictions/{id}/end/``)."""
    account = account_for_page(request.user, pk)
    restriction = get_object_or_404(CommunicationRestriction.objects.for_account(account), pk=item)
    template = "accounts/actions/_restriction_end.html"
    context = {"r": restriction}
    if not _is_lead(request.user):
        return _forbidden(
            request, account, template, context, _("Only a supervisor may end a restriction.")
        )
    return _act(
        request,
        account,
        form=case_forms.ReasonForm(request.POST),
        template=template,
        call=lambda data: restriction_end(
            restriction=restriction, by=request.user, reason=data["reason"]
        ),
        done=_("Restriction ended."),
        anchor="restrictions",
        context=context,
    )


# --- Disputes and complaints ---------------------------------------------------------------
def _case_transition(request: HttpRequest, pk: int, item: int, model) -> HttpResponse:
    account = account_for_page(request.user, pk)
    record = get_object_or_404(model, pk=item, account=account)
    template = "accounts/actions/_case_transition.html"
    context = {"record": record, "kind": model._meta.model_name}
    if not _is_lead(request.user) and record.owner_id != request.user.pk:
        return _forbidden(
            request,
            account,
            template,
            context,
            _("Only the owner or a supervisor may move this along."),
        )

    def call(data: dict) -> None:
        with transaction.atomic():
            case_transition(
                record=record,
                to_status=data["status"],
                by=request.user,
                now=timezone.now(),
                note=data["note"],
            )

    return _act(
        request,
        account,
        form=case_forms.CaseTransitionForm(request.POST),
        template=template,
        call=call,
        done=_("Dispute updated.") if model is Dispute else _("Complaint updated."),
        anchor="cases",
        context=context,
    )


@login_required
@require_POST
def dispute_transition(request: HttpRequest, pk: int, item: int) -> HttpResponse:
    """Review, resolve or reject a dispute (as ``POST /disputes/{id}/transition/``)."""
    return _case_transition(request, pk, item, Dispute)


@login_required
@require_POST
def complaint_transition(request: HttpRequest, pk: int, item: int) -> HttpResponse:
    """Review, resolve or reject a complaint (as ``POST /complaints/{id}/transition/``)."""
    return _case_transition(request, pk, item, Complaint)


# --- Plans ---------------------------------------------------------------------------------
@login_required
@require_POST
def plan_cancel_view(request: HttpRequest, pk: int, item: int) -> HttpResponse:
    """Cancel a plan with a reason: drafts and pending plans by any role, an active plan by a
    supervisor or admin (``plans.services.plan_cancel`` decides, as for ``/plans/{id}/cancel/``)."""
    account = account_for_page(request.user, pk)
    plan = get_object_or_404(Plan, pk=item, account=account)
    return _act(
        request,
        account,
        form=case_forms.ReasonForm(request.POST),
        template="accounts/actions/_plan_cancel.html",
        call=lambda data: plan_cancel(plan=plan, by=request.user, reason=data["reason"]),
        done=_("Plan cancelled."),
        anchor="plans",
        context={"plan": plan},
    )


# --- Hardship programmes ---------------------------------------------------------------------
@login_required
@require_http_methods(["GET", "POST"])
def hardship_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Arrange a reduced payment or an interest freeze (as ``POST /accounts/{id}/hardship/``)."""
    account = account_for_page(request.user, pk)
    return _act(
        request,
        account,
        form=case_forms.HardshipForm(_posted(request), prefix="hardship"),
        template="accounts/actions/_hardship_add.html",
        call=lambda data: hardship_create(account=account, by=request.user, **data),
        done=_("Hardship arrangement recorded; its review is in the queue on its date."),
        anchor="hardship",
    )


@login_required
@require_POST
def hardship_finish(request: HttpRequest, pk: int, item: int) -> HttpResponse:
    """End an arrangement: revert, or convert it into a plan draft (as ``/hardship/{id}/end/``)."""
    account = account_for_page(request.user, pk)
    arrangement = get_object_or_404(HardshipArrangement, pk=item, account=account)
    form = case_forms.HardshipEndForm(request.POST)
    return _act(
        request,
        account,
        form=form,
        template="accounts/actions/_hardship_end.html",
        call=lambda data: hardship_end(
            arrangement=arrangement, by=request.user, **form.service_kwargs()
        ),
        done=_("Hardship arrangement ended."),
        anchor="hardship",
        context={"h": arrangement, **case_forms.hardship_end_choices()},
    )


# --- Write-off ------------------------------------------------------------------------------
@login_required
@require_http_methods(["GET", "POST"])
def write_off_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Propose charging the account off, any role; a supervisor or admin other than the proposer
    decides it on the approvals page (``plans.services.write_off_propose``)."""
    account = account_for_page(request.user, pk)
    return _act(
        request,
        account,
        form=case_forms.WriteOffForm(_posted(request), prefix="write_off"),
        template="accounts/actions/_write_off_propose.html",
        call=lambda data: write_off_propose(account=account, by=request.user, **data),
        done=_("Write-off proposed; a supervisor decides it on the approvals page."),
        anchor="write-off",
    )


# --- Evidence --------------------------------------------------------------------------------
@login_required
@require_http_methods(["GET", "POST"])
def contact_recording(request: HttpRequest, pk: int, item: int) -> HttpResponse:
    """Keep a call recording (or a scan) with a logged contact that has none (as ``POST
    /accounts/{id}/contacts/{cid}/attachment/``); played through the team-checked endpoint."""
    account = account_for_page(request.user, pk)
    entry = get_object_or_404(ContactLog, pk=item, account=account)
    return _act(
        request,
        account,
        form=case_forms.RecordingForm(_posted(request), request.FILES or None),
        template="accounts/actions/_recording.html",
        call=lambda data: contact_attachment_add(entry=entry, file=data["file"], by=request.user),
        done=_("Recording kept with the contact."),
        anchor="timeline",
        context={"contact_id": entry.pk},
    )


# --- Callbacks -------------------------------------------------------------------------------
def _callback(request: HttpRequest, pk: int, item: int) -> tuple[Account, CallbackTask]:
    account = account_for_page(request.user, pk)
    return account, get_object_or_404(CallbackTask, pk=item, account=account)


@login_required
@require_POST
def callback_done(request: HttpRequest, pk: int, item: int) -> HttpResponse:
    """Complete a callback: its owner or a supervisor (as ``POST /callbacks/{id}/complete/``)."""
    account, callback = _callback(request, pk, item)
    template = "accounts/actions/_callback_complete.html"
    context = {"cb": callback}
    if not callback_may_change(request.user, callback):
        return _forbidden(request, account, template, context, _("This callback is not yours."))
    return _act(
        request,
        account,
        form=case_forms.CallbackCompleteForm(request.POST),
        template=template,
        call=lambda data: callback_complete(callback=callback, by=request.user, note=data["note"]),
        done=_("Callback done."),
        anchor="callbacks",
        context=context,
    )


@login_required
@require_POST
def callback_move(request: HttpRequest, pk: int, item: int) -> HttpResponse:
    """Reschedule a callback to a time compliance allows (as ``/callbacks/{id}/reschedule/``)."""
    account, callback = _callback(request, pk, item)
    template = "accounts/actions/_callback_reschedule.html"
    context = {"cb": callback}
    if not callback_may_change(request.user, callback):
        return _forbidden(request, account, template, context, _("This callback is not yours."))
    return _act(
        request,
        account,
        form=case_forms.CallbackRescheduleForm(request.POST, account=account),
        template=template,
        call=lambda data: callback_reschedule(callback=callback, by=request.user, **data),
        done=_("Callback rescheduled."),
        anchor="callbacks",
        context=context,
    )
