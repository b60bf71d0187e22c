"""Two-way messages: what customers send back (SMS and email), and what the channels report.

The providers post signed webhooks (``outreach.webhooks``, thin views over this module):

* **Inbound messages** (``inbound_receive``). Stored once per (channel, provider message id),
  so a replay writes nothing. The sender is matched to contact points as they are stored
  (E.164 through ``contacts.services.normalize_phone``, email lower-cased); an unknown sender
  is stored and nothing else happens. The text is then one of:

  - **STOP** and its variants (``STOP_WORDS``): a channel opt-out restriction on that contact
    point and channel (``compliance.services.restriction_create``, source *customer in
    writing*: a text or email is the customer's own written request, 1006.14(h)), the point
    marked opted out as the case page marks it (``contacts.services.contact_point_update``), and
    one confirmation in the customer's language;
  - **HELP** (``HELP_WORDS``): the help text (bank, number to call, how to opt out);
  - **START** (``START_WORDS``): the customer's own written opt-outs of that point and channel
    end, the point is opted back in when no opt-out of it is left, and it is confirmed. A START
    that reopens nothing (the point was closed some other way: by staff, at the customer's word
    on a call) is left to staff as a free reply;
  - anything else: an inbound contact-log entry on the account, which the case timeline shows
    and the queue answers with *customer replied* (``workspace.urgency``).

  A confirmation or help text is a message the customer just asked for: it passes the gate
  as *solicited* (``CheckRequest(solicited=True)``, purpose ``customer_request``: only the
  wording checks apply, and the decision is stored), goes out through the channel backend and
  is logged as one outbound entry with that decision. Blocked means not sent. It is sent after
  the message's transaction commits; a crash in between leaves it ``pending``, and a replay of
  the webhook sends it then (the backend drops a repeat by its idempotency key, and the entry
  is written once: a conditional update claims it).

* **Delivery receipts and bounces** (``delivery_receipt_record``). Stored once per (channel,
  provider event id). The reminder they name (by the reference its backend returned, kept on
  the reminder when sent, or by its idempotency key) gets the delivery status and time. After
  ``SETTLE_HARD_FAILURE_THRESHOLD`` consecutive hard failures on a contact point (soft ones
  neither count nor break the run; a delivery does) the point is marked unusable, audited.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from email.utils import parseaddr

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from accounts.models import Account, ContactPoint
from compliance.models import (
    CommunicationRestriction,
    RestrictionKind,
    RestrictionSource,
)
from compliance.services import (
    restriction_create,
    restriction_end,
)
from contacts.models import (
    ContactLog,
    DeliveryReceipt,
    DeliveryStatus,
    InboundMessage,
    Reminder,
)
from contacts.services import contact_point_update, normalize_phone
from outreach.backends import ChannelError, OutboundMessage, backend_for
from outreach.services import solicited_decision, solicited_log

CHANNELS = ("sms", "email")
POINT_KIND = {"sms": ContactPoint.Kind.PHONE, "email": ContactPoint.Kind.EMAIL}
SIGNATURE_PREFIX = "sha256="

#: The whole message, once case, spaces and punctuation are dropped (``keyword_normalise``).
STOP_WORDS = frozenset(
    {"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "optout", "退订", "td", "取消"}
    | {"不要再发"}
)
HELP_WORDS = frozenset({"help", "帮助"})
START_WORDS = frozenset({"start", "unstop"})


# --- Signatures ----------------------------------------------------------------------------


class WebhookRefused(Exception):
    """The webhook is not from the provider (a wrong or a stale signature, or no secret to
    check it with): nothing is read from it and nothing written (a 403)."""


class WebhookUnsigned(WebhookRefused):
    """The signature or timestamp header is missing: a malformed request (a 400)."""


def webhook_secret(channel: str) -> str:
    """The channel's own secret if set, else the shared one ("" refuses every webhook)."""
    own = getattr(settings, "SETTLE_INBOUND_WEBHOOK_SECRETS", {}).get(channel, "")
    return own or settings.SETTLE_INBOUND_WEBHOOK_SECRET


