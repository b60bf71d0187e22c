"""Bulk loads with PostgreSQL's COPY, through the driver's own cursor.

Django wraps cursors (``CursorDebugWrapper`` when DEBUG is on, or when a test forces it); the
wrapper does not pass ``copy_expert`` through, so COPY always goes to the psycopg2 cursor.
"""

from __future__ import annotations

from typing import IO, Any

from django.db import connection as default_connection

COPY_BUFFER = 1 << 20


def raw_cursor(cursor: Any) -> Any:
    """The driver cursor under Django's wrappers (plain and debug)."""
    while hasattr(cursor, "cursor") and not hasattr(cursor, "copy_expert"):
        cursor = cursor.cursor
    return cursor


def copy_from(sql: str, stream: IO[Any], *, cursor: Any = None, size: int = COPY_BUFFER) -> None:
    """Run ``COPY … FROM STDIN`` reading ``stream``, on ``cursor`` or a new one."""
    if cursor is not None:
        raw_cursor(cursor).copy_expert(sql, stream, size=size)
        return
    with default_connection.cursor() as new_cursor:
        raw_cursor(new_cursor).copy_expert(sql, stream, size=size)
