"""Fast inserts of append-only evidence rows: compliance decisions and contact-log entries.

A reminder batch stores one decision per reminder and one contact-log entry per message sent.
``bulk_create`` spends more time preparing each field of each instance than PostgreSQL spends
storing the row, so on PostgreSQL the rows go in as one ``INSERT … SELECT FROM unnest(arrays)``
per few thousand rows. Each row's id is drawn from the table's sequence in the order of the
rows, so sorting the returned ids gives them in the caller's order. Columns a caller does not
give take the model's defaults (``auto_now_add`` included), prepared once per call as Django
would.

These models are append-only and not audit-logged (the rows *are* the record); nothing here
changes or removes a row, and no model signal is expected (``bulk_create`` sends none either).
Other databases use ``bulk_create``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from django.db import connection, models

#: Rows per INSERT statement.
CHUNK = 5000


def evidence_insert(model: type[models.Model], rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` (dicts of field attnames → values; every row the same keys) into
    ``model``'s table; return the new primary keys in row order."""
    if not rows:
        return []
    if connection.vendor != "postgresql":
        made = model._default_manager.bulk_create([model(**row) for row in rows], batch_size=500)
        return [obj.pk for obj in made]
    given = list(rows[0])
    prototype = model(**rows[0])
    pk = model._meta.pk
    varying: list[models.Field] = []
    constant: list[tuple[models.Field, Any]] = []
    for f in model._meta.concrete_fields:
        if f is pk:
            continue
        if f.attname in given:
            varying.append(f)
        else:
            value = f.pre_save(prototype, add=True)
            constant.append((f, _db_value(f, value)))
    table = connection.ops.quote_name(model._meta.db_table)
    q = connection.ops.quote_name
    names = ", ".join(
        q(c) for c in (pk.column, *(f.column for f in varying), *(f.column for f, _ in constant))
    )
    arrays_sql = ", ".join(["%s::int[]", *(f"%s::{_array_type(f)}[]" for f in varying)])
    aliases = ", ".join(q(f"c{i}") for i in range(len(varying) + 1))
    constants = [value for _, value in constant]
    selected = ", ".join(
        ["nextval((SELECT pg_get_serial_sequence(%s, %s))::regclass)"]
        + [f"{q(f'c{i}')}::jsonb" if _is_json(f) else q(f"c{i}") for i, f in enumerate(varying, 1)]
        + [f"%s::{_array_type(f)}" + ("::jsonb" if _is_json(f) else "") for f, _ in constant]
    )
    sql = (
        f"INSERT INTO {table} ({names}) "  # noqa: S608 - our table and columns, values are parameters
        f"SELECT {selected} FROM unnest({arrays_sql}) WITH ORDINALITY AS v({aliases}, n) "
        f"ORDER BY n RETURNING {q(pk.column)}"
    )
    ids: list[int] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            arrays: list[list[Any]] = [list(range(len(chunk)))]
            for f in varying:
                name = f.attname
                if _is_json(f):
                    arrays.append([_json(f, row[name]) for row in chunk])
                else:
                    arrays.append([row[name] for row in chunk])
            cursor.execute(sql, [model._meta.db_table, pk.column, *constants, *arrays])
            # nextval runs once per row in the scan's order, so the ids ascend with the rows.
            ids.extend(sorted(row[0] for row in cursor.fetchall()))
    return ids


def _is_json(f: models.Field) -> bool:
    return isinstance(f, models.JSONField)


def _array_type(f: models.Field) -> str:
    """The SQL type to cast a parameter array to (JSON travels as text, cast afterwards)."""
    kind = f.db_type(connection)
    # varchar(n) as text: an explicit cast would cut a long value; the column still checks it.
    return "text" if _is_json(f) or kind.startswith("varchar") else kind


def _json(f: models.JSONField, value: Any) -> str | None:
    """As JSONField stores it: None is SQL NULL, anything else JSON text."""
    return None if value is None else json.dumps(value, cls=f.encoder)


def _db_value(f: models.Field, value: Any) -> Any:
    return _json(f, value) if _is_json(f) else f.get_db_prep_save(value, connection)