def signature_make(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 with ``secret`` over ``<timestamp>.<raw body>``."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return SIGNATURE_PREFIX + mac.hexdigest()


def signature_verify(
    *, channel: str, timestamp: str, signature: str, body: bytes, now: datetime
) -> None:
    """Raise ``WebhookRefused`` unless ``signature`` signs ``body`` at ``timestamp`` (Unix
    seconds) with the channel's secret, and ``timestamp`` is within the tolerance of ``now``
    (a captured request replayed later is refused even with its signature). Constant-time."""
    if not timestamp or not signature:
        raise WebhookUnsigned("signature or timestamp missing")
    secret = webhook_secret(channel)
    if not secret:
        raise WebhookRefused("no webhook secret configured")
    try:
        sent_at = int(timestamp)
    except ValueError:
        raise WebhookRefused("timestamp is not a number") from None
    if abs(now.timestamp() - sent_at) > settings.SETTLE_INBOUND_WEBHOOK_TOLERANCE_SECONDS:
        raise WebhookRefused("timestamp outside the tolerance")
    expected = signature_make(secret, timestamp, body)
    if not hmac.compare_digest(expected.encode(), signature.strip().encode()):
        raise WebhookRefused("signature does not match")


# --- Payloads ------------------------------------------------------------------------------


@dataclass(frozen=True)
class InboundPayload:
    provider_message_id: str
    sender: str
    text: str
    subject: str
    received_at: datetime


@dataclass(frozen=True)
class ReceiptPayload:
    provider_event_id: str
    provider_message_id: str
    reference: str
    status: str  # DeliveryStatus
    error: str
    at: datetime


def _text(data: dict, name: str, *, required: bool = False, limit: int = 200) -> str:
    value = data.get(name, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError({name: [_("Must be a string.")]})
    value = value.strip() if limit else value
    if required and not value:
        raise ValidationError({name: [_("This field is required.")]})
    if limit and len(value) > limit:
        raise ValidationError({name: [_("At most %(n)s characters.") % {"n": limit}]})
    return value


def _moment(data: dict, name: str, now: datetime) -> datetime:
    """The provider's time of the event, never later than ``now`` (a skewed clock must not put
    a reply after the answer that follows it); ``now`` when not given."""
    raw = data.get(name)
    if raw in (None, ""):
        return now
    try:
        moment = parse_datetime(raw) if isinstance(raw, str) else None
    except ValueError:  # well-formed but impossible, such as a 13th month
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ValidationError({name: [_("Give the time in ISO 8601 with its UTC offset.")]})
    return min(moment, now)


def _object(data) -> dict:
    if not isinstance(data, dict):
        raise ValidationError({"body": [_("Send a JSON object.")]})
    return data


def inbound_parse(data, *, now: datetime) -> InboundPayload:
    """``{"id", "from", "text", "subject"?, "received_at"?}`` → the payload; a
    ``ValidationError`` naming the field otherwise."""
    data = _object(data)
    text = _text(data, "text", limit=0)
    if len(text) > 10_000:
        raise ValidationError({"text": [_("At most %(n)s characters.") % {"n": 10_000}]})
    return InboundPayload(
        provider_message_id=_text(data, "id", required=True),
        sender=_text(data, "from", required=True, limit=254),
        text=text,
        subject=_text(data, "subject"),
        received_at=_moment(data, "received_at", now),
    )


RECEIPT_STATUS = {
    ("delivered", ""): DeliveryStatus.DELIVERED,
    ("failed", "hard"): DeliveryStatus.FAILED_HARD,
    ("failed", "soft"): DeliveryStatus.FAILED_SOFT,
    ("bounced", "hard"): DeliveryStatus.FAILED_HARD,
    ("bounced", "soft"): DeliveryStatus.FAILED_SOFT,
}


def receipt_parse(data, *, now: datetime) -> ReceiptPayload:
    """``{"id", "message_id" | "reference", "status": delivered | failed | bounced,
    "failure": hard | soft (a failure or bounce), "error"?, "at"?}`` → the payload."""
    data = _object(data)
    status = _text(data, "status", required=True).lower()
    failure = _text(data, "failure").lower() if status != "delivered" else ""
    if status not in ("delivered", "failed", "bounced"):
        raise ValidationError({"status": [_("Expected delivered, failed or bounced.")]})
    if (status, failure) not in RECEIPT_STATUS:
        raise ValidationError({"failure": [_("Expected hard or soft.")]})
    message_id = _text(data, "message_id")
    reference = _text(data, "reference")
    if not message_id and not reference:
        raise ValidationError({"message_id": [_("Name the message: message_id or reference.")]})
    return ReceiptPayload(
        provider_event_id=_text(data, "id", required=True),
        provider_message_id=message_id,
        reference=reference,
        status=RECEIPT_STATUS[(status, failure)],
        error=_text(data, "error", limit=0)[:255],
        at=_moment(data, "at", now),
    )


# --- Keywords ------------------------------------------------------------------------------

#: Where the customer's own words end in an email: the quoted message, or their signature.
_QUOTE_START = re.compile(
    r"^(>|On .+ wrote:\s*$|-{2,}\s*Original Message|在.+写道[:：]?\s*$|--\s*$|Sent from my )",
    re.IGNORECASE,
)


def keyword_normalise(text: str) -> str:
    """The text folded for keyword matching: NFKC (full-width letters become ASCII), case
    folded, every space, punctuation mark and symbol dropped ("Opt-Out!" → "optout")."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] not in "PSZC")


def reply_text(channel: str, text: str, subject: str = "") -> str:
    """What the customer wrote: an email's reply without the quoted message below it (or its
    subject, "Re:" removed, when the body is empty); an SMS as it came."""
    if channel != "email":
        return text
    lines = []
    for line in text.splitlines():
        if _QUOTE_START.match(line.strip()):
            break
        lines.append(line)
    own = "\n".join(lines).strip()
    if own:
        return own
    return re.sub(r"^\s*((re|aw|回复|答复)\s*[:：]\s*)+", "", subject, flags=re.IGNORECASE)


def intent_of(text: str) -> str:
    """``stop``, ``help``, ``start`` or ``reply``: a keyword only when it is the whole
    message."""
    word = keyword_normalise(text)
    if word in STOP_WORDS:
        return InboundMessage.Intent.STOP
    if word in HELP_WORDS:
        return InboundMessage.Intent.HELP
    if word in START_WORDS:
        return InboundMessage.Intent.START
    return InboundMessage.Intent.REPLY


# --- Inbound messages ----------------------------------------------------------------------


def sender_normalise(channel: str, raw: str) -> str | None:
    """The sender as contact points store it, or None when it cannot be one."""
    if channel == "sms":
        try:
            return normalize_phone(raw, default_region="US")[0]
        except ValidationError:
            return None
    address = parseaddr(raw)[1].strip().lower()
    try:
        validate_email(address)
    except ValidationError:
        return None
    return address


def _reply_account(channel: str, points: list[ContactPoint]) -> Account | None:
    """The account a message from these points is about: the one we last wrote to the
    customer about on this channel, else their first open account, else their first."""
    customer_ids = sorted({p.customer_id for p in points})
    last = (
        ContactLog.objects.filter(
            customer_id__in=customer_ids, direction=ContactLog.Direction.OUTBOUND, channel=channel
        )
        .order_by("-occurred_at", "-id")
        .values_list("account_id", flat=True)
        .first()
    )
    accounts = Account.objects.select_related("customer")
    if last is not None:
        return accounts.get(pk=last)
    mine = accounts.filter(customer_id__in=customer_ids)
    return mine.open().order_by("id").first() or mine.order_by("id").first()


@dataclass(frozen=True)
class InboundResult:
    message: InboundMessage
    replayed: bool


def inbound_receive(
    *, channel: str, payload: InboundPayload, now: datetime | None = None
) -> InboundResult:
    """Store an inbound message once and act on it (see the module docstring); a replay
    writes nothing (it only finishes an answer a crash left pending)."""
    now = now or timezone.now()
    if channel not in CHANNELS:
        raise ValidationError({"channel": [_("Unknown channel %(value)s.") % {"value": channel}]})
    try:
        with transaction.atomic():
            message = _inbound_store(channel=channel, payload=payload, now=now)
        replayed = False
    except IntegrityError:
        message = InboundMessage.objects.filter(
            channel=channel, provider_message_id=payload.provider_message_id
        ).first()
        if message is None:  # not a replay: some other constraint refused the write
            raise
        replayed = True
    if message.reply_status == InboundMessage.ReplyStatus.PENDING:
        answer_send(message=message, now=now)
        message.refresh_from_db()
    return InboundResult(message=message, replayed=replayed)


def _inbound_store(*, channel: str, payload: InboundPayload, now: datetime) -> InboundMessage:
    sender = sender_normalise(channel, payload.sender)
    text = reply_text(channel, payload.text, payload.subject)
    message = InboundMessage(
        channel=channel,
        provider_message_id=payload.provider_message_id,
        sender=sender or payload.sender[:254],
        subject=payload.subject,
        body=payload.text,
        received_at=payload.received_at,
        intent=intent_of(text),
    )
    points = (
        list(
            ContactPoint.objects.filter(kind=POINT_KIND[channel], value=sender)
            .select_related("customer")
            .order_by("customer_id", "id")
        )
        if sender
        else []
    )
    account = _reply_account(channel, points) if points else None
    if account is None:  # unknown sender: kept, nothing else
        message.save()  # the unique constraint makes a replay an IntegrityError here
        return message
    point = next(p for p in points if p.customer_id == account.customer_id)
    message.known_sender = True
    message.account = account
    message.customer = account.customer
    message.contact_point = point
    if message.intent == InboundMessage.Intent.START:
        reason = f"Customer replied {text.strip()[:40]!r} by {channel}"
        reopened = [
            p for p in points if opt_in_record(point=p, channel=channel, reason=reason, now=now)
        ]
        if not reopened:  # closed some other way: staff decide, as for any reply
            message.intent = InboundMessage.Intent.REPLY
    if message.intent == InboundMessage.Intent.REPLY:
        # The reply's text is kept once, in its contact-log entry, where the retention policy
        # finds it (``compliance.retention``); the message row keeps the link.
        subject, message.subject, message.body = message.subject, "", ""
        message.save()
        message.entry = _reply_log(message=message, subject=subject, text=text)
        message.save(update_fields=["entry"])
        return message
    message.reply_status = InboundMessage.ReplyStatus.PENDING
    message.save()
    if message.intent == InboundMessage.Intent.STOP:
        for p in points:  # every customer who gave us this number or address
            opt_out_record(point=p, channel=channel, message=message, now=now)
    return message


def _reply_log(*, message: InboundMessage, subject: str, text: str) -> ContactLog:
    """The customer's reply as an inbound entry (the timeline shows its text; the queue's
    "customer replied" holds until someone answers)."""
    body = f"{subject}\n{text}" if message.channel == "email" and subject else text
    entry = ContactLog(
        account=message.account,
        customer=message.customer,
        contact_point=message.contact_point,
        channel=message.channel,
        direction=ContactLog.Direction.INBOUND,
        occurred_at=message.received_at,
        outcome=ContactLog.Outcome.DELIVERED,
        message=body,
        notes=f"Customer reply ({message.channel} {message.provider_message_id})"[:500],
        source=ContactLog.Source.SYSTEM,
    )
    entry.full_clean()
    entry.save()
    return entry


def opt_out_record(
    *, point: ContactPoint, channel: str, message: InboundMessage, now: datetime
) -> CommunicationRestriction | None:
    """Close ``channel`` to ``point`` at the customer's written request: a channel opt-out
    restriction (unless one is already in force) and the point marked opted out, both audited.
    Source *customer in writing*: the customer wrote it themselves, on that channel."""
    account = (
        message.account
        if message.customer_id == point.customer_id
        else Account.objects.filter(customer_id=point.customer_id).order_by("id").first()
    )
    restriction = None
    in_force = (
        CommunicationRestriction.objects.filter(
            customer_id=point.customer_id,
            kind=RestrictionKind.CHANNEL_OPT_OUT,
            channel=channel,
            contact_point=point,
        )
        .in_force(now.date())
        .exists()
    )
    if account is not None and not in_force:
        restriction = restriction_create(
            by=None,
            account=account,
            kind=RestrictionKind.CHANNEL_OPT_OUT,
            source=RestrictionSource.CUSTOMER_WRITTEN,
            channel=channel,
            contact_point=point,
            notes=f"Replied {message.body.strip()[:40]!r} by {channel} "
            f"(inbound message {message.pk})",
            now=now,
        )
    if not point.opted_out:
        contact_point_update(point=point, by=None, data={"opted_out": True})
    return restriction


def opt_in_record(*, point: ContactPoint, channel: str, reason: str, now: datetime) -> bool:
    """Reopen ``channel`` to ``point`` at the customer's written request: end the opt-outs of
    that point and channel the customer gave in writing, and opt the point back in when no
    opt-out of it is left (both audited). False when there was none to end: an opt-out staff
    recorded (or a point closed without one) is not the customer's to lift by text."""
    own = CommunicationRestriction.objects.filter(
        customer_id=point.customer_id,
        kind=RestrictionKind.CHANNEL_OPT_OUT,
        channel=channel,
        contact_point=point,
        source=RestrictionSource.CUSTOMER_WRITTEN,
    ).in_force(now.date())
    ended = 0
    for restriction in own.select_for_update():
        restriction_end(restriction=restriction, by=None, reason=reason[:200], now=now)
        ended += 1
    if not ended:
        return False
    left = (
        CommunicationRestriction.objects.filter(
            customer_id=point.customer_id, kind=RestrictionKind.CHANNEL_OPT_OUT, contact_point=point
        )
        .in_force(now.date())
        .exists()
    )
    if point.opted_out and not left:
        contact_point_update(point=point, by=None, data={"opted_out": False, "opted_out_at": None})
    return True


