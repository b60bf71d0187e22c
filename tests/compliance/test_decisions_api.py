"""``GET /api/v1/compliance/decisions/``: supervisors review stored decisions."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from compliance.services import contact_check
from tests.compliance.factories import RestrictionFactory
from tests.factories import AccountFactory, TeamFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/compliance/decisions/"
AT = datetime(2026, 4, 7, 10, tzinfo=ZoneInfo("America/New_York"))


@pytest.fixture
def decisions(team):
    mine = AccountFactory(team=team)
    blocked = AccountFactory(team=team)
    RestrictionFactory(customer=blocked.customer)
    theirs = AccountFactory(team=TeamFactory(code="elsewhere"))
    return {
        "allowed": contact_check(account=mine, channel="call", at=AT),
        "blocked": contact_check(account=blocked, channel="call", at=AT, purpose="reminder"),
        "other_team": contact_check(account=theirs, channel="call", at=AT),
    }


def test_supervisor_sees_the_teams_decisions_newest_first(api, supervisor, decisions):
    body = api.as_user(supervisor).get(URL).json()

    assert [d["id"] for d in body["results"]] == [decisions["blocked"].id, decisions["allowed"].id]
    blocked = body["results"][0]
    assert blocked["violations"][0]["rule"] == "cease_communication"
    assert blocked["inputs"]["restriction_ids"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("allowed=false", ["blocked"]),
        ("rule=cease_communication", ["blocked"]),
        ("rule=contact_window", []),
        ("purpose=reminder", ["blocked"]),
    ],
)
def test_decisions_filter(api, admin_user, decisions, query, expected):
    body = api.as_user(admin_user).get(f"{URL}?{query}").json()

    assert [d["id"] for d in body["results"]] == [decisions[name].id for name in expected]


def test_specialists_may_not_list_decisions(api, specialist, decisions):
    assert api.as_user(specialist).get(URL).status_code == 403
