"""The collections department's business calendar: its time zone and its date.

Days past due, promise dates, plan starts and daily facts all count in the department's zone
(``SETTLE_BUSINESS_TIME_ZONE``); the demo may pin the date (``SETTLE_BUSINESS_DATE``).
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone


def business_zone() -> ZoneInfo:
    return ZoneInfo(settings.BUSINESS_TIME_ZONE)


def business_date() -> date:
    """Today in the department's calendar (pinned by SETTLE_BUSINESS_DATE if set)."""
    if settings.BUSINESS_DATE:
        return date.fromisoformat(settings.BUSINESS_DATE)
    return datetime.now(business_zone()).date()


def business_day(moment: datetime) -> date:
    """The department's calendar day at ``moment``."""
    return timezone.localtime(moment, business_zone()).date()


def business_day_or_today(now: datetime | None) -> date:
    """The business day of an injected ``now``; else the business date (which a demo may pin)."""
    return business_day(now) if now is not None else business_date()


def start_of_business_day(day: date) -> datetime:
    """Midnight that opens ``day`` in the department's zone, as an aware datetime."""
    return datetime.combine(day, time.min, tzinfo=business_zone())
