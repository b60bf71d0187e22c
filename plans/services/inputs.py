"""Checks of what callers hand the services: amounts, times and roles; and the lock order of
every plan write. (The business day is ``core.business_calendar``'s, re-exported here for the
services.)"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Account, User
from plans.schedule import ScheduleError, currency_places

# A bank's clock may run a little ahead of ours; later than this a time is "in the future".
CLOCK_SKEW = timedelta(minutes=10)

_Row = TypeVar("_Row", bound=Any)


def _places(currency: str) -> int:
    try:
        return currency_places(currency)
    except ScheduleError as error:
        raise ValidationError({"currency": [error.message]}) from None


def _money(value: object, field: str, currency: str, *, positive: bool) -> Decimal:
    """``value`` as an amount of ``currency``, or a ValidationError naming ``field``."""
    if not isinstance(value, Decimal) or not value.is_finite():
        raise ValidationError({field: [_("Must be a decimal amount.")]})
    if abs(value) >= Decimal("1e12"):
        raise ValidationError({field: [_("Must be below 1,000,000,000,000.")]})
    if value < 0 or (positive and value == 0):
        raise ValidationError(
            {field: [_("Must be greater than zero.") if positive else _("Must not be negative.")]}
        )
    if value != round(value, _places(currency)):
        raise ValidationError(
            {
                field: [
                    _("Has more decimal places than %(currency)s allows.") % {"currency": currency}
                ]
            }
        )
    return value


def _aware(value: object, field: str, now: datetime) -> datetime:
    if not isinstance(value, datetime) or timezone.is_naive(value):
        raise ValidationError({field: [_("Must be a date and time with a UTC offset.")]})
    if value > now + CLOCK_SKEW:
        raise ValidationError({field: [_("Must not be in the future.")]})
    return value


def _require_role(user: User | None, *roles: str, message: str) -> None:
    if user is None or not user.is_authenticated or not user.has_role(*roles):
        raise PermissionDenied(message)


def locked_with_account(row: _Row, *related: str) -> _Row:
    """The lock order of every plan write: the row's account, then the row (a plan, a
    settlement offer, a hardship arrangement); returns the row as stored now."""
    list(Account.objects.select_for_update().filter(pk=row.account_id).values_list("pk"))
    return (
        type(row)
        ._default_manager.select_for_update(of=("self",))
        .select_related(*related)
        .get(pk=row.pk)
    )
