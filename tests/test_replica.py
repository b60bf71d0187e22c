"""The dashboard and its exports read from the replica when one is configured; writes and
every other page stay on the primary (core/db_routing.py)."""

from __future__ import annotations

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.db_routing import REPLICA, ReplicaRouter, replica_reads
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db(databases=["default", REPLICA], transaction=True)


@pytest.fixture
def replica_on(settings):
    settings.SETTLE_READ_REPLICA = True


def test_the_dashboard_and_an_export_read_from_the_replica(client, supervisor, replica_on):
    client.force_login(supervisor)
    for url in (
        reverse("dashboards:dashboard"),
        reverse("dashboards:export", args=["roll"]),
    ):
        with (
            CaptureQueriesContext(connections[REPLICA]) as on_replica,
            CaptureQueriesContext(connections["default"]) as on_primary,
        ):
            response = client.get(url)
        assert response.status_code == 200, url
        assert len(on_replica) > 0, url
        # Only the session and the user (middleware, before the view) come from the primary.
        assert all("django_session" in q["sql"] or "accounts_user" in q["sql"] for q in on_primary)


def test_the_case_queue_and_writes_stay_on_the_primary(client, specialist, team, replica_on):
    AccountFactory(team=team, assigned_to=specialist)
    client.force_login(specialist)
    with CaptureQueriesContext(connections[REPLICA]) as on_replica:
        assert client.get(reverse("accounts:queue")).status_code == 200
    assert len(on_replica) == 0
    router = ReplicaRouter()
    with replica_reads():
        assert router.db_for_write(object) is None  # the primary
        assert router.db_for_read(object) == REPLICA


def test_without_a_replica_reads_stay_on_the_primary(settings):
    settings.SETTLE_READ_REPLICA = False
    with replica_reads():
        assert ReplicaRouter().db_for_read(object) is None
    assert ReplicaRouter().allow_migrate(REPLICA, "accounts") is False
