"""Sane ranges for what people and systems type in, checked at the edge (forms, API, filters).

Python's dates end at 9999-12-31 and the database's integers at 2**63 - 1; a date near either
end, or a day count of millions, overflows somewhere downstream (a timedelta, a SQL cast) and
answers 500. Nothing in collections happens before 1900 or after 2199, nor spans more than a
hundred years, so anything outside is refused with a message naming the field.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2199, 12, 31)
MAX_DAY_COUNT = 36_500  # a hundred years of days
MAX_ID = 2**63 - 1  # bigint: an id above it cannot exist
MIN_UTC_OFFSET, MAX_UTC_OFFSET = timedelta(hours=-12), timedelta(hours=14)  # real zones
MAX_NOTE_LENGTH = 4_000  # a specialist's notes, a resolution, a reason
MAX_MESSAGE_LENGTH = 20_000  # a message text: an SMS, an email or a letter body


def date_in_range(value: date | datetime) -> bool:
    day = value.date() if isinstance(value, datetime) else value
    return EARLIEST_DATE <= day <= LATEST_DATE


def validate_date_in_range(value: date | datetime) -> None:
    if not date_in_range(value):
        raise ValidationError(
            _("Must be between %(earliest)s and %(latest)s."),
            code="out_of_range",
            params={"earliest": EARLIEST_DATE.isoformat(), "latest": LATEST_DATE.isoformat()},
        )


def id_or_none(raw: str) -> int | None:
    """A query parameter as an id, or None when it is not one (not digits, or too large)."""
    raw = raw.strip()
    # ASCII digits only: "²".isdigit() is true, and int("²") raises.
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 19 or int(raw) > MAX_ID:
        return None
    return int(raw)
