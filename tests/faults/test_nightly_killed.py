"""The PostgreSQL connection killed in the middle of the nightly run, then the run again: the
result equals one uninterrupted run on the same input.

The kill comes from a second connection (``pg_terminate_backend``) at a chosen point of each
step: after a chunk of bucket moves, a resolved promise, a broken plan, a chunk of risk or of
queue priorities, or inside a risk chunk before it commits. The rerun is what the Celery task's
retry does (``TASK_RETRY_POLICY`` retries ``DatabaseError``) on a fresh connection.

The uninterrupted run is made first inside a transaction that is rolled back after its
snapshot, so both runs start from the same rows and ids.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import OperationalError, connection, transaction

from accounts import delinquency
from accounts.models import Account, BucketHistory, Stage
from contacts.models import CallbackTask, ContactLog
from core.tasks import RETRY_ON
from plans.models import PlanStatus, PromiseStatus, PromiseToPay
from plans.services import plans as plan_services
from plans.services import promises as promise_services
from tests.factories import AccountFactory, ContactPointFactory
from tests.faults.conftest import pg_terminate, reconnect, rows
from tests.plans.factories import active_plan, owing_account
from workspace import nightly

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

# The worked-example plan (first installment 2027-01-01, US policy) breaks on 2027-02-12.
AS_OF = date(2027, 2, 12)
NOW = datetime(2027, 2, 12, 2, 0, tzinfo=UTC)
CHUNK = 3

#: Every table the nightly run writes, and what the comparison ignores: the ids of rows a run
#: creates (a sequence is not rolled back), nothing else.
TABLES = (
    "accounts_account",
    "accounts_buckethistory",
    "plans_promisetopay",
    "plans_plan",
    "plans_installment",
    "plans_planevent",
    "auditlog_logentry",
)


def _days_ago(n: int) -> date:
    return AS_OF - timedelta(days=n)


def _portfolio(team, specialist) -> None:
    """Three of each: an account rolling M1→M2, a broken promise, a plan breaking tonight, a
    callback and a promise due today, a closed account; and some plain ones between them."""
    for n in range(3):
        alice = AccountFactory(team=team, delinquent_since=_days_ago(30))
        ContactPointFactory(customer=alice.customer)
        BucketHistory.objects.create(
            account=alice,
            bucket="M1",
            entered_on=_days_ago(29),
            entry_balance=Decimal("1075.00"),
            entry_days_past_due=1,
        )
        ContactLog.objects.create(
            account=alice,
            customer=alice.customer,
            channel="call",
            direction="outbound",
            outcome="no_answer",
            occurred_at=NOW - timedelta(days=5 + n),
        )
        bob = AccountFactory(team=team, delinquent_since=_days_ago(45 + n))
        PromiseToPay.objects.create(
            account=bob,
            amount=Decimal("100.00"),
            due_date=_days_ago(10),
            created_at=NOW - timedelta(days=20),
        )
        active_plan(owing_account(team), specialist)
        dave = AccountFactory(team=team, delinquent_since=_days_ago(200 - n))
        PromiseToPay.objects.create(
            account=dave,
            amount=Decimal("50.00"),
            due_date=AS_OF,
            created_at=NOW - timedelta(days=3),
        )
        CallbackTask.objects.create(account=dave, due_at=NOW + timedelta(hours=13))
        AccountFactory(team=team, stage=Stage.CLOSED, delinquent_since=None)
        for dpd in (0, 3, 65, 95):
            AccountFactory(team=team, delinquent_since=_days_ago(dpd) if dpd else None)


def _snapshot() -> dict[str, list[tuple]]:
    """Each table's rows without the ``id`` column, sorted."""
    out = {}
    for table in TABLES:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = %s AND column_name <> 'id' ORDER BY column_name",
                [table],
            )
            columns = [c for (c,) in cursor.fetchall()]
        found = rows(f"SELECT {', '.join(columns)} FROM {table}")
        if table == "auditlog_logentry":
            found = [_without_created_ids(columns, row) for row in found]
        out[table] = sorted(found, key=repr)
    return out


