"""Which accounts a nightly step must look at: those whose inputs changed since it last ran.

A step's result for an account (its bucket, its risk score) is a function of rows in the
database and of the business date. It can differ from what is stored only if (a) one of those
rows was written since the step last ran, or (b) the date moved the account across one of the
rule's edges (a days-past-due limit, the end of a 90-day window). The step therefore evaluates
its rule for those accounts only, and for every account on PostgreSQL's say-so alone in these
cases (``Window.full``): the first run, a changed rule (``NightlyMark.rules``), a business date
earlier than the last or more than ``MAX_GAP_DAYS`` after it, the weekly backstop
(``SETTLE_NIGHTLY_FULL_WEEKDAY``, for rows deleted by hand, which leave no newer row behind), or
when asked.

(a) is read off PostgreSQL's own row versions: every row written by any path — the ORM, a bulk
``UPDATE``, a feed's ``COPY`` — carries the id of the transaction that wrote it (``xmin``). The
mark keeps the snapshot taken when the step last started (``pg_current_snapshot()``), and a row
is "written since" when its transaction is not visible in that snapshot: it began after, or
was still in flight then (so a transaction that commits while the step runs is caught by the
next run). A cheap test comes first (``age(xmin)`` no more than the transactions since the
snapshot's oldest), the exact one (``pg_visible_in_snapshot``) only for the rows it lets through.
The step's own transactions are kept too (``window_own_transaction``), so the next run does not
look again at the rows it wrote itself (its queue priorities, its risk scores) unless something
else wrote them since. (b) is one range of
dates per edge: an account crosses ``days_past_due > L`` between the last date ``p`` and today
``d`` exactly when ``p − L ≤ delinquent_since < d − L``.

SQLite (the demo) has no ``xmin``: every run there is full.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max, Min
from django.utils import timezone

from accounts.models import Account, NightlyMark

#: Past this many days since the last run, the date windows would be wide: look at every account.
MAX_GAP_DAYS = 31
#: When more than this share of the accounts were written since, look at every account.
MOSTLY_WRITTEN = 0.25
# age() wraps at 2^31; well before that, look at everything.
_MAX_SPAN = 1 << 30


@dataclass
class Window:
    """One run of one step: what it may skip."""

    step: str
    as_of: date
    rules: str
    snapshot: str | None  # taken now, for the mark
    previous: date | None = None  # the date it last ran for; None: look at every account
    since: str | None = None  # the mark's snapshot
    since_own: list[int] = field(default_factory=list)  # the marked run's own transactions
    own: list[int] = field(default_factory=list)  # this run's, for its mark

    @property
    def full(self) -> bool:
        return self.previous is None


def rules_fingerprint(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def _snapshot() -> str | None:
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_snapshot()::text")
        return cursor.fetchone()[0]


def window_open(step: str, *, as_of: date, rules: str, full: bool = False) -> Window:
    """The window for ``step`` on ``as_of``; call before the step reads anything."""
    snapshot = _snapshot()
    mark = NightlyMark.objects.filter(step=step).first()
    weekday = int(settings.SETTLE_NIGHTLY_FULL_WEEKDAY)
    if (
        full
        or snapshot is None
        or mark is None
        or mark.rules != rules
        or as_of < mark.as_of
        or (as_of - mark.as_of).days > MAX_GAP_DAYS
        or as_of.weekday() == weekday
    ):
        return Window(step=step, as_of=as_of, rules=rules, snapshot=snapshot)
    return Window(
        step=step,
        as_of=as_of,
        rules=rules,
        snapshot=snapshot,
        previous=mark.as_of,
        since=mark.snapshot,
        since_own=list(mark.own_transactions),
    )


def window_close(window: Window) -> None:
    """Record that ``window``'s step finished: the next run starts from its start."""
    if window.snapshot is None:
        return
    NightlyMark.objects.update_or_create(
        step=window.step,
        defaults={
            "as_of": window.as_of,
            "snapshot": window.snapshot,
            "own_transactions": window.own,
            "full": window.full,
            "rules": window.rules,
            "finished_at": timezone.now(),
        },
    )


