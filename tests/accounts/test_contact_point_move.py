"""ContactPoint moved from contacts to accounts: same table, same rows, permissions follow.

Run on a database holding contact points written before the move (as the demo database does):
migrate back to the last state before it, write rows through the old model, migrate forward.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [
    ("accounts", "0004_queue_priority"),
    ("compliance", "0003_lean_decision_indexes"),
    ("contacts", "0010_lean_contactlog_indexes"),
]

pytestmark = pytest.mark.django_db(transaction=True)


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_contact_points_written_before_the_move_are_kept_with_their_references():
    old = _migrate(BEFORE)
    Team = old.get_model("accounts", "Team")
    Customer = old.get_model("accounts", "Customer")
    Account = old.get_model("accounts", "Account")
    OldPoint = old.get_model("contacts", "ContactPoint")
    ContactLog = old.get_model("contacts", "ContactLog")
    team = Team.objects.create(code="t", name="T", jurisdiction="US")
    customer = Customer.objects.create(
        external_ref="C-1", name="Jane Roe", time_zone="America/New_York", jurisdiction="US"
    )
    account = Account.objects.create(customer=customer, team=team, number="4000000000000001")
    point = OldPoint.objects.create(customer=customer, kind="phone", value="+12125550142")
    ContactLog.objects.create(
        account=account,
        customer=customer,
        contact_point=point,
        channel="call",
        direction="outbound",
        occurred_at=datetime(2026, 11, 20, 15, tzinfo=UTC),
    )

    new = _migrate(
        [("accounts", "0005_contactpoint"), ("contacts", "0011_contact_point_moves_to_accounts")]
    )

    NewPoint = new.get_model("accounts", "ContactPoint")
    moved = NewPoint.objects.get()
    assert (moved.pk, moved.value, moved.customer_id) == (point.pk, "+12125550142", customer.pk)
    assert new.get_model("contacts", "ContactLog").objects.get().contact_point_id == point.pk
    ContentType = new.get_model("contenttypes", "ContentType")
    assert list(
        ContentType.objects.filter(model="contactpoint").values_list("app_label", flat=True)
    ) == ["accounts"]
    Permission = new.get_model("auth", "Permission")
    assert set(
        Permission.objects.filter(codename__endswith="_contactpoint").values_list(
            "content_type__app_label", flat=True
        )
    ) == {"accounts"}


@pytest.fixture(autouse=True)
def _latest_schema_afterwards():
    """Leave the test database migrated to the latest state of every app, whatever migrations
    come after the move, so the tests that follow see every table and column."""
    yield
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
