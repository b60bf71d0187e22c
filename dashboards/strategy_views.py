"""The strategy lab for supervisors: versions of the treatment strategy, a challenger against
the champion, its results per arm. Writes go through ``contacts.services``; the results are
``dashboards.experiments``."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from contacts import services
from contacts.models import StrategyVersion, StrategyVersionStatus, TreatmentStrategy
from core.conflicts import DomainConflict
from dashboards import experiments
from dashboards.views import _require_supervisor

REFUSALS = (ValidationError, DomainConflict)
CHANGE = "contacts.change_treatmentstrategy"


def _require_change(request: HttpRequest) -> None:
    if not request.user.has_perm(CHANGE):
        raise PermissionDenied(_("Your role may not change the strategies."))


def _refused(request: HttpRequest, error: Exception) -> None:
    text = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
    messages.error(request, text)


@login_required
def strategies(request: HttpRequest) -> HttpResponse:
    """Every version, newest first; POST copies one into a new draft."""
    _require_supervisor(request)
    if request.method == "POST":
        _require_change(request)
        source = get_object_or_404(StrategyVersion, pk=request.POST.get("source") or 0)
        try:
            version = services.strategy_version_copy(
                source=source,
                by=request.user,
                name=request.POST.get("name", ""),
                note=request.POST.get("note", ""),
            )
        except REFUSALS as error:
            _refused(request, error)
            return redirect("dashboards:strategies")
        messages.success(request, _("Draft created: change its steps, then start it."))
        return redirect("dashboards:strategy", version.pk)
    versions = list(StrategyVersion.objects.select_related("created_by", "based_on"))
    return render(
        request,
        "dashboards/strategies.html",
        {
            "versions": versions,
            "champion": next((v for v in versions if v.status == "champion"), None),
            "challenger": next((v for v in versions if v.status == "challenger"), None),
            "may_change": request.user.has_perm(CHANGE),
        },
    )


def _share(raw: str) -> Decimal:
    try:
        return (Decimal(raw) / 100).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise ValidationError({"share": _("Give the challenger's share in percent.")}) from None


def _steps_changes(request: HttpRequest, version: StrategyVersion) -> dict[int, dict]:
    changes = {}
    for step in version.steps.all():
        prefix = f"step-{step.pk}-"
        if f"{prefix}channel" not in request.POST:
            continue
        try:
            cadence = int(request.POST.get(f"{prefix}cadence_days", ""))
        except ValueError:
            raise ValidationError(
                {"cadence_days": _("The cadence is a whole number of days.")}
            ) from None
        band = {}
        for name in ("propensity_from", "propensity_below"):
            raw = request.POST.get(f"{prefix}{name}", "").strip()
            try:
                band[name] = int(raw) if raw else None
            except ValueError:
                raise ValidationError(
                    {name: _("A propensity band is a whole number per mille.")}
                ) from None
        changes[step.pk] = {
            **band,
            "channel": request.POST[f"{prefix}channel"],
            "template_code": request.POST.get(f"{prefix}template_code", "").strip(),
            "cadence_days": cadence,
            "is_active": request.POST.get(f"{prefix}is_active") == "on",
        }
    return changes


ACTIONS = {
    "start": _("The challenger is running."),
    "stop": _("The challenger is stopped; its accounts are back on the champion."),
    "promote": _("The challenger is the champion now, for every account."),
    "steps": _("The draft's steps are saved."),
}


@login_required
def strategy(request: HttpRequest, pk: int) -> HttpResponse:
    """A version's steps; a draft's are editable; a challenger's results per arm."""
    _require_supervisor(request)
    version = get_object_or_404(StrategyVersion.objects.select_related("based_on"), pk=pk)
    if request.method == "POST":
        _require_change(request)
        action = request.POST.get("action", "")
        if action not in ACTIONS:
            return HttpResponse(_("Unknown action."), status=400)
        now = timezone.now()
        try:
            if action == "start":
                services.challenger_start(
                    version=version,
                    by=request.user,
                    share=_share(request.POST.get("share", "")),
                    now=now,
                )
            elif action == "stop":
                services.challenger_stop(version=version, by=request.user, now=now)
            elif action == "promote":
                services.challenger_promote(version=version, by=request.user, now=now)
            else:
                services.strategy_steps_update(
                    version=version, by=request.user, changes=_steps_changes(request, version)
                )
        except REFUSALS as error:
            _refused(request, error)
        else:
            messages.success(request, ACTIONS[action])
        return redirect("dashboards:strategy", version.pk)
    results = None
    currency = ""
    currencies: list[str] = []
    if version.started_at:
        currencies = experiments.currencies(version)
        currency = request.GET.get("currency", "")
        currency = currency if currency in currencies else (currencies[0] if currencies else "")
        if currency:
            results = experiments.results(version, currency=currency)
    return render(
        request,
        "dashboards/strategy.html",
        {
            "version": version,
            "steps": version.steps.order_by("jurisdiction", "bucket_code", "risk_tier", "channel"),
            "channels": TreatmentStrategy.Channel.choices,
            "editable": version.status == StrategyVersionStatus.DRAFT
            and request.user.has_perm(CHANGE),
            "may_change": request.user.has_perm(CHANGE),
            "results": results,
            "currency": currency,
            "currencies": currencies,
            "running_challenger": StrategyVersion.objects.filter(status="challenger")
            .exclude(pk=version.pk)
            .first(),
        },
    )