def window_own_transaction(window: Window) -> None:
    """Call inside each transaction in which the step writes: the next run skips those rows."""
    if window.snapshot is None:
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_xact_id()::text::bigint")
        window.own.append(cursor.fetchone()[0])


def written_since(alias: str) -> str:
    """SQL: the row ``alias`` was written by a transaction the mark's snapshot does not see,
    other than the marked run's own (parameters ``span``, ``current``, ``snapshot`` and
    ``own``; ``current − age(xmin)`` is the row's transaction as a 64-bit id)."""
    xid = f"(%(current)s - age({alias}.xmin))"
    return (
        f"(age({alias}.xmin) <= %(span)s AND NOT pg_visible_in_snapshot("
        f"{xid}::text::xid8, %(snapshot)s::pg_snapshot) AND {xid} <> ALL(%(own)s::bigint[]))"
    )


def crossed(column: str, offsets: Iterable[int]) -> str:
    """SQL: the date ``column`` plus one of ``offsets`` days fell in [last date, today): i.e. a
    ``days since column > offset`` rule changed its answer between the two dates (parameters
    ``previous`` and ``as_of``)."""
    ranges = [
        f"({column} >= %(previous)s::date - {int(o)} AND {column} < %(as_of)s::date - {int(o)})"
        for o in sorted(set(offsets))
    ]
    return "(" + " OR ".join(ranges) + ")"


def account_ids_to_look_at(
    window: Window, selects: Sequence[str], params: dict
) -> list[int] | None:
    """The ids the ``selects`` name (each ``SELECT <account id> …``, using ``written_since``
    and ``crossed``), sorted; or None when every account must be looked at."""
    if window.full:
        return None
    with transaction.atomic(), connection.cursor() as cursor:
        # An xid of our own, so age() counts from it.
        cursor.execute(
            "SELECT pg_current_xact_id()::text::bigint, "
            "pg_snapshot_xmin(%s::pg_snapshot)::text::bigint",
            [window.since],
        )
        current, oldest = cursor.fetchone()
        if current - oldest > _MAX_SPAN:
            return None
        # After a feed or a repair that rewrote most accounts, reading every account in id
        # ranges is cheaper than listing them.
        cursor.execute(
            "SELECT count(*) FILTER (WHERE age(xmin) <= %s), count(*) FROM accounts_account",
            [current - oldest],
        )
        written, total = cursor.fetchone()
        if written > total * MOSTLY_WRITTEN:
            return None
        cursor.execute(
            " UNION ".join(f"({s})" for s in selects),
            {
                **params,
                "span": current - oldest,
                "current": current,
                "snapshot": window.since,
                "own": window.since_own,
                "previous": window.previous,
                "as_of": window.as_of,
            },
        )
        return sorted(row[0] for row in cursor.fetchall())


def account_id_ranges(chunk_size: int) -> Iterator[tuple[int, int]]:
    """Account ids in consecutive ranges of ``chunk_size`` (inclusive bounds), for set-based
    steps that work one bounded range, one transaction, at a time."""
    bounds = Account.objects.aggregate(lo=Min("id"), hi=Max("id"))
    if bounds["lo"] is None:
        return
    for lo in range(bounds["lo"], bounds["hi"] + 1, chunk_size):
        yield lo, lo + chunk_size - 1


def account_chunks(
    only: Sequence[int] | None, chunk_size: int
) -> Iterator[tuple[int, int, list[int] | None]]:
    """What a step works through, one transaction each: (lowest id, highest id, the ids) for
    slices of the sorted ``only``, or every account in id ranges (ids None) when ``only`` is
    None (``account_ids_to_look_at`` said to look at all)."""
    if only is None:
        for lo, hi in account_id_ranges(chunk_size):
            yield lo, hi, None
        return
    for start in range(0, len(only), chunk_size):
        part = list(only[start : start + chunk_size])
        yield part[0], part[-1], part
