"""Build the pure ``rules.Profile`` of a jurisdiction from the admin-edited rows, and cache it.

``rules`` compiles patterns once per Profile object, so the Profile must be long-lived: it is
kept in a per-process dict keyed by jurisdiction code and tagged with a *generation* token kept
in Django's cache (Redis in production, shared by web and workers). Saving or deleting any
profile, wording rule or required text replaces the token - at once and again after commit -
so every process rebuilds on its next check. A bulk check costs one cache read per
jurisdiction, no queries once warm.

A jurisdiction with no active profile row (e.g. a database flushed by a test) falls back to
the built-in statutory defaults in ``rules.PROFILES``: switching a profile off never switches
the rules off.
"""

from __future__ import annotations

import logging
import threading
import uuid
from datetime import time
from types import MappingProxyType

from django.core.cache import cache
from django.db import transaction
from django.db.models import Q

from compliance import rules
from compliance.models import JurisdictionProfile, RequiredText, WordingRule

logger = logging.getLogger(__name__)

GENERATION_KEY = "compliance:profiles:generation"

_lock = threading.Lock()
_built: dict[str, tuple[str, rules.Profile]] = {}


class UnknownJurisdiction(LookupError):
    pass


def _generation() -> str:
    """The current generation token; a fresh one each call while the cache is unreachable
    (the cache answers misses then), so every check rebuilds from the database."""
    token = cache.get(GENERATION_KEY)
    if token is None:
        cache.add(GENERATION_KEY, uuid.uuid4().hex, timeout=None)
        token = cache.get(GENERATION_KEY) or f"uncached-{uuid.uuid4().hex}"
    return token


def profiles_changed() -> None:
    """Invalidate every process's built profiles: now, and once more after commit (so a
    process that rebuilt from the old rows in between rebuilds again)."""

    def bump() -> None:
        cache.set(GENERATION_KEY, uuid.uuid4().hex, timeout=None)
        profile_cache_clear()

    bump()
    transaction.on_commit(bump)


def profile_cache_clear() -> None:
    with _lock:
        _built.clear()


def profile_for(code: str) -> rules.Profile:
    """The jurisdiction's rule set as the checks take it (cached; see the module docstring)."""
    generation = _generation()
    hit = _built.get(code)
    if hit is not None and hit[0] == generation:
        return hit[1]
    profile = profile_build(code)
    with _lock:
        _built[code] = (generation, profile)
    return profile


def profile_build(code: str) -> rules.Profile:
    """Read the profile, its wording rules (its own and the shared ones) and required texts."""
    row = JurisdictionProfile.objects.filter(code=code, is_active=True).first()
    if row is None:
        if code in rules.PROFILES:
            logger.warning("No active %s compliance profile in the database: using defaults", code)
            return rules.PROFILES[code]
        raise UnknownJurisdiction(f"No compliance profile for jurisdiction {code!r}")

    wording = tuple(
        rules.WordingPattern(w.category, w.language, w.pattern, w.rule)
        for w in WordingRule.objects.filter(
            Q(profile__isnull=True) | Q(profile=row), is_active=True
        ).order_by("id")
    )
    disclosures: list[rules.DisclosureRequirement] = []
    opt_out: dict[str, list[str]] = {}
    for text in RequiredText.objects.filter(profile=row, is_active=True).order_by("id"):
        if text.kind == RequiredText.Kind.OPT_OUT:
            opt_out.setdefault(text.language, []).extend(text.patterns)
        else:
            disclosures.append(
                rules.DisclosureRequirement(
                    key=text.key,
                    stage=(
                        rules.FIRST_CONTACT
                        if text.kind == RequiredText.Kind.DISCLOSURE_FIRST
                        else rules.SUBSEQUENT
                    ),
                    language=text.language,
                    accepted=text.patterns,
                    description=text.description,
                )
            )
    return rules.Profile(
        code=row.code,
        window_start=_as_time(row.window_start),
        window_end=_as_time(row.window_end),
        weekly_call_limit=row.weekly_call_limit,
        weekly_window_days=row.weekly_window_days,
        post_conversation_quiet_days=row.post_conversation_quiet_days,
        daily_connected_call_cap=row.daily_connected_call_cap,
        citations=MappingProxyType(dict(row.citations or {})),
        disclosures=tuple(disclosures),
        opt_out_phrases=MappingProxyType({k: tuple(v) for k, v in opt_out.items()}),
        wording=wording,
        default_time_zones=tuple(row.default_time_zones or ()),
    )


def _as_time(value: time) -> time:
    return value.replace(tzinfo=None)
