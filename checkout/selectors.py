"""Reads of checkout sessions for the pages above (the portal's return page)."""

from __future__ import annotations

from accounts.models import Account
from checkout.models import CheckoutSession


def session_by_token(token: str, *, account: Account | None = None) -> CheckoutSession | None:
    """The session with this public token (of ``account``, when given), or None."""
    if not token:
        return None
    sessions = CheckoutSession.objects.select_related("account", "payment")
    if account is not None:
        sessions = sessions.filter(account=account)
    return sessions.filter(token=token).first()