# --- Our answers ---------------------------------------------------------------------------


def answer_text(message: InboundMessage, language: str) -> tuple[str, str]:
    """(subject, body) of the answer to a STOP, START or HELP, in ``language``."""
    values = {"bank": settings.SETTLE_BANK_NAME, "phone": settings.SETTLE_HELP_PHONE}
    with translation.override(language):
        if message.intent == InboundMessage.Intent.STOP:
            subject = _("You have unsubscribed")
            if message.channel == "sms":
                body = _(
                    "%(bank)s: you will get no more text messages from us on this number. "
                    "Questions: call %(phone)s."
                )
            else:
                body = _(
                    "%(bank)s: you will get no more emails from us at this address. "
                    "Questions: call %(phone)s."
                )
        elif message.intent == InboundMessage.Intent.START:
            subject = _("You have subscribed again")
            if message.channel == "sms":
                body = _(
                    "%(bank)s: you will get text messages from us on this number again. "
                    "Reply STOP to opt out."
                )
            else:
                body = _(
                    "%(bank)s: you will get emails from us at this address again. "
                    "Reply STOP to opt out."
                )
        else:
            subject = _("Help")
            body = _(
                "%(bank)s collections. About your account, call %(phone)s. Reply STOP to opt out."
            )
    return (subject if message.channel == "email" else ""), body % values


