"""What both engines share: the import's result, the file reader that hashes the file and moves
the progress bar, the phase timer, and the base class that assigns and scores after the write."""

from __future__ import annotations

import hashlib
import io
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any, BinaryIO

from django.db.models import Count, Q
from django.utils import timezone
from tqdm import tqdm

from accounts import services
from accounts.models import OPEN_STAGES, Account, ImportBatch, Team
from feeds.account_import.spec import Context, RowError
from workspace.nightly import queue_priority_expression
from workspace.risk_refresh import accounts_risk_refresh

RISK_CHUNK = 5000


@dataclass
class ImportResult:
    file_name: str
    dry_run: bool = False
    rows: int = 0
    customers_created: int = 0
    customers_updated: int = 0
    accounts_created: int = 0
    accounts_updated: int = 0
    accounts_charged_off: int = 0  # created past the write-off policy's days past due
    contact_points_created: int = 0
    errors: list[str] = field(default_factory=list)
    batch_id: int | None = None
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


class ProgressReader(io.RawIOBase):
    """The file as bytes, advancing a tqdm bar and a sha256 as COPY or csv reads it."""

    def __init__(self, raw: BinaryIO, bar: tqdm) -> None:
        super().__init__()
        self._raw = raw
        self._bar = bar
        self.digest = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = self._raw.readinto(buffer)
        if n:
            view = memoryview(buffer)[:n]
            self.digest.update(view)
            self._bar.update(n)
        return n

    def read(self, size: int = -1) -> bytes:  # what psycopg2's copy_expert calls
        data = self._raw.read(size)
        if data:
            self.digest.update(data)
            self._bar.update(len(data))
        return data

    def drain(self) -> str:
        """Hash what was not read (a file rejected early) and return the hex digest."""
        while self.read(1 << 20):
            pass
        return self.digest.hexdigest()


class Timer:
    """Seconds per phase, into ``ImportResult.timings`` (the benchmark prints them)."""

    def __init__(self, timings: dict[str, float]) -> None:
        self.timings = timings
        self.last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.timings[name] = round(now - self.last, 3)
        self.last = now


def auto_teams() -> dict[str, int]:
    """Per jurisdiction, the active team with the fewest open accounts (for new accounts)."""
    teams = (
        Team.objects.filter(is_active=True)
        .annotate(open_accounts=Count("accounts", filter=Q(accounts__stage__in=OPEN_STAGES)))
        .order_by("jurisdiction", "open_accounts", "id")
    )
    chosen: dict[str, int] = {}
    for team in teams:
        chosen.setdefault(team.jurisdiction, team.pk)
    return chosen


def chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Engine:
    """What an engine starts from; ``run()`` (in each engine) validates, then writes or rejects."""

    def __init__(
        self,
        reader: ProgressReader,
        header: list[str],
        team_code: str | None,
        context: Context,
        result: ImportResult,
        batch: ImportBatch | None,
        as_of: date,
        timer: Timer,
    ) -> None:
        self.reader = reader
        self.header = header
        self.team_code = team_code
        self.context = context
        self.result = result
        self.batch = batch
        self.as_of = as_of
        self.timer = timer
        self.now = timezone.now()
        self.auto_teams = auto_teams()

    @property
    def additional_data(self) -> dict[str, Any]:
        return {
            "import_batch": self.batch.pk if self.batch else None,
            "file": self.result.file_name,
        }

    def reject(self, errors: Iterable[RowError]) -> None:
        self.result.errors = [str(e) for e in sorted(errors)]

    def after_write(self, team_ids: set[int], risk_ids: list[int], created_ids: list[int]) -> None:
        """Assign new/moved accounts per team, then refresh risk in chunks, then store the
        queue priority of the accounts created (as the PostgreSQL engine does in its INSERT,
        so the first night after a load rewrites only what the date changes). A team with no
        unassigned open account is skipped (counting its specialists' loads reads every
        account they hold)."""
        waiting = Account.objects.filter(
            team_id__in=team_ids, assigned_to__isnull=True, stage__in=OPEN_STAGES
        ).values("team_id")
        for team in Team.objects.filter(pk__in=waiting):
            services.accounts_assign_unassigned(team=team)
        self.timer.lap("assign")
        fields = [
            "id",
            "customer_id",
            "currency",
            "delinquent_since",
            "last_payment_date",
            "principal_balance",
            "interest_balance",
            "fee_balance",
            "hardship_declared_at",
        ]
        for chunk in chunks(sorted(risk_ids), RISK_CHUNK):
            accounts = list(Account.objects.filter(id__in=chunk).only(*fields))
            accounts_risk_refresh(accounts=accounts, as_of=self.as_of, now=self.now)
        self.timer.lap("risk")
        for chunk in chunks(sorted(created_ids), RISK_CHUNK):
            Account.objects.filter(id__in=chunk).update(
                queue_priority=queue_priority_expression(self.as_of)
            )
        self.timer.lap("queue")
