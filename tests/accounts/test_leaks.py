"""Regression tests for the security probe's API and search findings.

1. Every writable relation of the API is limited to what the user may see: another team's
   customer, team, specialist, contact point or contact log answers exactly like an id that
   does not exist.
4. An account number is found only in full or by exactly the masked tail everyone sees, at every
   search entry point (queue, account list, workload page, API), so no one recovers a number
   digit by digit.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from accounts.models import Account
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _pinned(settings):
    settings.BUSINESS_DATE = "2026-11-23"
    with time_machine.travel(NOW, tick=False):
        yield


# --- 4. Account number search ----------------------------------------------------------------
NUMBER = "4716023958104472"
MATCHES = [NUMBER, "4472", "jane", "REF-77"]
MISSES = ["04472", "104472", NUMBER[1:], NUMBER[:-1], "4716", "0239", "23958", "REF-7"]


@pytest.fixture
def searched(team, specialist):
    return AccountFactory(
        team=team,
        assigned_to=specialist,
        number=NUMBER,
        customer__name="Jane Roe",
        customer__external_ref="REF-77",
    )


def found_on_queue(client, specialist, q):
    client.force_login(specialist)
    rows = client.get(reverse("accounts:queue"), {"q": q}).context["rows"]
    return [row["account"].pk for row in rows]


def found_on_account_list(client, specialist, q):
    client.force_login(specialist)
    return [a.pk for a in client.get(reverse("accounts:list"), {"q": q}).context["page"]]


def found_on_workload(client, supervisor, q):
    client.force_login(supervisor)
    return [a.pk for a in client.get(reverse("dashboards:workload"), {"q": q}).context["page"]]


def found_by_api(api, specialist, q):
    response = api.as_user(specialist).get("/api/v1/accounts/", {"search": q})
    assert response.status_code == 200
    return [row["id"] for row in response.json()["results"]]


@pytest.mark.parametrize("q", MATCHES + MISSES)
def test_search_matches_a_number_only_in_full_or_by_its_masked_tail(
    client, api, specialist, supervisor, searched, q
):
    expected = [searched.pk] if q in MATCHES else []
    assert found_on_queue(client, specialist, q) == expected
    assert found_on_account_list(client, specialist, q) == expected
    assert found_on_workload(client, supervisor, q) == expected
    assert found_by_api(api, specialist, q) == expected


def test_the_search_rule_is_one_queryset_method(searched):
    assert list(Account.objects.search("4472")) == [searched]
    assert list(Account.objects.search("58104472")) == []
    assert Account.objects.search("  ").count() == 1  # blank: no filter
