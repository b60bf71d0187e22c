"""Where a phone number's range says its owner may be: the time zones of an E.164 number.

One definition, used when a contact point is stored (``accounts.ContactPoint.phone_time_zones``)
and by the contact-time rules when a number reaches them unresolved (``compliance.rules``).
``phonenumbers`` is the authority; this only skips re-parsing a number that is already E.164
(the parse is most of the cost, and a bulk load resolves a million numbers).
"""

from __future__ import annotations

import functools
import re

import phonenumbers
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, PhoneMetadata, PhoneNumber
from phonenumbers import timezone as phone_timezone

#: What ``phonenumbers`` answers for a number whose zones it does not know.
UNKNOWN_ZONE = "Etc/Unknown"


def _parsed(e164: str) -> PhoneNumber | None:
    try:
        return phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return None


@functools.lru_cache(maxsize=512)
def _national_prefix(code: int) -> re.Pattern[str] | None:
    """The pattern of a national prefix the parser would strip, for a calling code."""
    region = COUNTRY_CODE_TO_REGION_CODE[code][0]
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(code, region)
    if metadata is None:
        return None
    prefix = metadata.national_prefix_for_parsing
    return re.compile(prefix) if prefix else None


def _number(e164: str) -> PhoneNumber | None:
    """The number ``e164`` ("+" and digits) as ``phonenumbers.parse`` would give it.

    Built directly when nothing would transform it; anything the parser might change (a
    leading zero, a national prefix to strip, an odd length, other characters) is parsed.
    """
    digits = e164[1:]
    if e164[:1] != "+" or not (digits.isascii() and digits.isdigit()):
        return _parsed(e164)
    for length in (1, 2, 3):  # country calling codes are prefix-free, 1 to 3 digits
        code = int(digits[:length])
        if code not in COUNTRY_CODE_TO_REGION_CODE:
            continue
        national = digits[length:]
        prefix = _national_prefix(code)
        if (
            2 <= len(national) <= 17
            and national[0] != "0"
            and (prefix is None or prefix.match(national) is None)
        ):
            return PhoneNumber(country_code=code, national_number=int(national))
        break
    return _parsed(e164)


@functools.lru_cache(maxsize=65_536)
def phone_time_zones(e164: str) -> tuple[str, ...]:
    """The IANA zones of the number's range, as ``phonenumbers`` gives them (a geographic
    number's area, else its country's zones); () when it cannot be parsed or nothing is known."""
    number = _number(e164)
    if number is None:
        return ()
    zones = phone_timezone.time_zones_for_number(number)
    return tuple(z for z in zones if z != UNKNOWN_ZONE)


def zones_text(zones: tuple[str, ...]) -> str:
    """How a contact point stores its zones: names separated by spaces ("" for none)."""
    return " ".join(zones)


def zones_from_text(text: str) -> tuple[str, ...]:
    return tuple(text.split())