def answer_send(*, message: InboundMessage, now: datetime) -> InboundMessage:
    """Send the pending answer to ``message`` through the gate (solicited), the channel
    backend and the contact log; blocked or failed answers are recorded, never sent."""
    account = Account.objects.select_related("customer").get(pk=message.account_id)
    subject, body = answer_text(message, account.customer.language)
    text = f"{subject}\n{body}" if subject else body
    decision = solicited_decision(
        account=account,
        channel=message.channel,
        contact_point_id=message.contact_point_id,
        text=text,
        language=account.customer.language,
        now=now,
    )
    pending = InboundMessage.objects.filter(
        pk=message.pk, reply_status=InboundMessage.ReplyStatus.PENDING
    )
    if not decision.allowed:
        pending.update(
            reply_status=InboundMessage.ReplyStatus.BLOCKED,
            reply_decision_id=decision.id,
            reply_error=", ".join(decision.rule_codes)[:255],
        )
        return message
    point = ContactPoint.objects.get(pk=message.contact_point_id)
    outbound = OutboundMessage(
        idempotency_key=f"inbound:{message.channel}:{message.pk}:answer",
        channel=message.channel,
        to=point.value,
        body=body,
        subject=subject,
        account_id=account.pk,
        customer_name=account.customer.name,
    )
    try:
        backend_for(message.channel).send(outbound)
    except ChannelError as exc:
        pending.update(
            reply_status=InboundMessage.ReplyStatus.FAILED,
            reply_decision_id=decision.id,
            reply_error=str(exc)[:255],
        )
        return message
    with transaction.atomic():
        # The claim: a replay racing this one finds it no longer pending and logs nothing.
        if not pending.update(
            reply_status=InboundMessage.ReplyStatus.SENT, reply_decision_id=decision.id
        ):
            return message
        entry = solicited_log(
            account=account,
            point=point,
            channel=message.channel,
            text=text,
            decision_id=decision.id,
            notes=f"Answer to {message.get_intent_display()} (inbound message {message.pk})",
            now=now,
        )
        InboundMessage.objects.filter(pk=message.pk).update(reply=entry)
    return message


