"""``COPY … FROM STDIN`` on psycopg2's own cursor, whatever Django wraps it in.

With ``DEBUG`` on (or ``connection.force_debug_cursor``) Django hands out a
``CursorDebugWrapper``, whose ``copy_expert(sql, file, *args)`` takes no ``size`` keyword: a COPY
with a read size raised ``TypeError`` exactly when DEBUG was on. So the COPY runs on the driver's
cursor underneath, still logged like any query when DEBUG is on, and with Django's error
translation (a psycopg2 ``DataError`` arrives as ``django.db.DataError``, the driver's error as
its ``__cause__``). Every COPY in Settle
(feed imports, evidence rows, demo data) goes through here.
"""

from __future__ import annotations

import contextlib
from typing import IO

from django.db.backends.utils import CursorDebugWrapper, CursorWrapper


def copy_from_stream(cursor: CursorWrapper, sql: str, stream: IO, *, size: int = 8192) -> None:
    """Run ``sql`` (a ``COPY … FROM STDIN``) reading ``stream`` in ``size``-byte blocks;
    ``cursor`` is a Django cursor on PostgreSQL (psycopg2)."""
    logged = (
        cursor.debug_sql(sql)
        if isinstance(cursor, CursorDebugWrapper)
        else contextlib.nullcontext()
    )
    with logged, cursor.db.wrap_database_errors:
        cursor.cursor.copy_expert(sql, stream, size=size)
