"""Who is at the other end of a link: the customer's date of birth or the last digits of their
national ID, then a one-time code sent to a contact point on file.

Every answer is recorded (``VerificationAttempt``). ``failure_limit`` wrong answers since the
last right one lock the link's customer for ``lock_minutes``, whatever the address the answers
come from: the link names the customer, so the lock follows the customer, not the IP (staff
logins lock by user and IP through django-axes; a link cannot be tried under other names).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import override

from accounts.models import Account, ContactPoint, Customer
from contacts.models import ContactLog
from outreach.backends import ChannelError, OutboundMessage, backend_for
from outreach.services import solicited_decision, solicited_log
from portal.models import PortalSession, VerificationAttempt, VerificationCode

CODE_DIGITS = 6
#: Codes one session may ask for within a code's life: more would make Settle an SMS cannon.
CODES_PER_WINDOW = 3
ID_DIGITS = 4
#: Channels a code may go to, by contact-point kind.
CODE_CHANNELS = {ContactPoint.Kind.PHONE: "sms", ContactPoint.Kind.EMAIL: "email"}


class Locked(Exception):
    def __init__(self, until: datetime) -> None:
        self.until = until
        super().__init__(until.isoformat())


class CodeNotSent(Exception):
    """Compliance refused the message or the channel failed; nothing was stored as sent."""


def _conf(name: str) -> int:
    return int(settings.SETTLE_PORTAL[name])


def locked_until(customer_id: int, now: datetime) -> datetime | None:
    """The end of the customer's lock, or None. Counts failures since the last success within
    the lock window."""
    window_start = now - timedelta(minutes=_conf("lock_minutes"))
    attempts = list(
        VerificationAttempt.objects.filter(customer_id=customer_id, at__gte=window_start)
        .order_by("-at")
        .values_list("succeeded", "at")[: _conf("failure_limit")]
    )
    failures = []
    for succeeded, at in attempts:
        if succeeded:
            break
        failures.append(at)
    if len(failures) < _conf("failure_limit"):
        return None
    return failures[0] + timedelta(minutes=_conf("lock_minutes"))


def _require_unlocked(customer_id: int, now: datetime) -> None:
    until = locked_until(customer_id, now)
    if until is not None and until > now:
        raise Locked(until)


def _record(session: PortalSession, step: str, ok: bool, now: datetime, ip: str | None) -> None:
    VerificationAttempt.objects.create(
        customer_id=session.customer_id,
        session=session,
        step=step,
        succeeded=ok,
        at=now,
        ip_address=ip,
    )


def _digits(value: str) -> str:
    return "".join(ch for ch in value if ch.isalnum()).upper()


@transaction.atomic
def identity_check(
    *,
    session: PortalSession,
    date_of_birth: date | None,
    id_last_digits: str,
    now: datetime,
    ip: str | None,
) -> bool:
    """True when the date of birth or the ID's last digits match what the bank holds. Raises
    ``Locked`` (nothing recorded) while the customer is locked."""
    customer = Customer.objects.select_for_update().get(pk=session.customer_id)
    _require_unlocked(customer.pk, now)
    ok = False
    if date_of_birth is not None and customer.date_of_birth is not None:
        ok = date_of_birth == customer.date_of_birth
    elif id_last_digits:
        held = _digits(customer.national_id)
        given = _digits(id_last_digits)
        ok = (
            len(held) >= ID_DIGITS
            and len(given) == ID_DIGITS
            and hmac.compare_digest(held[-ID_DIGITS:], given)
        )
    _record(session, VerificationAttempt.Step.IDENTITY, ok, now, ip)
    if ok:
        session.identified_at = now
        session.identified_by = "date_of_birth" if date_of_birth else "national_id"
        session.save(update_fields=["identified_at", "identified_by"])
    return ok


def code_points(customer: Customer) -> list[ContactPoint]:
    """Where a code may go: the customer's usable phones and email addresses."""
    return list(
        ContactPoint.objects.contactable()
        .filter(customer=customer, kind__in=list(CODE_CHANNELS))
        .order_by("kind", "-is_primary", "id")
    )


def _hash(session: PortalSession, code: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"{session.pk}:{code}".encode(), hashlib.sha256).hexdigest()


def _code_text(code: str, language: str) -> str:
    with override(language):
        return _(
            "Your Settle verification code is %(code)s. It expires in %(minutes)s minutes."
        ) % {
            "code": code,
            "minutes": _conf("code_minutes"),
        }


@dataclass(frozen=True)
class SentCode:
    code: VerificationCode
    entry: ContactLog


def code_send(*, session: PortalSession, point_id: int, now: datetime) -> SentCode:
    """Send a new one-time code to one of the customer's usable points.

    The message passes the compliance gate as one the customer asked for (``solicited``); the
    decision is stored and the contact log gets one entry, both with the code masked.
    """
    if session.identified_at is None:
        raise CodeNotSent("not identified")
    _require_unlocked(session.customer_id, now)
    window = now - timedelta(minutes=_conf("code_minutes"))
    if session.codes.filter(created_at__gt=window).count() >= CODES_PER_WINDOW:
        raise CodeNotSent("too many codes")
    customer = session.customer
    point = next((p for p in code_points(customer) if p.pk == point_id), None)
    if point is None:
        raise CodeNotSent("contact point")
    account = Account.objects.filter(customer=customer).order_by("-delinquent_since", "id").first()
    if account is None:
        raise CodeNotSent("no account")
    channel = CODE_CHANNELS[point.kind]
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    language = session.language or customer.language
    text = _code_text(code, language)
    masked = text.replace(code, "•" * CODE_DIGITS)
    decision = solicited_decision(
        account=account.pk,
        channel=channel,
        contact_point_id=point.pk,
        text=masked,
        language=language,
        now=now,
    )
    if not decision.allowed:
        raise CodeNotSent(", ".join(decision.rule_codes))
    stored = VerificationCode.objects.create(
        session=session,
        contact_point=point,
        code_hash=_hash(session, code),
        created_at=now,
        expires_at=now + timedelta(minutes=_conf("code_minutes")),
    )
    key = f"portal-code:{stored.pk}"
    try:
        backend_for(channel).send(
            OutboundMessage(
                idempotency_key=key,
                channel=channel,
                to=point.value,
                body=text,
                subject=_code_text(code, language).split(".")[0] if channel == "email" else "",
                account_id=account.pk,
                customer_name=customer.name,
            )
        )
    except ChannelError as exc:
        stored.delete()
        raise CodeNotSent(str(exc)) from exc
    entry = solicited_log(
        account=account,
        point=point,
        channel=channel,
        text=masked,
        decision_id=decision.id,
        notes="Portal verification code",
        now=now,
    )
    return SentCode(code=stored, entry=entry)


@transaction.atomic
def code_check(*, session: PortalSession, code: str, now: datetime, ip: str | None) -> bool:
    """True, and the session verified, when ``code`` is the newest unexpired code sent."""
    Customer.objects.select_for_update().filter(pk=session.customer_id).first()
    _require_unlocked(session.customer_id, now)
    latest = (
        VerificationCode.objects.select_for_update()
        .filter(session=session, used_at__isnull=True, expires_at__gt=now)
        .order_by("-created_at")
        .first()
    )
    given = "".join(ch for ch in code if ch.isdigit())
    ok = latest is not None and hmac.compare_digest(latest.code_hash, _hash(session, given))
    _record(session, VerificationAttempt.Step.CODE, ok, now, ip)
    if ok and latest is not None:
        latest.used_at = now
        latest.save(update_fields=["used_at"])
        session.verified_at = now
        session.save(update_fields=["verified_at"])
    return ok
