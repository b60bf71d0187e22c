"""A large queue is counted at most once a minute (``SETTLE_QUEUE_COUNT_CACHE``); a small one on
every page."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.cache import cache

from tests.factories import AccountFactory
from workspace.queue import QueueFilters, scope_count, work_queue

pytestmark = pytest.mark.django_db
AS_OF = date(2026, 11, 23)


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def _total(user, **filters) -> int:
    return work_queue(user, as_of=AS_OF, filters=QueueFilters(**filters)).counts()["total"]


def test_a_large_queue_is_counted_once_in_the_period(settings, team, specialist, supervisor):
    settings.SETTLE_QUEUE_COUNT_CACHE = {"min_cases": 3, "seconds": 60}
    AccountFactory.create_batch(3, team=team, assigned_to=specialist)
    assert _total(specialist) == 3
    AccountFactory(team=team, assigned_to=specialist)
    assert _total(specialist) == 3  # counted a moment ago: the same total
    assert _total(supervisor) == 4  # another scope, counted on its own
    cache.clear()  # the period ends
    assert _total(specialist) == 4


def test_a_small_queue_is_counted_on_every_page(settings, team, specialist):
    settings.SETTLE_QUEUE_COUNT_CACHE = {"min_cases": 5, "seconds": 60}
    AccountFactory.create_batch(3, team=team, assigned_to=specialist)
    assert _total(specialist) == 3
    AccountFactory(team=team, assigned_to=specialist)
    assert _total(specialist) == 4


def test_no_period_counts_every_time(settings, team, specialist):
    settings.SETTLE_QUEUE_COUNT_CACHE = {"min_cases": 0, "seconds": 0}
    AccountFactory.create_batch(2, team=team, assigned_to=specialist)
    queue = work_queue(specialist, as_of=AS_OF, filters=QueueFilters())
    assert scope_count(queue.scope) == 2
    AccountFactory(team=team, assigned_to=specialist)
    assert scope_count(queue.scope) == 3
