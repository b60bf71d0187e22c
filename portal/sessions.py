"""The portal's own session: a random cookie (``SETTLE_PORTAL["cookie_name"]``, HttpOnly,
SameSite=Lax, Secure like the staff cookies, path limited to the portal) whose hash names a
``PortalSession``. It never touches the staff session: a signed-in specialist who opens a
customer's link stays who they are, and the customer gets nothing of theirs.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from functools import wraps
from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone, translation

from core.client_ip import client_ip
from portal.models import PortalSession

PATH = "/p/"


def _conf(name: str):
    return settings.SETTLE_PORTAL[name]


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def session_open(request: HttpRequest, response: HttpResponse, *, customer_id: int, now: datetime):
    """A new, unverified session for ``customer_id``; any session the browser had ends."""
    session_end(request, now=now)
    raw = secrets.token_urlsafe(32)
    session = PortalSession.objects.create(
        key_hash=_hash(raw),
        customer_id=customer_id,
        created_at=now,
        last_seen_at=now,
        ip_address=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
    )
    response.set_cookie(
        _conf("cookie_name"),
        raw,
        max_age=int(_conf("max_minutes")) * 60,
        path=PATH,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    return session


def session_current(request: HttpRequest, *, now: datetime) -> PortalSession | None:
    """The browser's live session (not ended, idle or past its maximum age), or None."""
    raw = request.COOKIES.get(_conf("cookie_name"))
    if not raw:
        return None
    session = (
        PortalSession.objects.select_related("customer")
        .filter(key_hash=_hash(raw), ended_at__isnull=True)
        .first()
    )
    if session is None:
        return None
    idle = now - session.last_seen_at > timedelta(minutes=int(_conf("idle_minutes")))
    old = now - session.created_at > timedelta(minutes=int(_conf("max_minutes")))
    if idle or old:
        session.ended_at = now
        session.save(update_fields=["ended_at"])
        return None
    return session


def session_end(request: HttpRequest, *, now: datetime) -> None:
    raw = request.COOKIES.get(_conf("cookie_name"))
    if raw:
        PortalSession.objects.filter(key_hash=_hash(raw), ended_at__isnull=True).update(
            ended_at=now
        )


def _touch(session: PortalSession, now: datetime) -> None:
    if now - session.last_seen_at > timedelta(seconds=30):
        session.last_seen_at = now
        session.save(update_fields=["last_seen_at"])


def _language(request: HttpRequest, session: PortalSession) -> str:
    chosen = request.GET.get("lang")
    if chosen in dict(settings.LANGUAGES) and session.language != chosen:
        session.language = chosen
        session.save(update_fields=["language"])
    return session.language or session.customer.language


def portal_view(*, verified: bool = True, identified: bool = False):
    """Decorate a portal view: needs a live session (and by default a verified one), activates
    the customer's language (or the one they chose) and time zone (times typed and shown are
    theirs), and passes ``request.portal``."""

    def decorate(view):
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            now = timezone.now()
            session = session_current(request, now=now)
            if session is None:
                return redirect(reverse("portal:start"))
            if verified and session.verified_at is None:
                step = "portal:verify" if session.identified_at is None else "portal:code"
                return redirect(reverse(step))
            if identified and session.identified_at is None:
                return redirect(reverse("portal:verify"))
            _touch(session, now)
            request.portal = session  # type: ignore[attr-defined]
            zone = ZoneInfo(session.customer.time_zone)
            with translation.override(_language(request, session)), timezone.override(zone):
                response = view(request, *args, **kwargs)
                if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                    response.render()
            response.headers.setdefault("Cache-Control", "no-store")
            return response

        return wrapper

    return decorate
