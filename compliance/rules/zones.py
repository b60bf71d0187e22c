"""Time zones and local time for the contact rules (all DST handling lives here).

Which zones the consumer may be in, the UTC instant of a local wall time (DST gaps and folds),
allowed intervals of the day, and the earliest instant inside them in every candidate zone.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from compliance.rules.vocabulary import ContactContext, Profile
from core.phones import phone_time_zones

_DAY_SECONDS = 86_400
#: How far ahead the contact-window search looks before giving up.
WINDOW_SEARCH_DAYS = 14


# --------------------------------------------------------------------------------------------
# Time helpers (all DST handling lives here)
# --------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1024)
def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        return None


def candidate_time_zones(
    customer_tz: str | None,
    contact_point_tz: str | None = None,
    phone_number_e164: str | None = None,
    phone_zones: Sequence[str] | None = None,
) -> tuple[str, ...]:
    """Zones the consumer may be in: customer zone, contact-point override, phone zones.

    The phone's zones are ``phone_zones`` when the contact point stored them, else looked up
    from ``phone_number_e164`` (``core.phones``). Deduplicated, in that order; "Etc/Unknown"
    and zones zoneinfo cannot load are skipped. Comment 6(b)(1)(i)-2: with conflicting
    evidence the window must hold in every zone.
    """
    names: list[str] = [n for n in (customer_tz, contact_point_tz) if n]
    if phone_zones is not None:
        names.extend(phone_zones)
    elif phone_number_e164:
        names.extend(phone_time_zones(phone_number_e164))
    seen: dict[str, None] = {}
    for name in names:
        if name != "Etc/Unknown" and name not in seen and _zone(name) is not None:
            seen[name] = None
    return tuple(seen)


def _resolve_zones(ctx: ContactContext, profile: Profile) -> tuple[tuple[str, ZoneInfo], ...]:
    """Loadable candidate zones; the profile's defaults when none is known."""
    zones = tuple((n, z) for n in ctx.candidate_time_zones if (z := _zone(n)) is not None)
    if not zones:
        zones = tuple((n, z) for n in profile.default_time_zones if (z := _zone(n)) is not None)
    if not zones:
        zones = (("UTC", ZoneInfo("UTC")),)
    return zones


@functools.lru_cache(maxsize=8192)
def _local_to_utc(day: date, seconds: int, tz: tzinfo) -> datetime:
    """The first UTC instant whose wall-clock time in `tz` is at least `day` + `seconds`.

    In a DST gap (the wall time does not exist) that is the transition instant; in a fold
    (it exists twice) it is the first occurrence.
    """
    wall = datetime.combine(day, time(), tzinfo=tz) + timedelta(seconds=seconds)
    first = wall.replace(fold=0).astimezone(UTC)
    second = wall.replace(fold=1).astimezone(UTC)
    if first <= second:
        return first
    # Gap: the wall clock jumps over `wall` between `second` and `first`; bisect (whole
    # seconds) for the jump.
    target = wall.replace(tzinfo=None)
    lo, hi = int(second.timestamp()), int(first.timestamp())
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if datetime.fromtimestamp(mid, tz).replace(tzinfo=None) >= target:
            hi = mid
        else:
            lo = mid
    return datetime.fromtimestamp(hi, UTC)


def _local_midnight(day: date, tz: tzinfo) -> datetime:
    return _local_to_utc(day, 0, tz)


def _seconds_of_day(moment: datetime) -> float:
    return moment.hour * 3600 + moment.minute * 60 + moment.second + moment.microsecond / 1e6


def _secs(t: time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


Intervals = tuple[tuple[int, int], ...]


def _span(start: time | None, end: time | None) -> Intervals:
    """Allowed local interval(s) [start, end) in seconds of day; wraps past midnight."""
    a = 0 if start is None else _secs(start)
    b = _DAY_SECONDS if end is None else _secs(end)
    if a < b:
        return ((a, b),)
    if start is not None and end is not None:  # overnight, e.g. 18:00-09:00
        return tuple(iv for iv in ((a, _DAY_SECONDS), (0, b)) if iv[0] < iv[1])
    return ()


def _intersect(x: Intervals, y: Intervals) -> Intervals:
    out = []
    for a1, b1 in x:
        for a2, b2 in y:
            a, b = max(a1, a2), min(b1, b2)
            if a < b:
                out.append((a, b))
    return tuple(sorted(out))


def _inside(moment_local: datetime, intervals: Intervals) -> bool:
    s = _seconds_of_day(moment_local)
    return any(a <= s < b for a, b in intervals)


def _allowed_everywhere(
    at: datetime, zones: Sequence[tuple[str, ZoneInfo]], intervals: Intervals
) -> bool:
    return all(_inside(at.astimezone(z), intervals) for _, z in zones)


def _earliest_in_window(
    at: datetime,
    zones: Sequence[tuple[str, ZoneInfo]],
    intervals: Intervals,
    horizon_days: int = WINDOW_SEARCH_DAYS,
) -> datetime | None:
    """The earliest instant >= `at` inside `intervals` in every zone, or None within horizon.

    The allowed set is an intersection of half-open intervals, so its earliest point after
    `at` is `at` itself or the start of some zone's interval: test those in order.
    """
    at = at.astimezone(UTC)
    if _allowed_everywhere(at, zones, intervals):
        return at
    candidates: set[datetime] = set()
    for _, tz in zones:
        first_day = at.astimezone(tz).date()
        for k in range(-1, horizon_days + 1):
            day = first_day + timedelta(days=k)
            for start, _end in intervals:
                moment = _local_to_utc(day, start, tz)
                if moment > at:
                    candidates.add(moment)
    for moment in sorted(candidates):
        if _allowed_everywhere(moment, zones, intervals):
            return moment
    return None


def _bound_start(value: date | datetime, tz: tzinfo) -> datetime:
    if isinstance(value, datetime):
        return value
    if value == date.min:
        return datetime.min.replace(tzinfo=UTC)
    return _local_midnight(value, tz)


def _bound_end(value: date | datetime, tz: tzinfo) -> datetime:
    """Exclusive end instant: a date covers its whole local day."""
    if isinstance(value, datetime):
        return value
    if value == date.max:
        return datetime.max.replace(tzinfo=UTC)
    return _local_midnight(value + timedelta(days=1), tz)
