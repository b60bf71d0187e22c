"""Thin views: the provider's webhook, and the fake provider's hosted-checkout imitation."""

from __future__ import annotations

import logging

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from checkout import services
from checkout.models import CheckoutSession
from checkout.providers import FakeProvider, MalformedEvent, SignatureError, get_provider

logger = logging.getLogger(__name__)


@csrf_exempt  # the provider has no CSRF token: the signature stands in for it
@require_POST
def webhook(request: HttpRequest, provider: str) -> HttpResponse:
    """200 once the event is stored (or was already: a replay); 400 when the signature does
    not verify or the body is not an event, with nothing written."""
    if get_provider().name != provider:
        raise Http404
    try:
        event = services.webhook_receive(
            provider_name=provider, body=request.body, headers=request.headers
        )
    except (SignatureError, MalformedEvent) as error:
        logger.warning("webhook of %s refused: %s", provider, error)
        return JsonResponse({"detail": str(error)}, status=400)
    return JsonResponse({"event": event.event_id, "outcome": event.outcome})


ACTIONS = {"pay": True, "decline": False}


@require_http_methods(["GET", "POST"])
def fake_page(request: HttpRequest, token: str) -> HttpResponse:
    """The fake provider's hosted page: Pay and Decline produce its signed webhook (in-process)
    and return the customer to the session's success or cancel address; Cancel only returns."""
    if not isinstance(get_provider(), FakeProvider):
        raise Http404
    session = get_object_or_404(
        CheckoutSession.objects.select_related("account"), token=token, provider="fake"
    )
    if request.method == "GET":
        return render(request, "checkout/fake_page.html", {"session": session})
    action = request.POST.get("action", "")
    if action not in (*ACTIONS, "cancel"):
        return render(request, "checkout/fake_page.html", {"session": session}, status=400)
    if not session.is_open:
        return render(request, "checkout/fake_page.html", {"session": session}, status=409)
    if action == "cancel":
        return HttpResponseRedirect(session.cancel_url)
    services.fake_checkout_complete(session=session, succeeded=ACTIONS[action])
    return HttpResponseRedirect(session.return_url if ACTIONS[action] else session.cancel_url)
