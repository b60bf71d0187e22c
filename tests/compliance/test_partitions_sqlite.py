"""SQLite (the demo) keeps plain evidence tables: partitioning and dropping months do nothing."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

from compliance.retention_partitions import partitions_retire
from core.partitions import (
    partitioned_tables,
    partitions_ensure,
    partitions_list,
    table_partition,
    table_unpartition,
)

LOG = "contacts_contactlog"


def test_on_sqlite_no_partition_function_touches_the_database():
    sqlite = SimpleNamespace(vendor="sqlite", alias="default")  # no cursor: any SQL would fail
    assert partitioned_tables(sqlite) == {}
    assert partitions_list(LOG, sqlite) == []
    assert partitions_ensure(connection=sqlite) == []
    table_partition(LOG, "occurred_at", connection=sqlite)
    table_unpartition(LOG, "occurred_at", connection=sqlite)


def test_on_sqlite_retention_drops_no_month(monkeypatch):
    from compliance import retention_partitions

    monkeypatch.setattr(retention_partitions, "connection", SimpleNamespace(vendor="sqlite"))
    report = partitions_retire(as_of=date(2026, 11, 20))
    assert report.verdicts == []
    assert report.lines() == [
        "Partitions past the retention period as of 2026-11-20: dropped",
        "  none",
    ]
