"""The providers' webhooks for two-way messages: thin views over ``outreach.inbound``.

Each checks the signature over the raw body first (missing: a 400; wrong or stale, or no
secret configured: a 403; either way nothing is read or written), then parses the JSON (bad
input: a 400 naming the field), then calls the service. A replay answers 200 like the first
delivery and writes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from django.core.exceptions import RequestDataTooBig, ValidationError
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from outreach import inbound

TIMESTAMP_HEADER = "X-Settle-Timestamp"
SIGNATURE_HEADER = "X-Settle-Signature"


def _errors(exc: ValidationError) -> dict:
    if hasattr(exc, "error_dict"):
        return {field: [str(m) for m in exc.message_dict[field]] for field in exc.message_dict}
    return {"detail": exc.messages}


def _webhook(request: HttpRequest, channel: str, handle: Callable[[dict, object], dict]):
    now = timezone.now()
    try:
        body = request.body
    except RequestDataTooBig:
        return JsonResponse({"detail": "The request body is too large."}, status=413)
    try:
        inbound.signature_verify(
            channel=channel,
            timestamp=request.headers.get(TIMESTAMP_HEADER, ""),
            signature=request.headers.get(SIGNATURE_HEADER, ""),
            body=body,
            now=now,
        )
    except inbound.WebhookUnsigned:
        return JsonResponse(
            {"signature": [f"Send the {SIGNATURE_HEADER} and {TIMESTAMP_HEADER} headers."]},
            status=400,
        )
    except inbound.WebhookRefused:
        return JsonResponse({"detail": "Bad signature."}, status=403)
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):  # RecursionError: absurd nesting
        return JsonResponse({"body": ["Send a JSON object."]}, status=400)
    try:
        return JsonResponse(handle(data, now), status=200)
    except ValidationError as exc:
        return JsonResponse(_errors(exc), status=400)


def _inbound(channel: str):
    def handle(data, now) -> dict:
        payload = inbound.inbound_parse(data, now=now)
        result = inbound.inbound_receive(channel=channel, payload=payload, now=now)
        message = result.message
        return {
            "id": message.pk,
            "replayed": result.replayed,
            "intent": message.intent,
            "known_sender": message.known_sender,
            "answer": message.reply_status,
        }

    return handle


def _receipt(channel: str):
    def handle(data, now) -> dict:
        payload = inbound.receipt_parse(data, now=now)
        result = inbound.delivery_receipt_record(channel=channel, payload=payload, now=now)
        return {
            "id": result.receipt.pk,
            "replayed": result.replayed,
            "matched": result.receipt.reminder_id is not None,
            "contact_point_unusable": result.invalidated,
        }

    return handle


@csrf_exempt
@require_POST
def inbound_sms(request: HttpRequest) -> JsonResponse:
    return _webhook(request, "sms", _inbound("sms"))


@csrf_exempt
@require_POST
def inbound_email(request: HttpRequest) -> JsonResponse:
    return _webhook(request, "email", _inbound("email"))


@csrf_exempt
@require_POST
def delivery_receipt(request: HttpRequest) -> JsonResponse:
    """The SMS gateway's delivery receipts."""
    return _webhook(request, "sms", _receipt("sms"))


@csrf_exempt
@require_POST
def email_bounce(request: HttpRequest) -> JsonResponse:
    """The email provider's deliveries and bounces."""
    return _webhook(request, "email", _receipt("email"))