def _without_created_ids(columns: list[str], row: tuple) -> tuple:
    """An audit entry of a row the run created (a write-off) names that row's id, which a rerun
    after a kill draws anew from the sequence: leave the id out, like the ``id`` columns."""
    entry = dict(zip(columns, row, strict=True))
    if entry["action"] != 0:  # not a creation
        return row
    changes = (
        json.loads(entry["changes"]) if isinstance(entry["changes"], str) else entry["changes"]
    )
    changes = {k: v for k, v in (changes or {}).items() if k != "id"}
    entry.update(object_pk="", object_id=None, object_repr="", changes=json.dumps(changes))
    return tuple(entry[c] for c in columns)


def _run(**extra):
    return nightly.nightly_run(as_of=AS_OF, now=NOW, chunk_size=CHUNK, **extra)


def _uninterrupted() -> dict[str, list[tuple]]:
    with transaction.atomic():
        _run()
        expected = _snapshot()
        transaction.set_rollback(True)
    return expected


def _kill_on_call(monkeypatch, owner, name: str, *, call: int, after: bool = False) -> list:
    """Kill the connection when ``owner.name`` is called the ``call``-th time (before the call,
    or after it returns but before its transaction commits)."""
    original = getattr(owner, name)
    seen = []

    def wrapper(*args, **kwargs):
        seen.append(1)
        if len(seen) == call and not after:
            pg_terminate()
        result = original(*args, **kwargs)
        if len(seen) == call and after:
            pg_terminate()
        return result

    monkeypatch.setattr(owner, name, wrapper)
    return seen


def _kill_on_progress(text: str):
    """A progress callback that kills the connection the first time ``text`` is reported
    (the chunk before it has committed)."""
    fired = []

    def progress(message: str) -> None:
        if text in message and not fired:
            fired.append(message)
            pg_terminate()

    return progress


KILL_POINTS = {
    "after the first chunk of bucket moves": lambda mp: (
        _kill_on_call(mp, delinquency, "_apply_moves_pg", call=2),
        {},
    ),
    "after the first promise resolved": lambda mp: (
        _kill_on_call(mp, promise_services, "_promises_resolve_locked", call=2),
        {},
    ),
    "after the first plan broken": lambda mp: (
        _kill_on_call(mp, plan_services, "_plan_break", call=2),
        {},
    ),
    "after the first chunk of risk": lambda mp: (
        None,
        {"progress": _kill_on_progress(" risk: ids up to")},
    ),
    "inside a risk chunk before it commits": lambda mp: (
        _kill_on_call(mp, nightly, "_risk_refresh_sql", call=2, after=True),
        {},
    ),
    "after the first chunk of queue priorities": lambda mp: (
        None,
        {"progress": _kill_on_progress(" queue: ids up to")},
    ),
}


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("point", list(KILL_POINTS))
def test_a_run_killed_midway_then_rerun_equals_an_uninterrupted_run(
    point, monkeypatch, team, specialist
):
    _portfolio(team, specialist)
    expected = _uninterrupted()
    assert expected != _snapshot()  # the run has work to do

    with monkeypatch.context() as mp:
        _, extra = KILL_POINTS[point](mp)
        with pytest.raises(OperationalError) as killed:
            _run(**extra)
    assert isinstance(killed.value, RETRY_ON)  # the nightly task retries it
    reconnect()
    assert _snapshot() != expected  # it stopped midway
    _run()

    assert _snapshot() == expected
    # and what that means, in words:
    assert PromiseToPay.objects.filter(status=PromiseStatus.BROKEN).count() == 3
    assert Account.objects.filter(plans__status=PlanStatus.BROKEN).count() == 3
    assert BucketHistory.objects.filter(exited_on=AS_OF, exited_to="M2").count() == 3
    assert not Account.objects.open().filter(risk_scored_at__isnull=True).exists()
    assert _run().changed == 0  # and a third run has nothing left to do
