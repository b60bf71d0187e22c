"""The examiner's export: a period's contact-log and compliance-decision rows as CSV files, with
a manifest of checksums, and the check that the files are still what was exported.

``evidence_export`` writes into a new directory:

- ``contact_log.csv`` — the entries that occurred in the period;
- ``compliance_decisions.csv`` — the decisions made in the period (every check, allowed or
  blocked, with the rules it broke);
- ``manifest.json`` — the period, the teams, when, and per file its SHA-256, size, row count and
  columns;
- ``SHA256SUMS`` — the same checksums, plus the manifest's, as ``sha256sum -c`` reads them.

The period is whole business days, ``date_from`` to ``date_to`` inclusive, in the department's
zone (``SETTLE_BUSINESS_TIME_ZONE``); times in the files are UTC (ISO 8601). A team filter keeps
the accounts of those teams (the team an account has now). Rows are streamed from the database
``CHUNK`` at a time (a server-side cursor on PostgreSQL) and written as they come, ordered by
time then id; on PostgreSQL both files are read in one read-only REPEATABLE READ transaction (when
not called inside another), so they show the same moment.

Account numbers are written in full (an examiner matches them with the bank's records) and
contact points masked (the rows name them by id): the command is for an admin on the server, so
the directory and its files are created readable by their owner only.

``evidence_export_verify`` recomputes every checksum, size and row count against the manifest
and ``SHA256SUMS``; a changed byte anywhere is reported.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models.fields.json import KT
from django.utils import timezone

from accounts.models import ContactPoint
from compliance.models import ComplianceDecision
from contacts.models import ContactLog
from core.business_calendar import start_of_business_day

FORMAT = "settle-evidence-export/1"
MANIFEST = "manifest.json"
SUMS = "SHA256SUMS"
CHUNK = 2000


@dataclass(frozen=True)
class Column:
    name: str  # the CSV header
    source: str  # the field (or annotation) read for it
    render: Callable[[dict[str, Any]], Any] | None = None  # from the whole row, if not the field


@dataclass(frozen=True)
class Table:
    file_name: str
    model: type[models.Model]
    when: str  # the time field the period selects on
    columns: tuple[Column, ...]
    annotations: dict[str, Any] = field(default_factory=dict)


def _contact_point_masked(row: dict[str, Any]) -> str:
    if row["contact_point__value"] is None:
        return ""
    point = ContactPoint(kind=row["contact_point__kind"], value=row["contact_point__value"])
    return point.masked_value


def _rules(row: dict[str, Any]) -> str:
    return ";".join(v.get("rule", "") for v in row["violations"] or [])


C = Column
CONTACT_LOG = Table(
    "contact_log.csv",
    ContactLog,
    "occurred_at",
    (
        C("id", "id"),
        C("occurred_at", "occurred_at"),
        C("logged_at", "created_at"),
        C("account_id", "account_id"),
        C("account_number", "account__number"),
        C("team", "account__team__code"),
        C("customer_id", "customer_id"),
        C("customer_ref", "customer__external_ref"),
        C("jurisdiction", "customer__jurisdiction"),
        C("channel", "channel"),
        C("direction", "direction"),
        C("outcome", "outcome"),
        C("disposition", "disposition"),
        C("reason", "reason"),
        C("contact_point_id", "contact_point_id"),
        C("contact_point_kind", "contact_point__kind"),
        C("contact_point_masked", "contact_point__value", _contact_point_masked),
        C("user", "user__username"),
        C("source", "source"),
        C("corrects_id", "corrects_id"),
        C("consent_to_call_until", "consent_to_call_until"),
        C("decision_id", "decision_id"),
        C("decision_allowed", "decision__allowed"),
        C("notes", "notes"),
        C("message", "message"),
        C("attachment", "attachment"),
        C("content_removed_at", "redacted_at"),
    ),
)
DECISIONS = Table(
    "compliance_decisions.csv",
    ComplianceDecision,
    "created_at",
    (
        C("id", "id"),
        C("decided_at", "created_at"),
        C("contact_at", "at"),
        C("account_id", "account_id"),
        C("account_number", "account__number"),
        C("team", "account__team__code"),
        C("customer_id", "customer_id"),
        C("customer_ref", "customer__external_ref"),
        C("jurisdiction", "jurisdiction"),
        C("channel", "channel"),
        C("contact_point_id", "contact_point_id"),
        C("purpose", "purpose"),
        C("allowed", "allowed"),
        C("rules", "violations", _rules),
        C("violations", "violations"),
        C("next_allowed_at", "next_allowed_at"),
        C("checked_by", "checked_by__username"),
        C("message_sha256", "message_sha256"),
        C("message_removed_at", "redacted_at"),
    ),
    annotations={"message_sha256": KT("inputs__message_sha256")},
)
TABLES = (CONTACT_LOG, DECISIONS)


class ExportError(Exception):
    """The export cannot start (bad period, a directory that is not empty)."""


@dataclass
class ExportedFile:
    name: str
    rows: int
    bytes: int
    sha256: str


def evidence_export(
    *,
    date_from: date,
    date_to: date,
    out_dir: Path | str,
    team_codes: Iterable[str] = (),
    now: datetime | None = None,
) -> list[ExportedFile]:
    """Write the period's files, manifest and checksums into ``out_dir`` (new or empty)."""
    if date_to < date_from:
        raise ExportError(f"The period ends ({date_to}) before it starts ({date_from}).")
    out = Path(out_dir)
    if out.exists() and any(out.iterdir()):
        raise ExportError(f"{out} is not empty; export into a new directory.")
    out.mkdir(mode=0o700, parents=True, exist_ok=True)
    out.chmod(0o700)
    teams = sorted(set(team_codes))
    start = start_of_business_day(date_from)
    end = start_of_business_day(date_to + timedelta(days=1))
    exported = []
    # One snapshot for both files, when this is the outermost transaction (as in the command).
    snapshot = connection.vendor == "postgresql" and not connection.in_atomic_block
    with transaction.atomic():
        if snapshot:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        for table in TABLES:
            path = out / table.file_name
            rows = _csv_write(
                path, [c.name for c in table.columns], _rows(table, start, end, teams)
            )
            exported.append(ExportedFile(path.name, rows, path.stat().st_size, file_sha256(path)))
    manifest = {
        "format": FORMAT,
        "created_at": (now or timezone.now()).isoformat(),
        "period": {
            "from": date_from.isoformat(),
            "to": date_to.isoformat(),
            "time_zone": settings.BUSINESS_TIME_ZONE,
            "selected_by": {t.file_name: t.when for t in TABLES},
        },
        "teams": teams or "all",
        "files": [
            {**vars(f), "columns": [c.name for c in t.columns]}
            for f, t in zip(exported, TABLES, strict=True)
        ],
    }
    _private_write(out / MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    sums = [(f.sha256, f.name) for f in exported] + [(file_sha256(out / MANIFEST), MANIFEST)]
    _private_write(out / SUMS, "".join(f"{digest}  {name}\n" for digest, name in sums))
    return exported


def evidence_export_verify(out_dir: Path | str) -> list[str]:
    """What no longer matches in an export directory: each file against the manifest (SHA-256,
    size, rows) and every file against ``SHA256SUMS``. Empty when all is intact."""
    out = Path(out_dir)
    problems: list[str] = []
    try:
        manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        listed = manifest["files"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return [f"{MANIFEST}: unreadable ({exc})"]
    for entry in listed:
        path = out / entry["name"]
        if path.parent != out:
            problems.append(f"{MANIFEST}: {entry['name']!r} is not a file of this directory")
            continue
        if not path.is_file():
            problems.append(f"{entry['name']}: missing")
            continue
        if file_sha256(path) != entry["sha256"]:
            problems.append(f"{entry['name']}: SHA-256 differs from the manifest")
        size = path.stat().st_size
        if size != entry["bytes"]:
            problems.append(f"{entry['name']}: {size} bytes, manifest says {entry['bytes']}")
        rows = _csv_rows(path)
        if rows != entry["rows"]:
            problems.append(f"{entry['name']}: {rows} rows, manifest says {entry['rows']}")
    try:
        sums = (out / SUMS).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        return [*problems, f"{SUMS}: unreadable ({exc})"]
    named = set()
    for line in sums:
        digest, _, name = line.partition("  ")
        named.add(name)
        path = out / name
        if path.parent != out:
            problems.append(f"{SUMS}: {name!r} is not a file of this directory")
        elif not path.is_file():
            problems.append(f"{SUMS}: {name} missing")
        elif file_sha256(path) != digest:
            problems.append(f"{name}: SHA-256 differs from {SUMS}")
    for name in [MANIFEST, *(entry["name"] for entry in listed)]:
        if name not in named:
            problems.append(f"{SUMS}: {name} not listed")
    return problems


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


# --- Reading and writing -------------------------------------------------------------------
def _rows(table: Table, start: datetime, end: datetime, teams: list[str]) -> Iterator[list[str]]:
    """The table's rows in the period as CSV cells, streamed ``CHUNK`` at a time."""
    queryset = table.model._default_manager.filter(
        **{f"{table.when}__gte": start, f"{table.when}__lt": end}
    )
    if teams:
        queryset = queryset.filter(account__team__code__in=teams)
    sources = list(dict.fromkeys(c.source for c in table.columns))
    values = queryset.annotate(**table.annotations).order_by(table.when, "id").values(*sources)
    for row in values.iterator(chunk_size=CHUNK):
        yield [
            _text(column.render(row) if column.render else row[column.source])
            for column in table.columns
        ]


def _text(value: Any) -> str:
    """A cell: times in UTC (ISO 8601), JSON as JSON, booleans as true/false, None empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _private_write(path: Path, text: str) -> None:
    with _private_open(path) as handle:
        handle.write(text)


def _private_open(path: Path):
    """A new file readable and writable by its owner only (the export holds personal data)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    return open(descriptor, "w", encoding="utf-8", newline="")  # noqa: PTH123


def _csv_write(path: Path, header: list[str], rows: Iterable[list[str]]) -> int:
    count = 0
    with _private_open(path) as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in rows:
            writer.writerow(row)
            count += 1
    return count


def _csv_rows(path: Path) -> int:
    """Records after the header, as ``csv`` reads them (a value may hold a line break)."""
    with path.open(encoding="utf-8", newline="") as handle:
        return max(sum(1 for _ in csv.reader(handle)) - 1, 0)
