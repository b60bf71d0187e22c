"""The portal's pages: thin views over ``portal.verification`` and ``portal.services``.

Customers are not Settle users: these views never read ``request.user``; a ``PortalSession``
(``portal.sessions``) says who is there, and every account is looked up within that customer.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import Account
from accounts.portal_links import LinkError, link_read
from checkout.selectors import session_by_token
from core.business_calendar import business_date
from core.client_ip import client_ip
from core.conflicts import DomainConflict
from plans.models import Installment, InstallmentStatus, Plan, PlanStatus
from plans.schedule import ScheduleError
from plans.selectors import rate_percent
from portal import forms, services, verification
from portal.models import PortalEvent
from portal.sessions import portal_view, session_end, session_open


def _render(request, template, context=None, status=200):
    return render(request, f"portal/{template}", context or {}, status=status)


def _as_form_errors(form, error: ValidationError) -> None:
    for field, messages in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages)


@require_http_methods(["GET", "POST"])
def start(request: HttpRequest) -> HttpResponse:
    """Type the code from a letter (the same token a message's link carries)."""
    form = forms.CodeEntryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        return redirect(reverse("portal:link", args=[form.cleaned_data["code"]]))
    status = 400 if form.errors else 200
    return _render(request, "start.html", {"form": form}, status=status)


def link(request: HttpRequest, token: str) -> HttpResponse:
    now = timezone.now()
    try:
        found = link_read(token, today=business_date())
    except LinkError as error:
        expired = error.reason == "expired"
        return _render(
            request, "link_refused.html", {"expired": expired}, status=410 if expired else 404
        )
    if not Account.objects.filter(customer_id=found.customer_id).exists():
        return _render(request, "link_refused.html", {"expired": False}, status=404)
    response = redirect(reverse("portal:verify"))
    session_open(request, response, customer_id=found.customer_id, now=now)
    return response


def _locked(request, until):
    return _render(request, "locked.html", {"until": until}, status=429)


@portal_view(verified=False)
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    session = request.portal
    if session.verified_at is not None:
        return redirect(reverse("portal:home"))
    if session.identified_at is not None:
        return redirect(reverse("portal:code"))
    form = forms.IdentityForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            ok = verification.identity_check(
                session=session,
                date_of_birth=form.cleaned_data["date_of_birth"],
                id_last_digits=form.cleaned_data["id_last_digits"] or "",
                now=timezone.now(),
                ip=client_ip(request),
            )
        except verification.Locked as locked:
            return _locked(request, locked.until)
        if ok:
            return redirect(reverse("portal:code"))
        form.add_error(None, _("That does not match what we hold. Check it and try again."))
    return _render(request, "verify.html", {"form": form}, status=400 if form.errors else 200)


@portal_view(verified=False, identified=True)
@require_http_methods(["GET", "POST"])
def code(request: HttpRequest) -> HttpResponse:
    session = request.portal
    now = timezone.now()
    points = verification.code_points(session.customer)
    send_form = forms.CodeSendForm(points=points)
    check_form = forms.CodeCheckForm()
    sent_to = None
    status = 200
    action = request.POST.get("action")
    try:
        if request.method == "POST" and action == "send":
            send_form = forms.CodeSendForm(request.POST, points=points)
            status = 400
            if send_form.is_valid():
                status = 200
                try:
                    sent = verification.code_send(
                        session=session, point_id=send_form.cleaned_data["point"], now=now
                    )
                    sent_to = sent.code.contact_point.masked_value
                except verification.CodeNotSent:
                    send_form.add_error(None, _("We could not send a code there. Choose another."))
                    status = 400
        elif request.method == "POST" and action == "check":
            check_form = forms.CodeCheckForm(request.POST)
            if check_form.is_valid():
                if verification.code_check(
                    session=session,
                    code=check_form.cleaned_data["code"],
                    now=now,
                    ip=client_ip(request),
                ):
                    services.event_record(session, PortalEvent.Kind.VERIFIED, now=now)
                    return redirect(reverse("portal:home"))
                check_form.add_error("code", _("That code is wrong or has expired."))
            status = 400
    except verification.Locked as locked:
        return _locked(request, locked.until)
    return _render(
        request,
        "code.html",
        {"send_form": send_form, "check_form": check_form, "sent_to": sent_to, "points": points},
        status=status,
    )


@portal_view()
def home(request: HttpRequest) -> HttpResponse:
    accounts = list(services.customer_accounts(request.portal))
    as_of = business_date()
    rows = [
        {"account": a, "balance": services.balance(a), "dpd": a.days_past_due(as_of)}
        for a in accounts
    ]
    return _render(request, "home.html", {"rows": rows, "customer": request.portal.customer})


def _account_or_404(request, account_id: int) -> Account:
    try:
        return services.customer_account(request.portal, account_id)
    except Account.DoesNotExist:
        raise Http404 from None


def _plan_context(account: Account, as_of):
    policy = services.policy_for(account.customer.jurisdiction)
    refusal = services.plan_refusal(account, policy, as_of)
    options = []
    try:
        choices = [] if refusal else services.plan_choices(account, policy, as_of)
    except ScheduleError:
        choices, refusal = [], _("A plan for this account is arranged with a specialist.")
    if not refusal:
        for option in choices:
            text = services.plan_terms_text(account, option)
            options.append(
                {
                    "option": option,
                    "apr_percent": rate_percent(option.apr),
                    "text": text,
                    "hash": services.text_hash(text),
                }
            )
    settlement = None
    if not services.settlement_refusal(account, policy, as_of):
        terms = services.settlement_terms(account, policy, as_of)
        text = services.settlement_terms_text(account, terms)
        settlement = {"terms": terms, "text": text, "hash": services.text_hash(text)}
    return {"policy": policy, "refusal": refusal, "options": options, "settlement": settlement}


@portal_view()
def account(request: HttpRequest, account_id: int) -> HttpResponse:
    acc = _account_or_404(request, account_id)
    as_of = business_date()
    plan = Plan.objects.filter(account=acc, status=PlanStatus.ACTIVE).first()
    next_installment = None
    if plan is not None:
        next_installment = (
            Installment.objects.filter(plan=plan)
            .exclude(status=InstallmentStatus.PAID)
            .order_by("due_date")
            .first()
        )
    context = {
        "account": acc,
        "balance": services.balance(acc),
        "dpd": acc.days_past_due(as_of),
        "validation": services.validation(acc),
        "plan": plan,
        "next_installment": next_installment,
        "pay_form": forms.PayForm(initial={"amount": services.amount_suggested(acc)}),
        "pay_url": reverse("portal:pay", args=[acc.pk]),
        "promise_form": forms.PromiseForm(),
        "callback_form": forms.CallbackForm(),
        "dispute_form": forms.DisputeForm(),
        "hardship_form": forms.HardshipForm(),
        "done": request.GET.get("done", ""),
    }
    return _render(request, "account.html", context)


@portal_view()
@require_POST
def pay(request: HttpRequest, account_id: int) -> HttpResponse:
    """Start an online payment and send the customer to the provider's page."""
    acc = _account_or_404(request, account_id)
    form = forms.PayForm(request.POST)
    if form.is_valid():
        # Back to the portal's own address (the one in its links), whatever host served this.
        path = reverse("portal:paid", args=[acc.pk, "TOKEN"])
        back = settings.SETTLE_PORTAL_BASE_URL.rstrip("/") + path
        try:
            checkout = services.pay_start(
                session=request.portal,
                account=acc,
                amount=form.cleaned_data["amount"],
                success_url=back.replace("TOKEN", "{token}"),
                cancel_url=back.replace("TOKEN", "{token}"),
                now=timezone.now(),
            )
            return redirect(checkout.redirect_url)
        except ValidationError as error:
            _as_form_errors(form, error)
        except DomainConflict as conflict:
            form.add_error(None, str(conflict))
    return _render(request, "action_refused.html", {"account": acc, "form": form}, status=400)


@portal_view()
def paid(request: HttpRequest, account_id: int, token: str) -> HttpResponse:
    """Back from the provider: what became of the payment (the webhook decides, not this page)."""
    acc = _account_or_404(request, account_id)
    checkout = session_by_token(token, account=acc)
    if checkout is None:
        raise Http404
    return _render(request, "paid.html", {"account": acc, "checkout": checkout})


@portal_view()
@require_http_methods(["GET", "POST"])
def plan(request: HttpRequest, account_id: int) -> HttpResponse:
    """The plans (and settlement) the policy allows; accept one, or ask a specialist."""
    acc = _account_or_404(request, account_id)
    as_of = business_date()
    posted = request.POST if request.method == "POST" else None
    action = posted.get("action", "accept") if posted is not None else None
    accept_form = forms.PlanAcceptForm(posted if action == "accept" else None)
    settle_form = forms.SettlementAcceptForm(posted if action == "settle" else None)
    request_form = forms.PlanRequestForm(posted if action == "request" else None)
    common = {"session": request.portal, "account": acc, "now": timezone.now()}
    accepting = {**common, "language": translation.get_language(), "as_of": as_of}
    done = None
    if action == "request" and request_form.is_valid():
        data = request_form.cleaned_data
        services.plan_request(installments=data["installments"], note=data["note"], **common)
        done = "plan_requested"
    elif action == "settle" and settle_form.is_valid():
        done = _accepted(
            settle_form,
            lambda: (
                "settlement"
                if services.settlement_accept_online(
                    shown_hash=settle_form.cleaned_data["shown"], **accepting
                ).status
                == "offered"
                else "settlement_pending"
            ),
        )
    elif action == "accept" and accept_form.is_valid():
        data = accept_form.cleaned_data
        done = _accepted(
            accept_form,
            lambda: (
                services.plan_accept_online(
                    installments=data["installments"], shown_hash=data["shown"], **accepting
                )
                and "plan"
            ),
        )
    if done:
        return redirect(reverse("portal:account", args=[acc.pk]) + f"?done={done}")
    # Read afresh: after a refusal the terms may have moved.
    context = _plan_context(acc, as_of)
    context.update(
        account=acc,
        accept_form=accept_form,
        request_form=request_form,
        page_errors=settle_form.non_field_errors() if settle_form.is_bound else [],
    )
    return _render(request, "plan.html", context, status=400 if posted is not None else 200)


def _accepted(form, accept) -> str | None:
    """Run ``accept`` (it returns the ``done`` code); a refusal becomes the form's error."""
    try:
        return accept()
    except services.TermsChanged:
        form.add_error(
            None,
            _("The terms have changed since you opened the page. Review them and accept again."),
        )
    except ValidationError as error:
        _as_form_errors(form, error)
    except DomainConflict as conflict:
        form.add_error(None, str(conflict))
    return None


#: The small acts on one account: the form, and the service that takes its fields.
ACTS = {
    "promise": (forms.PromiseForm, services.promise_online),
    # The callback form reads the time in the customer's zone (``portal_view``).
    "callback": (forms.CallbackForm, services.callback_online),
    "dispute": (forms.DisputeForm, services.dispute_online),
    "hardship": (forms.HardshipForm, services.hardship_online),
}


@portal_view()
@require_POST
def act(request: HttpRequest, account_id: int, name: str) -> HttpResponse:
    """POST one of ``ACTS`` for an account; on a refusal, the form with the reason (400)."""
    acc = _account_or_404(request, account_id)
    form_class, service = ACTS[name]
    form = form_class(request.POST)
    if form.is_valid():
        try:
            with transaction.atomic():
                service(
                    session=request.portal, account=acc, now=timezone.now(), **form.cleaned_data
                )
            return redirect(reverse("portal:account", args=[acc.pk]) + f"?done={name}")
        except ValidationError as error:
            _as_form_errors(form, error)
        except DomainConflict as conflict:
            form.add_error(None, str(conflict))
    return _render(request, "action_refused.html", {"account": acc, "form": form}, status=400)


@portal_view()
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    session = request.portal
    accounts = list(services.customer_accounts(session))
    form = forms.PreferencesForm(request.POST or None)
    saved = False
    if request.method == "POST" and form.is_valid() and accounts:
        try:
            services.preferences_save(
                session=session,
                account=accounts[0],
                opt_out_channels=form.cleaned_data["opt_out"],
                not_before=form.cleaned_data["not_before"],
                not_after=form.cleaned_data["not_after"],
                now=timezone.now(),
            )
            saved = True
            form = forms.PreferencesForm()
        except ValidationError as error:
            _as_form_errors(form, error)
    status = 400 if form.errors else 200
    return _render(request, "preferences.html", {"form": form, "saved": saved}, status=status)


@require_POST
def signout(request: HttpRequest) -> HttpResponse:
    session_end(request, now=timezone.now())
    response = redirect(reverse("portal:start"))
    response.delete_cookie("settle_portal", path="/p/")
    return response
