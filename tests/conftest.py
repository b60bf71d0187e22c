"""Shared fixtures and the rule that a test needing a missing service fails in CI.

Markers: ``postgres`` (needs DATABASE_URL on PostgreSQL), ``redis`` (needs a Redis broker),
``browser`` (needs /usr/bin/chromium). Locally such a test is skipped with the reason; with
``CI=true`` or ``SETTLE_REQUIRE_SERVICES=1`` it fails instead, so CI can't pass by skipping.
"""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from tests.factories import TeamFactory, UserFactory

REQUIRE_SERVICES = os.environ.get("CI", "").lower() == "true" or os.environ.get(
    "SETTLE_REQUIRE_SERVICES", ""
) in ("1", "true")
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


# ``.ci/run`` runs the suite a second time with the clock this many days ahead: a test that
# depends on today must pin its own clock (time-machine) or derive its dates from a pinned one.
CLOCK_SHIFT_DAYS = int(os.environ.get("SETTLE_TEST_CLOCK_SHIFT_DAYS", "0") or 0)


@pytest.fixture(autouse=True)
def _shifted_clock():
    """Move the clock ``SETTLE_TEST_CLOCK_SHIFT_DAYS`` ahead (ticking); a test's own pin wins."""
    if not CLOCK_SHIFT_DAYS:
        yield
        return
    with time_machine.travel(datetime.now(UTC) + timedelta(days=CLOCK_SHIFT_DAYS), tick=True):
        yield


def _missing(reason: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"required service missing in CI: {reason}", pytrace=False)
    pytest.skip(reason)


def redis_url() -> str | None:
    from django.conf import settings

    url = settings.CELERY_BROKER_URL
    return url if url.startswith(("redis://", "rediss://")) else None


@pytest.fixture(autouse=True)
def _require_services(request):
    if request.node.get_closest_marker("postgres"):
        from django.db import connection

        if connection.vendor != "postgresql":
            _missing("PostgreSQL not configured (set DATABASE_URL=postgres://…)")
    if request.node.get_closest_marker("redis"):
        url = redis_url()
        if url is None:
            _missing("Redis not configured (set CELERY_BROKER_URL=redis://…)")
        import redis

        try:
            redis.Redis.from_url(url, socket_connect_timeout=2).ping()
        except redis.RedisError as exc:
            _missing(f"Redis at {url} not reachable: {exc}")
    if request.node.get_closest_marker("browser") and not shutil.which(CHROMIUM):
        _missing(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")


@pytest.fixture
def team(db):
    return TeamFactory(code="us-east", name="US East", jurisdiction="US")


@pytest.fixture
def other_team(db):
    return TeamFactory(code="cn-sh", name="Shanghai", jurisdiction="CN")


def _user(role: str, team, username: str, **extra):
    user = UserFactory(username=username, team=team, **extra)
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def specialist(team):
    return _user("specialist", team, "sam")


@pytest.fixture
def other_specialist(other_team):
    return _user("specialist", other_team, "li")


@pytest.fixture
def supervisor(team):
    return _user("supervisor", team, "sue", is_staff=True)


@pytest.fixture
def admin_user(db):
    return _user("admin", None, "ada", is_staff=True)


@pytest.fixture
def api():
    """An API client; ``api.as_user(user)`` authenticates with a real token."""
    from rest_framework.authtoken.models import Token

    client = APIClient()

    def as_user(user):
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    client.as_user = as_user
    return client


@pytest.fixture(autouse=True)
def _letters_in_tmp(settings, tmp_path_factory):
    """Letters' PDFs and print batches go to a temporary folder, never the working tree."""
    settings.SETTLE_LETTER_DIR = str(tmp_path_factory.mktemp("letters"))
