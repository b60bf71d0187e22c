"""The customer's link to the self-service portal: signed, expiring, naming one customer.

A token is ``<customer id>.<last valid day>.<signature>`` (ids and days in base 36, the
signature the first 16 characters of Django's salted HMAC-SHA256 ``Signer`` signature: 96 bits,
guessed only by brute force, which the portal's verification lock stops). It is short enough for
an SMS and to be typed from a letter, and needs no row per message: reminders make one per send.
Opening it shows nothing personal until the customer has verified who they are (``portal``).
It lives here, below ``outreach``, because every reminder carries one.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes

SALT = "settle.portal.link"
SIGNATURE_LENGTH = 16
_EPOCH = date(2000, 1, 1)
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


class LinkError(Exception):
    """The token is not one Settle made (``tampered``) or is past its last day (``expired``)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class PortalLink:
    customer_id: int
    valid_until: date


def _b36(number: int) -> str:
    out = ""
    while True:
        number, digit = divmod(number, 36)
        out = _DIGITS[digit] + out
        if number == 0:
            return out


def _keyed() -> tuple[hmac.HMAC, ...]:
    """An HMAC-SHA256 keyed for the current key, then one per fallback key (key rotation)."""
    return _keyed_for(settings.SECRET_KEY, tuple(settings.SECRET_KEY_FALLBACKS))


@lru_cache(maxsize=4)
def _keyed_for(key: str | bytes, fallbacks: tuple[str | bytes, ...]) -> tuple[hmac.HMAC, ...]:
    # What ``signing.Signer(key=key, salt=SALT, algorithm="sha256").signature`` computes, with
    # the salted key derived once per key set instead of once per call (every reminder makes a
    # link): ``salted_hmac`` keys the HMAC with sha256(salt + "signer" + key), and ``signature``
    # uses the current key where a key is empty.
    salt = force_bytes(SALT + "signer")
    return tuple(
        hmac.new(hashlib.sha256(salt + force_bytes(k or key)).digest(), None, "sha256")
        for k in (key, *fallbacks)
    )


def _signature(keyed: hmac.HMAC, value: str) -> str:
    """The first ``SIGNATURE_LENGTH`` characters of the signature (``signing.base64_hmac``)."""
    mac = keyed.copy()  # cheaper than keying a new HMAC
    mac.update(value.encode())
    return signing.b64_encode(mac.digest()).decode()[:SIGNATURE_LENGTH]


def _signatures(value: str) -> list[str]:
    """The signature with the current key and with each fallback key (key rotation)."""
    return [_signature(keyed, value) for keyed in _keyed()]


def link_token(customer_id: int, *, valid_until: date) -> str:
    value = f"{_b36(customer_id)}.{_b36((valid_until - _EPOCH).days)}"
    return f"{value}.{_signature(_keyed()[0], value)}"


def link_token_for(customer_id: int, *, today: date) -> str:
    """A token valid for ``SETTLE_PORTAL_LINK_DAYS`` days from ``today``."""
    return link_token(
        customer_id, valid_until=today + timedelta(days=settings.SETTLE_PORTAL_LINK_DAYS)
    )


def link_url(token: str) -> str:
    """The absolute link (``SETTLE_PORTAL_BASE_URL`` + the portal's path for the token)."""
    return _prefix(settings.SETTLE_PORTAL_BASE_URL) + token + "/"


def entry_url() -> str:
    """Where a code from a letter is typed."""
    return _prefix(settings.SETTLE_PORTAL_BASE_URL)


@lru_cache(maxsize=4)
def _prefix(base: str) -> str:
    # Reversed once per process, not per reminder.
    return base.rstrip("/") + reverse("portal:link", args=["_"])[:-2]


def link_read(token: str, *, today: date) -> PortalLink:
    """The customer and last day a token names; ``LinkError`` if tampered with or expired."""
    token = (token or "").strip()
    parts = token.split(".")
    if len(parts) != 3 or not parts[0] or not parts[1]:
        raise LinkError("tampered")
    value = f"{parts[0]}.{parts[1]}"
    if not any(constant_time_compare(parts[2], s) for s in _signatures(value)):
        raise LinkError("tampered")
    try:
        customer_id = int(parts[0], 36)
        valid_until = _EPOCH + timedelta(days=int(parts[1], 36))
    except (ValueError, OverflowError):
        raise LinkError("tampered") from None
    if valid_until < today:
        raise LinkError("expired")
    return PortalLink(customer_id=customer_id, valid_until=valid_until)


#: A token standing alone in a message (in a link's path, or as a letter's code): not part of
#: a longer run of token characters.
_TOKEN_IN_TEXT = re.compile(
    r"(?<![0-9A-Za-z_.-])([0-9a-z]{1,13}\.[0-9a-z]{1,6})\."
    rf"([A-Za-z0-9_-]{{{SIGNATURE_LENGTH}}})(?![0-9A-Za-z_-])"
)


def signed_token_spans(text: str) -> list[tuple[int, int]]:
    """Where ``text`` holds a token Settle signed (with the current or a fallback key; expired
    or not). Its characters are an id, a day and a random signature, not words anyone wrote: the
    wording checks read past them, so a signature that happens to spell a prohibited word (or a
    customer id whose base 36 does) does not block the message. A token whose signature does
    not verify is text like any other."""
    if "." not in text:
        return []
    return [
        m.span()
        for m in _TOKEN_IN_TEXT.finditer(text)
        if any(constant_time_compare(m.group(2), s) for s in _signatures(m.group(1)))
    ]
