"""Pages for plans: a detail page and the printable agreement. Thin: scope, select, render."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation

from accounts.permissions import user_can_see_account
from plans import selectors
from plans.models import Plan


def _visible_plan(request: HttpRequest, pk: int) -> Plan:
    if request.user.role is None:
        raise PermissionDenied("Your user has no Settle role; ask an admin to add one.")
    try:
        plan = selectors.plan_with_schedule(pk)
    except Plan.DoesNotExist:
        raise Http404("No such plan.") from None
    if not user_can_see_account(request.user, plan.account):
        raise PermissionDenied("This plan belongs to another team's account.")
    return plan


@login_required
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _visible_plan(request, pk)
    return render(
        request,
        "plans/plan_detail.html",
        {
            **selectors.agreement_context(plan),
            "events": plan.events.all(),
            "payments": selectors.payments_of(plan.account).filter(plan=plan),
        },
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
