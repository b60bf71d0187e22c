"""Helpers of the fault tests: kill a PostgreSQL backend from a second connection, and take a
snapshot of tables that two runs can be compared by."""

from __future__ import annotations

from collections.abc import Iterable

import psycopg2
from django.db import connection


def pg_terminate(conn=connection) -> int:
    """Terminate ``conn``'s server process from a second connection (what an operator's
    ``pg_terminate_backend`` or a failover does); return its pid. The next statement ``conn``
    sends fails with ``OperationalError``."""
    pid = conn.connection.info.backend_pid
    s = conn.settings_dict
    killer = psycopg2.connect(
        dbname=s["NAME"],
        user=s["USER"] or None,
        password=s["PASSWORD"] or None,
        host=s["HOST"] or None,
        port=s["PORT"] or None,
    )
    try:
        killer.autocommit = True
        with killer.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
            assert cursor.fetchone()[0], f"backend {pid} was not terminated"
    finally:
        killer.close()
    return pid


def reconnect() -> None:
    """What a Celery worker does before its next task (``close_if_unusable_or_obsolete``):
    drop the dead connection so the next query opens a new one."""
    connection.close()


def rows(sql: str, params: Iterable = ()) -> list[tuple]:
    """The rows of ``sql`` (which orders them by natural keys, never by generated ids)."""
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return [tuple(row) for row in cursor.fetchall()]


def sequences_read(tables: Iterable[str]) -> dict[str, tuple[int, bool]]:
    """The id sequence of each table: (last value, is called)."""
    out = {}
    for table in tables:
        (sequence,) = rows("SELECT pg_get_serial_sequence(%s, 'id')", [table])[0]
        out[sequence] = rows(f"SELECT last_value, is_called FROM {sequence}")[0]
    return out


def sequences_restore(saved: dict[str, tuple[int, bool]]) -> None:
    """Put id sequences back (a rolled-back transaction does not), so a second run of the
    same work hands out the same ids and the rows it writes can be compared whole."""
    for sequence, (value, called) in saved.items():
        rows("SELECT setval(%s, %s, %s)", [sequence, value, called])
