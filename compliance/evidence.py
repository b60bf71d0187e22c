"""Fast inserts of append-only evidence rows: compliance decisions and contact-log entries.

A reminder batch stores one decision per reminder and one contact-log entry per message sent.
``bulk_create`` spends more time preparing each field of each instance than PostgreSQL spends
storing the row. So on PostgreSQL:

- from ``COPY_MIN_ROWS`` rows (a reminder batch), the ids are reserved first, in one query
  (``nextval`` over ``generate_series``), and sorted: the i-th row gets the i-th smallest, so
  ids ascend in the caller's order; the rows, with those explicit ids, are then streamed with
  ``COPY … FROM STDIN`` (text format). Half the time of the ``INSERT`` below, for both sides:
  PostgreSQL does not parse megabytes of array literals, and Python does not quote them;
- below that (a single check), one ``INSERT … SELECT FROM unnest(arrays) RETURNING id``, whose
  ids are drawn from the sequence in row order.

Columns a caller does not give take the model's defaults (``auto_now_add`` included),
prepared once per call as Django would. Constraints (foreign keys, lengths, NOT NULL) are
checked by PostgreSQL as for any insert, and the rows commit with the caller's transaction.

These models are append-only and not audit-logged (the rows *are* the record); nothing here
changes or removes a row, and no model signal is expected (``bulk_create`` sends none either).
Other databases use ``bulk_create``.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from itertools import repeat
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection, models
from django.db.models import Lookup

from core.bulk_copy import copy_from_stream

#: Rows per statement.
CHUNK = 5000
#: From this many rows, ``COPY`` (two statements: reserve the ids, stream the rows); below
#: it, one ``INSERT … SELECT FROM unnest(arrays)`` (a single check stays one statement).
COPY_MIN_ROWS = 200
#: SQL NULL in COPY's text format.
NULL = "\\N"


def evidence_insert(model: type[models.Model], rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` (dicts of field attnames → values; every row the same keys) into
    ``model``'s table; return the new primary keys in row order."""
    if not rows:
        return []
    if connection.vendor != "postgresql":
        made = model._default_manager.bulk_create([model(**row) for row in rows], batch_size=500)
        return [obj.pk for obj in made]
    if len(rows) < COPY_MIN_ROWS:
        return _insert_select(model, rows)
    return _copy(model, rows)


def _copy(model: type[models.Model], rows: Sequence[dict[str, Any]]) -> list[int]:
    """Reserve the ids (one query), then ``COPY`` the rows with them."""
    given = list(rows[0])
    prototype = model(**rows[0])
    pk = model._meta.pk
    varying: list[models.Field] = []
    constant: list[models.Field] = []
    for f in model._meta.concrete_fields:
        if f is pk:
            continue
        (varying if f.attname in given else constant).append(f)
    # Columns not given: the model's defaults (``auto_now_add`` included), as Django would.
    tail = [_copy_text(f, f.pre_save(prototype, add=True)) for f in constant]
    q = connection.ops.quote_name
    names = ", ".join(q(f.column) for f in (pk, *varying, *constant))
    copy = f"COPY {q(model._meta.db_table)} ({names}) FROM STDIN"
    columns = [(f.attname, f, _json_encode(f) if _is_json(f) else None) for f in varying]
    ids: list[int] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            cursor.execute(
                "SELECT nextval((SELECT pg_get_serial_sequence(%s, %s))::regclass) "
                "FROM generate_series(1, %s)",
                [model._meta.db_table, pk.column, len(chunk)],
            )
            reserved = sorted(row[0] for row in cursor.fetchall())
            data = _copy_data(reserved, chunk, columns, tail)
            copy_from_stream(cursor, copy, io.StringIO(data))
            ids.extend(reserved)
    return ids


def _copy_data(
    ids: list[int],
    rows: Sequence[dict[str, Any]],
    columns: list[tuple[str, models.Field, Callable[[Any], str] | None]],
    tail: list[str],
) -> str:
    """The COPY text of ``rows`` with ``ids``: a line per row, the id, then the ``columns``
    (attname, field, its JSON encoder or None), then the ``tail`` texts. Built a column at a
    time (``_column_text``) and joined without a Python call per field: a reminder batch has
    tens of thousands of fields."""
    fields: list[Iterable[str]] = [list(map(str, ids))]
    for name, f, encode in columns:
        fields.append(_column_text(f, [row[name] for row in rows], encode))
    fields.extend(repeat(text, len(rows)) for text in tail)
    return "\n".join(map("\t".join, zip(*fields, strict=True))) + "\n"


