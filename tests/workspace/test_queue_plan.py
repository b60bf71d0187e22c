"""The work queue's count can be read from its index alone on PostgreSQL (no heap page per
case): a specialist with 60,000 cases scattered over the table otherwise waits for 55,000 page
reads (275 ms on the 1M-account bench) before the first page shows. An index-only scan needs
every column the count reads to be in the index, which is what this checks (the planner's
choice also depends on the visibility map, which a test inside a transaction cannot set)."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import AccountFactory
from workspace.queue import QueueFilters, work_queue

pytestmark = pytest.mark.django_db


def _counted_columns(user) -> set[str]:
    queue = work_queue(user, as_of=date(2026, 11, 23), filters=QueueFilters())
    with CaptureQueriesContext(connection) as captured:
        queue.scope.count()
    sql = captured.captured_queries[-1]["sql"]
    assert sql.startswith('SELECT COUNT(*) AS "__count" FROM "accounts_account" WHERE'), sql
    return set(re.findall(r'"accounts_account"\."(\w+)"', sql))


def _index_columns(name: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT a.attname FROM pg_index i
            JOIN pg_class c ON c.oid = i.indexrelid
            JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
            WHERE c.relname = %s
            """,
            [name],
        )
        return {row[0] for row in cursor.fetchall()}


@pytest.mark.parametrize(
    ("role", "index"),
    [("specialist", "account_assignee_queue_idx"), ("supervisor", "account_team_queue_idx")],
)
def test_the_queue_count_reads_only_columns_its_index_holds(request, team, role, index):
    if connection.vendor != "postgresql":
        pytest.skip("index-only scans are PostgreSQL's")
    user = request.getfixturevalue(role)
    AccountFactory.create_batch(2, team=team, assigned_to=request.getfixturevalue("specialist"))
    counted = _counted_columns(user)
    assert "stage" in counted and "team_id" in counted
    assert counted <= _index_columns(index), counted - _index_columns(index)
