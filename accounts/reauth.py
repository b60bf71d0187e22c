"""Re-authentication before personal data is revealed.

A reveal shows national IDs and phone numbers; a session left open on a desk must not be
enough. The password must have been entered within ``SETTLE_REVEAL_REAUTH_SECONDS``: for the
web, the last login or re-entry of the password in this session; for the API, the age of the
token (the token endpoint issues a fresh one when asked with the password after that window).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import timezone
from rest_framework.authtoken.models import Token

SESSION_KEY = "settle_password_entered_at"
REAUTH_MESSAGE = (
    "Re-enter your password before revealing personal data: ask /api/v1/auth/token/ for a "
    "fresh token."
)


def _window() -> float:
    return float(settings.SETTLE_REVEAL_REAUTH_SECONDS)


def password_entered(request: Any) -> None:
    """Record in the session that the password was just entered."""
    request.session[SESSION_KEY] = timezone.now().timestamp()


def remember_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """``user_logged_in`` receiver: a login is a password entry."""
    if request is not None and hasattr(request, "session"):
        password_entered(request)


def session_is_fresh(request: Any) -> bool:
    entered = request.session.get(SESSION_KEY)
    return entered is not None and timezone.now().timestamp() - float(entered) <= _window()


def token_is_fresh(token: Token) -> bool:
    return (timezone.now() - token.created).total_seconds() <= _window()


def request_is_fresh(request: Any) -> bool:
    """For an API request: a fresh token, or a fresh session when it came with a session."""
    if isinstance(getattr(request, "auth", None), Token):
        return token_is_fresh(request.auth)
    return session_is_fresh(request)