def _insert_select(model: type[models.Model], rows: Sequence[dict[str, Any]]) -> list[int]:
    """One ``INSERT … SELECT FROM unnest(arrays) RETURNING id`` per chunk: one statement."""
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


def _escape(text: str) -> str:
    """COPY text format: backslash, tab, newline and carriage return are escaped."""
    if "\\" in text:
        text = text.replace("\\", "\\\\")
    if "\t" in text:
        text = text.replace("\t", "\\t")
    if "\n" in text:
        text = text.replace("\n", "\\n")
    if "\r" in text:
        text = text.replace("\r", "\\r")
    return text


#: ``_escape``'s replacements, backslash first (the others add backslashes).
_ESCAPES = (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r"))
_NONE = type(None)


def _escape_all(texts: list[str]) -> list[str]:
    """``_escape`` of each text: one search of the whole column per character, and a replace
    pass only for the characters it holds (most columns hold none)."""
    joined = "".join(texts)
    for char, escaped in _ESCAPES:
        if char in joined:
            texts = [text.replace(char, escaped) for text in texts]
    return texts


def _column_text(
    f: models.Field, values: list[Any], encode: Callable[[Any], str] | None
) -> list[str]:
    """``_copy_text(f, value)`` of each value, byte for byte: the kinds of value a column
    usually holds (text, choices, ids, flags, aware date-times, JSON) a column at a time,
    anything else (Decimal, dates, naive date-times, a mix) through ``_copy_text``."""
    kinds = set(map(type, values))
    if encode is not None:  # JSON
        if _NONE not in kinds:
            return _escape_all(list(map(encode, values)))
    elif kinds == {str}:
        return _escape_all(values)
    elif kinds <= {int, _NONE}:
        return [NULL if v is None else str(v) for v in values]
    elif all(issubclass(kind, str) for kind in kinds):  # choices are written as their value
        return _escape_all(list(map(str, values)))
    elif kinds <= {bool, _NONE}:
        return [NULL if v is None else "t" if v else "f" for v in values]
    elif kinds <= {datetime, _NONE}:
        return [
            NULL if v is None else v.isoformat() if v.tzinfo is not None else _copy_text(f, v)
            for v in values
        ]
    return [_copy_text(f, v) for v in values]


def _json_encode(f: models.JSONField) -> Callable[[Any], str]:
    """``json.dumps(value, cls=f.encoder)`` without building an encoder per value."""
    return (f.encoder or json.JSONEncoder)(
        skipkeys=False,
        ensure_ascii=True,
        check_circular=True,
        allow_nan=True,
        indent=None,
        separators=None,
        default=None,
        sort_keys=False,
    ).encode


def _copy_json(f: models.Field, value: Any) -> str:
    """As JSONField stores it: None is SQL NULL, anything else JSON text."""
    return NULL if value is None else _escape(json.dumps(value, cls=f.encoder))


def _copy_text(f: models.Field, value: Any) -> str:
    """``value`` of field ``f`` as a COPY text-format column (``\\N`` is NULL)."""
    if value is None:
        return NULL
    if _is_json(f):
        return _copy_json(f, value)
    if isinstance(value, str):  # choices (``TextChoices`` members) are written as their value
        return _escape(str(value))
    kind = type(value)
    if kind is bool:
        return "t" if value else "f"
    if kind is int:
        return str(value)
    if kind is datetime and value.tzinfo is not None:
        return value.isoformat()
    prepared = f.get_db_prep_save(value, connection)  # anything else, as Django prepares it
    if prepared is None:
        return NULL
    if isinstance(prepared, bool):
        return "t" if prepared else "f"
    if isinstance(prepared, datetime | date):
        return prepared.isoformat()
    return _escape(str(prepared))


class AnyOf(Lookup):
    """``field IN ids`` for a batch's thousands of ids, as a filter expression:
    ``Model.objects.filter(AnyOf(F("customer_id"), ids))``.

    Django's ``__in`` prepares and binds every id on its own (a few µs each, several times
    per batch); on PostgreSQL this binds the whole list as one array (``= ANY(%s)``)."""

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        values = list(self.rhs)
        if not values:
            raise EmptyResultSet
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", [*params, values]
        return f"{lhs} IN ({', '.join(['%s'] * len(values))})", [*params, *values]


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
