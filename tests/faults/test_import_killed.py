"""The PostgreSQL connection killed in the middle of an account import, then the import again:
the result equals one uninterrupted import of the same file.

The PostgreSQL engine applies a file in one transaction, so a kill at any step leaves nothing
of it behind but its ``ImportBatch`` row, which must say the import failed; the rerun (a new
batch) then applies the whole file. The kill comes from a second connection
(``pg_terminate_backend``) just before or after a chosen step of the engine. The uninterrupted
import is made first inside a transaction rolled back after its snapshot, and the id sequences
are put back before each run, so both start from the same rows and hand out the same ids.
"""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from auditlog.models import LogEntry
from django.contrib.auth.models import Group
from django.db import OperationalError, connection, transaction

from accounts.models import (
    Account,
    BucketHistory,
    ContactPoint,
    Customer,
    ImportBatch,
    Team,
    User,
)
from core.tasks import RETRY_ON
from feeds.account_import import import_accounts
from feeds.account_import.postgres_engine import PostgresEngine
from tests.faults.conftest import (
    pg_terminate,
    reconnect,
    rows,
    sequences_read,
    sequences_restore,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

NOW = datetime(2025, 6, 30, 22, 0, tzinfo=UTC)
AS_OF = NOW.date()

#: What an import writes. The killed run's batch takes a batch id, so the audit rows'
#: ``additional_data`` is compared without it.
TABLES = [m._meta.db_table for m in (Customer, Account, ContactPoint, BucketHistory, LogEntry)]


def _row(n: int, **overrides) -> dict[str, str]:
    us = n % 4 != 3
    return {
        "external_ref": f"C{n // 2:04d}",  # two accounts per customer
        "name": f"Customer {n // 2}",
        "national_id": f"900-12-{n // 2:04d}" if us else f"3101011990010{n // 2:05d}",
        "jurisdiction": "US" if us else "CN",
        "time_zone": "America/New_York" if us else "Asia/Shanghai",
        "language": "en" if us else "zh-hans",
        "phone": f"+1 212 555 {n // 2:04d}" if us else f"138 0013 {n // 2:04d}",
        "email": f"c{n // 2}@example.com",
        "account_number": f"40000{n:05d}",
        "currency": "USD" if us else "CNY",
        "principal_balance": f"{1000 + 37 * n}.00",
        "interest_balance": "50.5",
        "fee_balance": "0",
        "past_due_amount": "200.00",
        "minimum_due": "35.00",
        "delinquent_since": "" if n % 5 == 0 else f"2025-0{1 + n % 6}-1{n % 10}",
        **overrides,
    }


def _file(directory: Path, count: int) -> Path:
    # Rows for customers of both jurisdictions; every fourth row has its own customer,
    # so the two accounts of a customer agree on the customer's columns.
    data = []
    for n in range(count):
        row = _row(n)
        if n % 4 == 3:
            row.update(external_ref=f"CN{n:04d}", name=f"客户 {n}")
            row.update(phone=f"138 0013 {n:04d}", email=f"cn{n}@example.cn")
            row["national_id"] = f"3101011990{n:08d}"
        data.append(row)
    path = directory / "feed.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(data[0]))
        writer.writeheader()
        writer.writerows(data)
    return path


def _teams() -> None:
    us = Team.objects.create(code="us-east", name="US East", jurisdiction="US")
    cn = Team.objects.create(code="cn-sh", name="Shanghai", jurisdiction="CN")
    group = Group.objects.get(name="specialist")
    for i, team in enumerate((us, us, cn)):
        User.objects.create_user(username=f"spec{i}", password="x", team=team).groups.add(group)


def _snapshot() -> dict[str, list]:
    out: dict[str, list] = {}
    for table in TABLES:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = %s AND column_name <> 'id' ORDER BY column_name",
                [table],
            )
            columns = [c for (c,) in cursor.fetchall()]
        # Which batch created a row differs between the two runs; that one did is compared.
        selected = [f"{c} IS NOT NULL" if c == "import_batch_id" else c for c in columns]
        found = rows(f"SELECT {', '.join(selected)} FROM {table}")
        if "additional_data" in columns:
            at = columns.index("additional_data")
            found = [(*r[:at], _without_batch(r[at]), *r[at + 1 :]) for r in found]
        out[table] = sorted(found, key=repr)
    out["applied batches"] = rows(
        "SELECT file_name, sha256, rows, customers_created, customers_updated, "
        "accounts_created, accounts_updated, errors::text FROM accounts_importbatch "
        "WHERE status = 'applied'"
    )
    return out


def _without_batch(data):
    if data is None:
        return None
    data = json.loads(data) if isinstance(data, str) else dict(data)
    data.pop("import_batch", None)
    return json.dumps(data, sort_keys=True)


def _import(path: Path):
    return import_accounts(path, as_of=AS_OF)


def _uninterrupted(path: Path) -> dict[str, list]:
    with transaction.atomic():
        result = _import(path)
        assert result.ok, result.errors
        expected = _snapshot()
        transaction.set_rollback(True)
    return expected


def _kill_at(monkeypatch, step: str, *, after: bool) -> None:
    original = getattr(PostgresEngine, step)

    def wrapper(self, *args, **kwargs):
        if not after:
            pg_terminate()
        result = original(self, *args, **kwargs)
        if after:
            pg_terminate()
        return result

    monkeypatch.setattr(PostgresEngine, step, wrapper)


KILL_POINTS = {
    "during COPY": ("copy", False),
    "after validation": ("validate", True),
    "after the customers are written": ("insert_customers", True),
    "before the contact points": ("create_contact_points", False),
    "before the audit rows": ("write_audit", False),
    "before assignment and risk": ("after_write", False),
    "after everything, before the commit": ("run", True),
}


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("point", list(KILL_POINTS))
def test_an_import_killed_midway_then_rerun_equals_an_uninterrupted_import(
    point, tmp_path, monkeypatch
):
    _teams()
    path = _file(tmp_path, 40)
    ids = sequences_read(TABLES)
    expected = _uninterrupted(path)
    before = _snapshot()
    assert expected != before
    sequences_restore(ids)

    step, after = KILL_POINTS[point]
    with monkeypatch.context() as mp:
        _kill_at(mp, step, after=after)
        with pytest.raises(OperationalError) as killed:
            _import(path)
    assert isinstance(killed.value, RETRY_ON)
    reconnect()
    assert _snapshot() == before  # one transaction: nothing of the file is left
    failed = ImportBatch.objects.get()
    assert failed.status == ImportBatch.Status.REJECTED
    assert failed.finished_at == NOW
    assert any("import failed" in e for e in failed.errors)
    sequences_restore(ids)  # the killed transaction used some

    result = _import(path)

    assert result.ok, result.errors
    assert _snapshot() == expected
    assert ImportBatch.objects.filter(status=ImportBatch.Status.APPLIED).count() == 1
