"""With the Redis cache down, compliance decisions read the database: no 500, same answer."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import override_settings

from compliance.profiles import profile_cache_clear
from tests.conftest import _missing
from tests.factories import AccountFactory, ContactPointFactory

pytestmark = [pytest.mark.django_db, pytest.mark.redis]


def _dead_redis_caches() -> dict:
    """The configured cache, pointed at a port where nothing listens."""
    default = settings.CACHES["default"]
    if "redis" not in default["BACKEND"].lower():
        _missing("the cache is not Redis (set REDIS_URL=redis://…)")
    return {"default": {**default, "LOCATION": "redis://127.0.0.1:1/0"}}


def test_a_check_answers_from_the_database_with_the_cache_down(api, specialist, team):
    account = AccountFactory(team=team, customer__time_zone="America/New_York")
    phone = ContactPointFactory(customer=account.customer, value="+12125550100")
    client = api.as_user(specialist)
    body = {
        "account": account.pk,
        "channel": "call",
        "contact_point": phone.pk,
        "at": "2026-11-20T07:15:00-05:00",
    }
    profile_cache_clear()
    with override_settings(CACHES=_dead_redis_caches()):
        response = client.post("/api/v1/compliance/check/", body, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["allowed"] is False  # 07:15 is before the 08:00 window opens
    assert [v["rule"] for v in response.json()["violations"]] == ["contact_window"]