# --- Delivery receipts and bounces ---------------------------------------------------------


def hard_failure_threshold() -> int:
    return max(1, int(settings.SETTLE_HARD_FAILURE_THRESHOLD))


@dataclass(frozen=True)
class ReceiptResult:
    receipt: DeliveryReceipt
    replayed: bool
    invalidated: bool = False


def delivery_receipt_record(
    *, channel: str, payload: ReceiptPayload, now: datetime | None = None
) -> ReceiptResult:
    """Store a receipt or bounce once, update the reminder it names and, on a hard failure,
    mark the contact point unusable after the threshold of consecutive hard failures."""
    now = now or timezone.now()
    if channel not in CHANNELS:
        raise ValidationError({"channel": [_("Unknown channel %(value)s.") % {"value": channel}]})
    names = Q()
    if payload.provider_message_id:
        names |= Q(provider_ref=payload.provider_message_id)
    if payload.reference:
        names |= Q(idempotency_key=payload.reference)
    try:
        with transaction.atomic():
            reminder = (
                Reminder.objects.filter(names, channel=channel)
                .only("id", "contact_point_id")
                .first()
            )
            receipt = DeliveryReceipt.objects.create(
                channel=channel,
                provider_event_id=payload.provider_event_id,
                provider_message_id=payload.provider_message_id,
                reference=payload.reference,
                status=payload.status,
                error=payload.error,
                occurred_at=payload.at,
                reminder=reminder,
                contact_point_id=None if reminder is None else reminder.contact_point_id,
            )
            invalidated = False
            if reminder is not None:
                # A receipt older than the one already applied changes nothing.
                Reminder.objects.filter(pk=reminder.pk).filter(
                    Q(delivery_at__isnull=True) | Q(delivery_at__lte=payload.at)
                ).update(
                    delivery_status=payload.status,
                    delivery_at=payload.at,
                    delivery_error=payload.error,
                )
                if (
                    payload.status == DeliveryStatus.FAILED_HARD
                    and reminder.contact_point_id is not None
                ):
                    invalidated = _unusable_after_hard_failures(reminder.contact_point_id)
    except IntegrityError:
        replayed = DeliveryReceipt.objects.filter(
            channel=channel, provider_event_id=payload.provider_event_id
        ).first()
        if replayed is None:
            raise
        return ReceiptResult(receipt=replayed, replayed=True)
    return ReceiptResult(receipt=receipt, replayed=False, invalidated=invalidated)


