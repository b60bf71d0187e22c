"""Pages for the contact log: log a contact, with a live compliance check (htmx).

Thin: the form parses, ``compliance.services.contact_check(store=False)`` previews (nothing is
written while the specialist types), and ``outreach.services.contact_log_create`` logs — it
passes the compliance gate again and stores the decision, so a contact that became blocked
between the preview and the submit is refused there.
"""

from __future__ import annotations

from datetime import UTC

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Account
from accounts.permissions import account_for_page
from compliance.models import Purpose
from compliance.services import ContactBlocked, StoredDecision, contact_check, message_preview
from contacts.models import ContactLog
from core.conflicts import DomainConflict
from outreach.forms import CheckInputForm, ContactLogForm
from outreach.services import contact_log_create


def highlight(text: str, findings) -> SafeString:
    """``text`` escaped, with each prohibited-wording finding wrapped in <mark>."""
    out, at = [], 0
    for f in sorted(findings, key=lambda f: (f.start, -f.end)):
        if f.start < at:  # overlapping matches: the first one is marked
            continue
        out.append(escape(text[at : f.start]))
        out.append(
            f'<mark title="{escape(f.category)}" data-category="{escape(f.category)}">'
            f"{escape(text[f.start : f.end])}</mark>"
        )
        at = f.end
    out.append(escape(text[at:]))
    return mark_safe("".join(out))  # noqa: S308 — every piece above is escaped


def _result(account: Account, decision: StoredDecision | None, message: str) -> dict:
    findings = (
        message_preview(message, jurisdiction=account.customer.jurisdiction) if message else []
    )
    local = decision.next_allowed_at_local() if decision else None
    return {
        "checked": decision is not None,
        "allowed": decision.allowed if decision else True,
        "violations": decision.violations if decision else (),
        "next_local": local,
        "next_utc": local.astimezone(UTC) if local else None,
        "time_zone": decision.time_zone if decision else account.customer.time_zone,
        "findings": findings,
        "highlighted": highlight(message, findings) if message else "",
    }


def _preview(account: Account, form: ContactLogForm, user) -> dict | None:
    """The compliance preview for what the form holds so far; None if it can't be checked yet.
    Nothing is stored: the real decision is made and stored when the contact is logged."""
    data = getattr(form, "cleaned_data", {})
    channel, at = data.get("channel"), data.get("occurred_at")
    if not channel or at is None:
        return None
    message = data.get("message") or ""
    if channel == ContactLog.Channel.INBOUND_CALL:
        return {**_result(account, None, message), "inbound": True}
    try:
        decision = contact_check(
            account=account,
            channel=channel,
            at=at,
            contact_point=data.get("contact_point"),
            message=message,
            by=user,
            purpose=Purpose.UI_PREVIEW,
            store=False,
        )
    except ValidationError as error:
        return {"error": " ".join(error.messages)}
    return _result(account, decision, message)


def _render(request, account, form, check, *, status=200, template="contacts/log.html"):
    return render(
        request,
        template,
        {"account": account, "customer": account.customer, "form": form, "check": check},
        status=status,
    )


@login_required
def contact_log(request: HttpRequest, account_id: int) -> HttpResponse:
    """GET: the form. POST: log the contact (blocked → reasons shown, nothing logged; a
    conflict such as a second pending promise → the form says so, nothing logged)."""
    account = account_for_page(request.user, account_id)
    if request.method != "POST":
        return _render(request, account, ContactLogForm(account=account), None)
    form = ContactLogForm(request.POST, account=account)
    if not form.is_valid():
        partial = CheckInputForm(request.POST, account=account)
        partial.is_valid()  # whatever is valid so far is enough for the verdict
        check = _preview(account, partial, request.user)
        return _render(request, account, form, check, status=400)
    try:
        contact_log_create(account=account, by=request.user, **form.entry_kwargs())
    except ContactBlocked as blocked:
        form.add_error(None, _("Compliance blocked this contact; nothing was logged."))
        check = _result(account, blocked.decision, form.cleaned_data.get("message") or "")
        return _render(request, account, form, check, status=409)
    except DomainConflict as conflict:
        # E.g. a promise while another is pending: the entry and its effects were rolled back
        # together; the allowed decision the gate stored stays as evidence of the check.
        form.add_error(None, f"{conflict.message} " + _("Nothing was logged."))
        return _render(request, account, form, _preview(account, form, request.user), status=409)
    except ValidationError as error:
        problems = error.message_dict if hasattr(error, "error_dict") else {None: error.messages}
        for field, texts in problems.items():
            form.add_error(field if field in form.fields else None, texts)
        return _render(request, account, form, _preview(account, form, request.user), status=400)
    messages.success(request, _("Contact logged."))
    return redirect("accounts:detail", pk=account.pk)


@login_required
@require_POST
def contact_check_partial(request: HttpRequest, account_id: int) -> HttpResponse:
    """htmx: the live Allowed/Blocked panel (and the submit button, out of band)."""
    account = account_for_page(request.user, account_id)
    form = CheckInputForm(request.POST, account=account)
    form.is_valid()
    check = _preview(account, form, request.user)
    return render(
        request, "contacts/_check.html", {"account": account, "check": check, "oob": True}
    )
