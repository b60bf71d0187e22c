"""API tokens that expire and are revoked when the password changes or the user logs out.

DRF's tokens live for ever; a leaked one outlived a password change. Here a token older than
``SETTLE_API_TOKEN_TTL_SECONDS`` is refused (and deleted); the token endpoint hands out a new
one in its place. Changing the password or logging out of the web session deletes the user's
tokens.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed

from accounts.reauth import token_is_fresh


def token_expired(token: Token) -> bool:
    ttl = timedelta(seconds=settings.SETTLE_API_TOKEN_TTL_SECONDS)
    return token.created <= timezone.now() - ttl


def token_for(user: Any) -> Token:
    """The user's token, asked for with the password: a new one when theirs has expired or is
    older than the re-authentication window (the password was just given, so the new token
    may reveal personal data)."""
    token, created = Token.objects.get_or_create(user=user)
    if not created and (token_expired(token) or not token_is_fresh(token)):
        token.delete()
        token = Token.objects.create(user=user)
    return token


def tokens_revoke(user: Any) -> int:
    """Delete every API token of ``user``; returns how many."""
    deleted, _ = Token.objects.filter(user=user).delete()
    return deleted


class ExpiringTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if token_expired(token):
            token.delete()
            raise AuthenticationFailed("Token expired; ask /api/v1/auth/token/ for a new one.")
        return user, token


def revoke_on_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        tokens_revoke(user)


def revoke_on_password_change(sender: Any, instance: Any, **kwargs: Any) -> None:
    """``pre_save`` of the user: a new password hash revokes the tokens issued under the old."""
    if instance.pk is None or kwargs.get("raw"):
        return
    old = type(instance).objects.filter(pk=instance.pk).values_list("password", flat=True).first()
    if old is not None and old != instance.password:
        tokens_revoke(instance)