def consecutive_hard_failures(point_id: int, *, limit: int) -> int:
    """How many of the point's latest messages (up to ``limit``) failed hard in a row: its
    receipts newest first, one verdict per message (its latest), soft failures skipped."""
    rows = (
        DeliveryReceipt.objects.filter(
            contact_point_id=point_id,
            status__in=(DeliveryStatus.DELIVERED, DeliveryStatus.FAILED_HARD),
        )
        .order_by("-occurred_at", "-id")
        .values_list("reminder_id", "status")[: limit * 4]
    )
    seen: set[int | None] = set()
    run = 0
    for reminder_id, status in rows:
        if reminder_id in seen:
            continue
        seen.add(reminder_id)
        if status != DeliveryStatus.FAILED_HARD:
            break
        run += 1
        if run >= limit:
            break
    return run


def _unusable_after_hard_failures(point_id: int) -> bool:
    threshold = hard_failure_threshold()
    if consecutive_hard_failures(point_id, limit=threshold) < threshold:
        return False
    point = ContactPoint.objects.select_for_update().get(pk=point_id)
    if not point.is_valid:
        return False
    contact_point_update(
        point=point,
        by=None,
        data={"is_valid": False, "invalid_reason": f"{threshold} hard delivery failures in a row"},
    )
    return True
