"""``import_accounts``: the entry point. It records the file's ``ImportBatch``, checks the header,
picks the engine for the database (COPY on PostgreSQL, the portable one elsewhere) and runs it
in one transaction."""

from __future__ import annotations

import getpass
import socket
import sys
from datetime import date
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone
from tqdm import tqdm

from accounts import delinquency
from accounts.models import ImportBatch, Team
from core.tasks import task_send
from feeds.account_import.engine import ImportResult, ProgressReader, Timer
from feeds.account_import.portable_engine import PortableEngine
from feeds.account_import.postgres_engine import PostgresEngine
from feeds.account_import.spec import Context, read_header

MAX_STORED_ERRORS = 1000
PHONE_ZONES_TASK = "workspace.tasks.phone_zones_resolve_task"


def import_accounts(
    path: Path | str,
    *,
    team_code: str | None = None,
    dry_run: bool = False,
    progress: bool = False,
    as_of: date | None = None,
    started_by: str | None = None,
) -> ImportResult:
    """Validate then apply one feed file (see ``feeds.account_import``); never raises on bad
    data. ``started_by`` names who ran it on the batch (default: the operating-system login
    and host running this process)."""
    path = Path(path)
    result = ImportResult(file_name=path.name, dry_run=dry_run)
    batch = (
        None
        if dry_run
        else ImportBatch.objects.create(
            file_name=path.name[:255], sha256="", started_by=(started_by or _who())[:150]
        )
    )
    result.batch_id = batch.pk if batch else None
    as_of = as_of or delinquency.business_date()
    with (
        path.open("rb") as raw,
        tqdm(
            total=path.stat().st_size,
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            desc=path.name,
            file=sys.stderr,
            disable=not progress,
            leave=False,
        ) as bar,
    ):
        reader = ProgressReader(raw, bar)
        try:
            _import(reader, path, team_code, result, batch, as_of)
        except Exception as exc:
            if batch is not None:
                _finish_batch(batch, result, reader.drain(), failure=repr(exc))
            raise
        if batch is not None and batch.status == ImportBatch.Status.RUNNING:
            _finish_batch(batch, result, reader.drain())  # rejected: the only write
    if batch is not None and batch.status == ImportBatch.Status.APPLIED:
        # The COPY engine stores new phone numbers without their time zones: resolve them now,
        # outside the import (if the broker is down, the hourly run does it).
        task_send(PHONE_ZONES_TASK)
    return result


def _who() -> str:
    try:
        login = getpass.getuser()
    except (KeyError, OSError):  # no login name (a container without a passwd entry)
        login = "?"
    return f"{login}@{socket.gethostname()}"


def _finish_batch(
    batch: ImportBatch, result: ImportResult, sha256: str, failure: str | None = None
) -> None:
    errors = list(result.errors)
    if failure:
        errors.append(f"import failed: {failure}")
    if len(errors) > MAX_STORED_ERRORS:
        errors = errors[:MAX_STORED_ERRORS] + [f"… and {len(errors) - MAX_STORED_ERRORS} more"]
    batch.sha256 = sha256
    batch.status = ImportBatch.Status.REJECTED if errors else ImportBatch.Status.APPLIED
    batch.finished_at = timezone.now()
    batch.rows = result.rows
    batch.errors = errors
    for name in ("customers_created", "customers_updated", "accounts_created", "accounts_updated"):
        setattr(batch, name, getattr(result, name))
    batch.save()


def _import(
    reader: ProgressReader,
    path: Path,
    team_code: str | None,
    result: ImportResult,
    batch: ImportBatch | None,
    as_of: date,
) -> None:
    timer = Timer(result.timings)
    if team_code and not Team.objects.filter(code=team_code, is_active=True).exists():
        result.errors.append(f"--team: {team_code!r} is not an active team code")
        return
    header, header_errors = read_header(path)
    if header_errors:
        result.errors.extend(str(e) for e in header_errors)
        return
    context = Context(teams={t.code: t for t in Team.objects.filter(is_active=True)})
    engine_class = PostgresEngine if connection.vendor == "postgresql" else PortableEngine
    engine = engine_class(reader, header, team_code, context, result, batch, as_of, timer)
    with transaction.atomic():
        engine.run()
        if result.errors or result.dry_run:
            transaction.set_rollback(True)
        elif batch is not None:  # "applied" commits with the data, or not at all
            _finish_batch(batch, result, reader.drain())
    timer.lap("commit")  # deferred foreign-key checks run here
