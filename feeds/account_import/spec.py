# ruff: noqa: S608 -- SQL here is generated from the column spec and model metadata (identifiers
# only); every value from the file or the command line is a bound parameter or stays in the
# staging table.
"""Bank-feed import: upsert customers and accounts from a CSV file (``manage.py import_accounts``).

The file is UTF-8 CSV with a header row; columns may come in any order. Every value is trimmed of
spaces; an empty cell is "no value".

Required columns (must be in the header):

============================  =================================================================
``external_ref``              The bank's customer key (≤ 64 chars). Rows with the same
                              ``external_ref`` are one customer and must agree on its data.
``name``                      Customer name (≤ 200 chars).
``national_id``               National ID (≤ 40 chars; may be empty). Masked in the audit log.
``jurisdiction``              ``US`` or ``CN``; picks the rule set and the phone default region.
``time_zone``                 IANA time zone known to zoneinfo, e.g. ``America/New_York``.
``language``                  ``en`` or ``zh-hans``.
``phone``                     Mobile phone, national or international; stored in E.164 as a
                              phone contact point (label mobile). May be empty.
``email``                     E-mail (basic syntax, stored lower-case) as an email contact point.
                              May be empty.
``account_number``            The account key (≤ 34 chars), unique in the file unless the rows
                              are identical.
``currency``                  ISO 4217 code, three capital letters (``USD``, ``CNY``).
``principal_balance``         Money: non-negative, at most 2 decimals, no thousands separators.
``interest_balance``          Money.
``fee_balance``               Money.
``past_due_amount``           Money.
``minimum_due``               Money.
``delinquent_since``          ``YYYY-MM-DD``: due date of the oldest unpaid amount; empty means
                              current (0 days past due).
============================  =================================================================

Optional columns (an absent column or an empty cell leaves the stored value unchanged; a new
record gets the model default):

==================================  ===========================================================
``product``                         ``credit_card`` (default), ``personal_loan``, ``auto_loan``,
                                    ``consumer_installment``.
``credit_limit``                    Money.
``team``                            Team code. Else ``--team``; else, for a new account, the
                                    active team of the customer's jurisdiction with the fewest
                                    open accounts. An explicit team must be active and serve the
                                    customer's jurisdiction. Moving an open account to another
                                    team gives it to that team's least-loaded specialist.
``date_of_birth``                   ``YYYY-MM-DD``.
``statute_of_limitations_date``     ``YYYY-MM-DD``.
``last_payment_date``               ``YYYY-MM-DD``.
``last_payment_amount``             Money.
==================================  ===========================================================

Behaviour. The whole file is validated first; if any row is bad, every bad row is reported as
``line N: field: message`` (line 1 is the header; N counts CSV records, so a quoted value with a
line break does not shift the numbers) and nothing is changed: the only write for a rejected file
is its ``ImportBatch`` row (status ``rejected``, with the errors), so a refused feed stays
traceable. Otherwise everything happens in one transaction: customers are upserted by
``external_ref``, accounts by account number (an account number that belongs to another
customer is an error), phone and email become contact points when the customer does not have them
yet, a new account gets its first bucket stay at the business date and is assigned to the
least-loaded specialist of its team, and risk tiers are recomputed for new and changed accounts.
Every created or changed customer and account gets one django-auditlog ``LogEntry`` (actor
empty, ``additional_data`` naming the import batch and file); a row equal to what is stored
writes nothing, so importing the same file twice changes nothing the second time. ``--dry-run``
validates and counts without writing anything (not even the batch row).

Two paths share the column spec below (name, required, checks, conversion). On PostgreSQL the
file is streamed with COPY into a temporary staging table and everything after that is set-based
SQL generated from the spec: validation (one scan for the per-cell rules plus one query per
cross-row rule), the upserts (``INSERT … ON CONFLICT … DO UPDATE … WHERE`` values differ), contact
points, first bucket stays (``delinquency.annotate``, i.e. ``bucket_case``), audit rows
(``INSERT … SELECT`` building ``changes`` from the staged old and new values), the specialist
assignment (the same greedy least-loaded picks as ``services.accounts_assign_unassigned``,
computed in SQL and written with the insert) and the risk tier (``risk_sql``, a port of
``accounts.risk.score`` over ``services.risk_inputs``, also written with the insert;
test_import checks it against ``services.accounts_risk_refresh``). Elsewhere (SQLite, the demo)
rows are parsed in Python with the same checks, written with bulk queries, and assignment and
risk go through ``services.accounts_assign_unassigned`` and ``services.accounts_risk_refresh``.

Differences on PostgreSQL: phones are checked with a cheap SQL pattern (NANP numbers for US,
mobile/landline shapes for CN, generic E.164 otherwise) instead of ``phonenumbers`` — parsing a
million numbers in Python costs about a minute — so an odd number that ``phonenumbers`` rejects
(e.g. a 555 area code) can pass there; the contact point's region is the jurisdiction when the
number's country code matches it, else empty. A row with the wrong number of fields or bad UTF-8
stops COPY, so only the first such row is reported, with PostgreSQL's physical line number.
Contact points created by the import are not written to the audit log (only customers and
accounts are).
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

from auditlog.diff import mask_str
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import DataError, connection, models, transaction
from django.db.models import Count, F, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone
from tqdm import tqdm

from accounts import delinquency, masking, risk, services
from accounts.models import (
    OPEN_STAGES,
    Account,
    BucketHistory,
    Customer,
    ImportBatch,
    Jurisdiction,
    Language,
    Product,
    Team,
)
from accounts.validators import validate_time_zone
from contacts.models import ContactPoint
from contacts.services import normalize_phone

Row = Mapping[str, str | None]
RISK_CHUNK = 5000
MAX_STORED_ERRORS = 1000
_TWO_PLACES = Decimal("0.01")


# --- The column spec -----------------------------------------------------------------------
@dataclass(frozen=True)
class Context:
    """What the checks need besides the row: active teams by code (Python path)."""

    teams: Mapping[str, Team] = field(default_factory=dict)


@dataclass(frozen=True)
class Check:
    """One rule of a column: a Python predicate and the same rule as SQL (true = bad)."""

    message: str
    python: Callable[[str, Row, Context], bool]
    sql: Callable[[str, SqlCols], str]


@dataclass(frozen=True)
class Column:
    name: str
    required: bool  # must be in the header
    blank: bool  # may be empty
    checks: tuple[Check, ...]
    to_python: Callable[[str, Row], Any]  # only called on a value that passed the checks
    to_sql: Callable[[str, SqlCols], str]  # typed SQL for a valid (or NULL) value


class SqlCols:
    """SQL for the cells of staging row ``r`` (view ``imp_rows``): trimmed, NULL when empty."""

    def __init__(self, header: Iterable[str]) -> None:
        self.header = list(header)

    def __call__(self, name: str) -> str:
        if name == "team":  # the row's team, else --team
            own = 'r."team"' if "team" in self.header else "NULL::text"
            return f"COALESCE({own}, %(team_opt)s)"
        return f'r."{name}"' if name in self.header else "NULL::text"

    def view_sql(self) -> str:
        """The trimmed cells, computed once per row (OFFSET 0 keeps the subquery unflattened,
        so rules that test a cell several times do not trim it again)."""
        cells = ", ".join(
            f"NULLIF(btrim({_staging_column(n)}, chr(32) || chr(9)), '') AS \"{n}\""
            for n in self.header
        )
        return f"CREATE TEMP VIEW imp_rows AS SELECT line, {cells} FROM imp_raw OFFSET 0"


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _pattern_check(message: str, pattern: str, sql: Callable[[str], str] | None = None) -> Check:
    """A regular-expression rule; ``sql`` may give a cheaper equivalent for PostgreSQL, where a
    regex costs ~1.5 µs a row (test_import checks the two agree)."""
    compiled = re.compile(pattern)
    return Check(
        message,
        lambda v, row, ctx: compiled.fullmatch(v) is None,
        (lambda v, cols: sql(v))
        if sql
        else (lambda v, cols: f"{v} !~ {_lit('^(?:' + pattern + ')$')}"),
    )


DIGITS = "0123456789"


def _max_length(limit: int) -> Check:
    return Check(
        f"is longer than {limit} characters",
        lambda v, row, ctx: len(v) > limit,
        lambda v, cols: f"length({v}) > {limit}",
    )


def _choice(values: Iterable[str]) -> Check:
    allowed = tuple(values)
    return Check(
        "must be one of " + ", ".join(allowed),
        lambda v, row, ctx: v not in allowed,
        lambda v, cols: f"{v} NOT IN ({', '.join(_lit(a) for a in allowed)})",
    )


def _identity(value: str, row: Row) -> str:
    return value


def _same_sql(v: str, cols: SqlCols) -> str:
    return v


def text(name: str, max_length: int, *, required: bool = True, blank: bool = False) -> Column:
    return Column(name, required, blank, (_max_length(max_length),), _identity, _same_sql)


def choice(name: str, values: Iterable[str], *, required: bool = True) -> Column:
    return Column(name, required, not required, (_choice(values),), _identity, _same_sql)


MONEY_PATTERN = r"[0-9]{1,12}(\.[0-9]{1,2})?"  # numeric(14, 2), never negative


def _bad_money_sql(v: str) -> str:
    return (
        f"CASE translate({v}, '{DIGITS}', '') WHEN '' THEN length({v}) > 12 "
        f"WHEN '.' THEN NOT (strpos({v}, '.') BETWEEN 2 AND 13 "
        f"AND length({v}) - strpos({v}, '.') BETWEEN 1 AND 2) ELSE true END"
    )


def money(name: str, *, required: bool = True) -> Column:
    return Column(
        name,
        required,
        not required,
        (
            _pattern_check(
                "must be a non-negative amount with at most 2 decimal places",
                MONEY_PATTERN,
                _bad_money_sql,
            ),
        ),
        lambda v, row: Decimal(v).quantize(_TWO_PLACES),
        lambda v, cols: f"{v}::numeric(14, 2)",
    )


DATE_PATTERN = r"[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
DATE_MESSAGE = "must be a date as YYYY-MM-DD"


def _bad_date_py(value: str, row: Row, ctx: Context) -> bool:
    if re.fullmatch(DATE_PATTERN, value) is None:
        return True
    try:
        date.fromisoformat(value)
    except ValueError:
        return True
    return False


def _bad_date_sql(v: str, cols: SqlCols) -> str:
    # The shape first (CASE fixes the order), then the calendar: no cast that could raise.
    y, m, d = f"substr({v}, 1, 4)::int", f"substr({v}, 6, 2)::int", f"substr({v}, 9, 2)::int"
    leap = f"((mod({y}, 4) = 0 AND mod({y}, 100) <> 0) OR mod({y}, 400) = 0)"
    days = (
        f"CASE WHEN {m} IN (4, 6, 9, 11) THEN 30 WHEN {m} = 2 THEN "
        f"CASE WHEN {leap} THEN 29 ELSE 28 END ELSE 31 END"
    )
    return (
        f"CASE WHEN length({v}) <> 10 OR translate({v}, '{DIGITS}', '') <> '--' "
        f"OR substr({v}, 5, 1) <> '-' OR substr({v}, 8, 1) <> '-' THEN true "
        f"ELSE NOT ({y} >= 1 AND {m} BETWEEN 1 AND 12 AND {d} BETWEEN 1 AND {days}) END"
    )


def a_date(name: str, *, required: bool = False, blank: bool = True) -> Column:
    return Column(
        name,
        required,
        blank,
        (Check(DATE_MESSAGE, _bad_date_py, _bad_date_sql),),
        lambda v, row: date.fromisoformat(v),
        lambda v, cols: f"{v}::date",
    )


@functools.lru_cache(maxsize=1024)
def known_time_zone(value: str) -> bool:
    try:
        validate_time_zone(value)
    except (ValidationError, OSError):  # ZoneInfo("America") raises IsADirectoryError
        return False
    return True


TIME_ZONE = Column(
    "time_zone",
    True,
    False,
    (
        _max_length(64),
        Check(
            "is not an IANA time zone",
            lambda v, row, ctx: not known_time_zone(v),
            # zoneinfo decides: the few distinct values are checked in Python first.
            lambda v, cols: f"{v} = ANY(%(bad_time_zones)s::text[])",
        ),
    ),
    _identity,
    _same_sql,
)

CURRENCY = Column(
    "currency",
    True,
    False,
    (
        _pattern_check(
            "must be a 3-letter ISO 4217 code in capitals",
            "[A-Z]{3}",
            lambda v: (
                f"NOT (length({v}) = 3 AND translate({v}, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', '') = '')"
            ),
        ),
    ),
    _identity,
    _same_sql,
)

PHONE_JURISDICTIONS = ("US", "CN")


@functools.lru_cache(maxsize=65536)
def parse_phone(raw: str, jurisdiction: str) -> tuple[str, str] | None:
    """E.164 and region of ``raw`` with the jurisdiction as default region, or None."""
    try:
        return normalize_phone(raw, default_region=jurisdiction)
    except ValidationError:
        return None


def _phone_sql(v: str, cols: SqlCols) -> str:
    """E.164 by pattern (see the module docstring), or NULL. The common shapes (a national or
    +1/+86 number in its own jurisdiction) come first: one regex per row."""
    jur = cols("jurisdiction")
    d = f"translate({v}, ' ().-', '')"
    return (
        f"CASE WHEN {jur} = 'US' AND {d} ~ '^(?:\\+?1)?[2-9][0-9]{{2}}[2-9][0-9]{{6}}$' "
        f"THEN '+1' || right({d}, 10) "
        f"WHEN {jur} = 'CN' AND {d} ~ '^(?:\\+?86)?1[3-9][0-9]{{9}}$' "
        f"THEN '+86' || right({d}, 11) "
        f"WHEN left({d}, 2) = '+1' THEN CASE WHEN {d} ~ "
        f"'^\\+1[2-9][0-9]{{2}}[2-9][0-9]{{6}}$' THEN {d} END "
        f"WHEN left({d}, 3) = '+86' THEN CASE WHEN {d} ~ "
        f"'^\\+86(?:1[3-9][0-9]{{9}}|[1-9][0-9]{{8,10}})$' THEN {d} END "
        f"WHEN left({d}, 1) = '+' THEN CASE WHEN {d} ~ '^\\+[2-9][0-9]{{6,14}}$' THEN {d} END "
        f"WHEN {jur} = 'CN' AND {d} ~ '^0[1-9][0-9]{{8,10}}$' THEN '+86' || substr({d}, 2) END"
    )


def phone_region_sql(e164: str, jurisdiction: str) -> str:
    return (
        f"CASE WHEN {jurisdiction} = 'US' AND left({e164}, 2) = '+1' THEN 'US' "
        f"WHEN {jurisdiction} = 'CN' AND left({e164}, 3) = '+86' THEN 'CN' ELSE '' END"
    )


PHONE = Column(
    "phone",
    True,
    True,
    (
        _max_length(40),
        Check(
            "is not a valid phone number",
            # Checked only when the jurisdiction is valid (it is the default region).
            lambda v, row, ctx: (
                row.get("jurisdiction") in PHONE_JURISDICTIONS
                and parse_phone(v, row["jurisdiction"] or "") is None
            ),
            lambda v, cols: (
                f"({cols('jurisdiction')} IN ('US', 'CN') AND ({_phone_sql(v, cols)}) IS NULL)"
            ),
        ),
    ),
    lambda v, row: parse_phone(v, row["jurisdiction"] or ""),
    _phone_sql,
)


def _bad_email_sql(v: str) -> str:
    """One @ with something before it, no blanks, a dot inside the domain."""
    domain = f"split_part({v}, '@', 2)"
    return (
        f"NOT (length({v}) - length(replace({v}, '@', '')) = 1 AND strpos({v}, '@') > 1 "
        f"AND strpos({v}, ' ') = 0 AND strpos({v}, chr(9)) = 0 AND strpos(substr({domain}, "
        f"2, greatest(length({domain}) - 2, 0)), '.') > 0)"
    )


EMAIL = Column(
    "email",
    True,
    True,
    (
        _max_length(254),
        _pattern_check(
            "is not a valid email address", r"[^@ \t]+@[^@ \t]+\.[^@ \t]+", _bad_email_sql
        ),
    ),
    lambda v, row: v.lower(),
    lambda v, cols: f"lower({v})",
)


def _bad_team_py(value: str, row: Row, ctx: Context) -> bool:
    return value not in ctx.teams


def _other_jurisdiction_py(value: str, row: Row, ctx: Context) -> bool:
    team = ctx.teams.get(value)
    jurisdiction = row.get("jurisdiction")
    return (
        team is not None
        and jurisdiction in PHONE_JURISDICTIONS
        and team.jurisdiction != jurisdiction
    )


TEAM = Column(
    "team",
    False,
    True,
    (
        Check("is not an active team code", _bad_team_py, lambda v, cols: "t.id IS NULL"),
        Check(
            "team serves another jurisdiction",
            _other_jurisdiction_py,
            lambda v, cols: (
                f"(t.jurisdiction <> {cols('jurisdiction')} "
                f"AND {cols('jurisdiction')} IN ('US', 'CN'))"
            ),
        ),
    ),
    _identity,
    _same_sql,
)

COLUMNS: tuple[Column, ...] = (
    text("external_ref", 64),
    text("name", 200),
    text("national_id", 40, blank=True),
    choice("jurisdiction", Jurisdiction.values),
    TIME_ZONE,
    choice("language", Language.values),
    PHONE,
    EMAIL,
    text("account_number", 34),
    CURRENCY,
    money("principal_balance"),
    money("interest_balance"),
    money("fee_balance"),
    money("past_due_amount"),
    money("minimum_due"),
    a_date("delinquent_since", required=True),
    choice("product", Product.values, required=False),
    money("credit_limit", required=False),
    TEAM,
    a_date("date_of_birth"),
    a_date("statute_of_limitations_date"),
    a_date("last_payment_date"),
    money("last_payment_amount", required=False),
)
BY_NAME = {c.name: c for c in COLUMNS}
POSITION = {c.name: i for i, c in enumerate(COLUMNS)}
REQUIRED_MESSAGE = "is required"

# Raw columns that make up a customer / an account: rows repeating a key must agree on them.
CUSTOMER_COLUMNS = ("name", "national_id", "jurisdiction", "time_zone", "language", "date_of_birth")
ACCOUNT_COLUMNS = (
    "external_ref",
    "product",
    "currency",
    "credit_limit",
    "principal_balance",
    "interest_balance",
    "fee_balance",
    "past_due_amount",
    "minimum_due",
    "delinquent_since",
    "last_payment_date",
    "last_payment_amount",
    "statute_of_limitations_date",
    "team",
)


@dataclass(frozen=True)
class Managed:
    """A model field the import writes, from which column; ``keep``: empty keeps the old value."""

    field: str
    column: str
    keep: bool = False
    blank_value: str | None = None  # stored instead of NULL when empty (char fields)


CUSTOMER_FIELDS = (
    Managed("external_ref", "external_ref"),
    Managed("name", "name"),
    Managed("national_id", "national_id", blank_value=""),
    Managed("date_of_birth", "date_of_birth", keep=True),
    Managed("time_zone", "time_zone"),
    Managed("jurisdiction", "jurisdiction"),
    Managed("language", "language"),
)
ACCOUNT_FIELDS = (  # plus customer and team, resolved separately
    Managed("number", "account_number"),
    Managed("product", "product", keep=True),
    Managed("currency", "currency"),
    Managed("credit_limit", "credit_limit", keep=True),
    Managed("principal_balance", "principal_balance"),
    Managed("interest_balance", "interest_balance"),
    Managed("fee_balance", "fee_balance"),
    Managed("past_due_amount", "past_due_amount"),
    Managed("minimum_due", "minimum_due"),
    Managed("delinquent_since", "delinquent_since"),
    Managed("last_payment_date", "last_payment_date", keep=True),
    Managed("last_payment_amount", "last_payment_amount", keep=True),
    Managed("statute_of_limitations_date", "statute_of_limitations_date", keep=True),
)
AUDIT_MASKED = {"national_id"}  # as registered with auditlog (mask_fields)


def _staging_column(name: str) -> str:
    return f"c_{name}"


# --- Messages shared by both paths ---------------------------------------------------------
def msg_duplicate_account(first_line: int) -> str:
    return f"same account number as line {first_line} with different values"


def msg_duplicate_customer(first_line: int) -> str:
    return f"same external_ref as line {first_line} with different customer data"


def msg_other_customer(external_ref: str) -> str:
    return f"account already belongs to customer {external_ref}"


def msg_no_team(jurisdiction: str) -> str:
    return f"no active team for jurisdiction {jurisdiction}; give a team"


@dataclass(order=True, frozen=True)
class RowError:
    line: int
    position: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.message}"


@dataclass
class ImportResult:
    file_name: str
    dry_run: bool = False
    rows: int = 0
    customers_created: int = 0
    customers_updated: int = 0
    accounts_created: int = 0
    accounts_updated: int = 0
    contact_points_created: int = 0
    errors: list[str] = field(default_factory=list)
    batch_id: int | None = None
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


# --- Entry point ---------------------------------------------------------------------------
class _ProgressReader(io.RawIOBase):
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


class _Timer:
    def __init__(self, timings: dict[str, float]) -> None:
        self.timings = timings
        self.last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.timings[name] = round(now - self.last, 3)
        self.last = now


def import_accounts(
    path: Path | str,
    *,
    team_code: str | None = None,
    dry_run: bool = False,
    progress: bool = False,
    as_of: date | None = None,
) -> ImportResult:
    """Validate then apply one feed file; see the module docstring. Never raises on bad data."""
    path = Path(path)
    result = ImportResult(file_name=path.name, dry_run=dry_run)
    batch = None if dry_run else ImportBatch.objects.create(file_name=path.name[:255], sha256="")
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
        reader = _ProgressReader(raw, bar)
        try:
            _import(reader, path, team_code, result, batch, as_of)
        except Exception as exc:
            if batch is not None:
                _finish_batch(batch, result, reader.drain(), failure=repr(exc))
            raise
        if batch is not None and batch.status == ImportBatch.Status.RUNNING:
            _finish_batch(batch, result, reader.drain())  # rejected: the only write
    return result


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
    reader: _ProgressReader,
    path: Path,
    team_code: str | None,
    result: ImportResult,
    batch: ImportBatch | None,
    as_of: date,
) -> None:
    timer = _Timer(result.timings)
    if team_code and not Team.objects.filter(code=team_code, is_active=True).exists():
        result.errors.append(f"--team: {team_code!r} is not an active team code")
        return
    header, header_errors = read_header(path)
    if header_errors:
        result.errors.extend(str(e) for e in header_errors)
        return
    context = Context(teams={t.code: t for t in Team.objects.filter(is_active=True)})
    importer_class = _PostgresImport if connection.vendor == "postgresql" else _PythonImport
    importer = importer_class(reader, header, team_code, context, result, batch, as_of, timer)
    with transaction.atomic():
        importer.run()
        if result.errors or result.dry_run:
            transaction.set_rollback(True)
        elif batch is not None:  # "applied" commits with the data, or not at all
            _finish_batch(batch, result, reader.drain())
    timer.lap("commit")  # deferred foreign-key checks run here


def read_header(path: Path) -> tuple[list[str], list[RowError]]:
    """Column names in file order, and what is wrong with them (reported once, as line 1)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        try:
            names = next(csv.reader(handle), [])
        except (UnicodeDecodeError, csv.Error) as exc:
            return [], [RowError(1, -1, "header", f"unreadable: {exc}")]
    header = [n.strip().lower() for n in names]
    errors = []
    if not any(header):
        return [], [RowError(1, -1, "header", "the file has no header row")]
    seen: set[str] = set()
    for name in header:
        if name not in BY_NAME:
            errors.append(RowError(1, len(COLUMNS), name or "(empty)", "unknown column"))
        elif name in seen:
            errors.append(RowError(1, POSITION[name], name, "duplicate column"))
        seen.add(name)
    for column in COLUMNS:
        if column.required and column.name not in seen:
            errors.append(
                RowError(1, POSITION[column.name], column.name, "missing required column")
            )
    return header, sorted(errors)


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


def audit_text(value: Any) -> Any:
    """A value as auditlog's diff writes it (``smart_str``; foreign keys stay ids)."""
    if value is None:
        return "None"
    if isinstance(value, Decimal):
        return str(value.quantize(_TWO_PLACES))
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class _Base:
    def __init__(
        self,
        reader: _ProgressReader,
        header: list[str],
        team_code: str | None,
        context: Context,
        result: ImportResult,
        batch: ImportBatch | None,
        as_of: date,
        timer: _Timer,
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

    def after_write(self, team_ids: set[int], risk_ids: list[int]) -> None:
        """Assign new/moved accounts per team, then refresh risk in chunks (shared)."""
        for team in Team.objects.filter(pk__in=team_ids):
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
        for chunk in _chunks(sorted(risk_ids), RISK_CHUNK):
            accounts = list(Account.objects.filter(id__in=chunk).only(*fields))
            services.accounts_risk_refresh(accounts=accounts, as_of=self.as_of, now=self.now)
        self.timer.lap("risk")


# --- Python path (SQLite) ------------------------------------------------------------------
class _PythonImport(_Base):
    """csv + the spec's Python checks, then bulk writes (the demo and test database)."""

    def run(self) -> None:
        rows, errors = self.parse()
        self.timer.lap("parse")
        existing_accounts = self.existing_accounts({r.values["account_number"] for r in rows})
        errors += self.cross_row_errors(rows, existing_accounts)
        self.timer.lap("validate")
        if errors:
            self.reject(errors)
            return
        self.apply(rows, existing_accounts)

    def parse(self) -> tuple[list[_Parsed], list[RowError]]:
        text_stream = io.TextIOWrapper(
            io.BufferedReader(self.reader), encoding="utf-8-sig", newline=""
        )
        records = csv.reader(text_stream)
        rows: list[_Parsed] = []
        errors: list[RowError] = []
        line = 1
        try:
            next(records, None)
            for line, record in enumerate(records, start=2):
                self.result.rows += 1
                if len(record) != len(self.header):
                    errors.append(
                        RowError(
                            line,
                            -1,
                            "row",
                            f"expected {len(self.header)} fields, found {len(record)}",
                        )
                    )
                    continue
                raw: dict[str, str | None] = {
                    name: (value.strip(" \t") or None)
                    for name, value in zip(self.header, record, strict=True)
                }
                raw["team"] = raw.get("team") or self.team_code
                rows.append(self.parse_row(line, raw, errors))
        except UnicodeDecodeError:
            errors.append(RowError(line + 1, -1, "row", "the file is not UTF-8 text"))
        except csv.Error as exc:
            errors.append(RowError(line + 1, -1, "row", str(exc)))
        return rows, errors

    def parse_row(self, line: int, raw: Row, errors: list[RowError]) -> _Parsed:
        """Check and convert one row; a bad row is kept (with ``ok`` False) because the
        cross-row rules still need its raw keys."""
        values: dict[str, Any] = {}
        ok = True
        for position, column in enumerate(COLUMNS):
            value = raw.get(column.name)
            if value is None:
                if not column.blank:
                    errors.append(RowError(line, position, column.name, REQUIRED_MESSAGE))
                    ok = False
                values[column.name] = None
                continue
            bad = next((c for c in column.checks if c.python(value, raw, self.context)), None)
            if bad is not None:
                errors.append(RowError(line, position, column.name, bad.message))
                ok = False
                continue
            values[column.name] = column.to_python(value, raw)
        return _Parsed(line, raw, values, ok)

    def existing_accounts(self, numbers: set[str | None]) -> dict[str, Account]:
        wanted = sorted(n for n in numbers if n)
        found: dict[str, Account] = {}
        for chunk in _chunks(wanted, 900):
            for account in Account.objects.filter(number__in=chunk).select_related("customer"):
                found[account.number] = account
        return found

    def cross_row_errors(
        self, rows: list[_Parsed], existing: Mapping[str, Account]
    ) -> list[RowError]:
        errors: list[RowError] = []
        first_account: dict[str, _Parsed] = {}
        first_customer: dict[str, _Parsed] = {}
        for row in rows:
            number, ref = row.raw.get("account_number"), row.raw.get("external_ref")
            if number:
                first = first_account.setdefault(number, row)
                if first is not row and first.signature(ACCOUNT_COLUMNS) != row.signature(
                    ACCOUNT_COLUMNS
                ):
                    errors.append(
                        RowError(
                            row.line,
                            POSITION["account_number"],
                            "account_number",
                            msg_duplicate_account(first.line),
                        )
                    )
            if ref:
                first = first_customer.setdefault(ref, row)
                if first is not row and first.signature(CUSTOMER_COLUMNS) != row.signature(
                    CUSTOMER_COLUMNS
                ):
                    errors.append(
                        RowError(
                            row.line,
                            POSITION["external_ref"],
                            "external_ref",
                            msg_duplicate_customer(first.line),
                        )
                    )
            account = existing.get(number or "")
            if account is not None and ref and account.customer.external_ref != ref:
                errors.append(
                    RowError(
                        row.line,
                        POSITION["account_number"],
                        "account_number",
                        msg_other_customer(account.customer.external_ref),
                    )
                )
            jurisdiction = row.raw.get("jurisdiction")
            if (
                account is None
                and number
                and not row.raw.get("team")
                and jurisdiction in Jurisdiction.values
                and jurisdiction not in self.auto_teams
            ):
                errors.append(
                    RowError(row.line, POSITION["team"], "team", msg_no_team(jurisdiction))
                )
        return errors

    def apply(self, rows: list[_Parsed], existing_accounts: dict[str, Account]) -> None:
        customers = self.plan_customers(rows)
        accounts = self.plan_accounts(rows, existing_accounts)
        new_customers = [c for c, _ in customers if c._import_created]
        new_accounts = [a for a, _ in accounts if a._import_created]
        result = self.result
        result.customers_created = len(new_customers)
        result.customers_updated = len(customers) - len(new_customers)
        result.accounts_created = len(new_accounts)
        result.accounts_updated = len(accounts) - len(new_accounts)
        self.timer.lap("plan")
        if result.dry_run:
            return
        Customer.objects.bulk_create(new_customers, batch_size=500)
        changed = [c for c, _ in customers if not c._import_created]
        if changed:
            fields = [m.field for m in CUSTOMER_FIELDS] + ["updated_at"]
            Customer.objects.bulk_update(changed, fields, batch_size=500)
        by_ref = self.customers_by_ref
        for account, _ in accounts:
            account.customer_id = by_ref[account._import_ref].pk
        Account.objects.bulk_create(new_accounts, batch_size=500)
        moved = [a for a, _ in accounts if not a._import_created]
        if moved:
            fields = [m.field for m in ACCOUNT_FIELDS] + ["team", "assigned_to", "updated_at"]
            Account.objects.bulk_update(moved, fields, batch_size=500)
        self.timer.lap("upsert")
        contact_customers = self.create_contact_points(rows, by_ref)
        self.open_first_stays(new_accounts)
        self.write_audit(customers, accounts)
        self.timer.lap("history_contacts_audit")
        team_ids = {a.team_id for a, changes in accounts if a._import_created or "team" in changes}
        risk_ids = {a.pk for a, _ in accounts}
        for chunk in _chunks(sorted(contact_customers), 900):
            risk_ids.update(
                Account.objects.filter(customer_id__in=chunk).values_list("id", flat=True)
            )
        self.after_write(team_ids, list(risk_ids))

    customers_by_ref: dict[str, Customer]

    def plan_customers(self, rows: list[_Parsed]) -> list[tuple[Customer, dict[str, list]]]:
        """(customer, audit changes) for each new or changed customer; attributes already set."""
        firsts: dict[str, _Parsed] = {}
        for row in rows:
            firsts.setdefault(row.values["external_ref"], row)
        existing: dict[str, Customer] = {}
        for chunk in _chunks(sorted(firsts), 900):
            existing.update(
                (c.external_ref, c) for c in Customer.objects.filter(external_ref__in=chunk)
            )
        self.customers_by_ref = {}
        planned = []
        for ref, row in firsts.items():
            customer = existing.get(ref) or Customer()
            changes = _assign(customer, CUSTOMER_FIELDS, row.values, self.now)
            self.customers_by_ref[ref] = customer
            if customer.pk is None or changes:
                planned.append((customer, changes))
        return planned

    def plan_accounts(
        self, rows: list[_Parsed], existing: Mapping[str, Account]
    ) -> list[tuple[Account, dict[str, list]]]:
        firsts: dict[str, _Parsed] = {}
        for row in rows:
            firsts.setdefault(row.values["account_number"], row)
        planned = []
        for number, row in firsts.items():
            account = existing.get(number) or Account()
            changes = _assign(account, ACCOUNT_FIELDS, row.values, self.now)
            code = row.values.get("team")
            if code:
                team_id = self.context.teams[code].pk
            elif account.pk is not None:
                team_id = account.team_id
            else:
                team_id = self.auto_teams[row.values["jurisdiction"]]
            if account.team_id != team_id:
                changes["team"] = [account.team_id if account.pk else None, team_id]
                if account.pk is not None and account.assigned_to_id is not None:
                    changes["assigned_to"] = [account.assigned_to_id, None]
                account.team_id = team_id
                account.assigned_to_id = None
            account._import_ref = row.values["external_ref"]
            if account.pk is None:
                changes = {"customer": [None, None], **changes}  # id known after insert
            if account.pk is None or changes:
                planned.append((account, changes))
        return planned

    def create_contact_points(self, rows: list[_Parsed], by_ref: Mapping[str, Customer]) -> set:
        wanted: dict[tuple[int, str, str], str] = {}
        for row in rows:
            customer_id = by_ref[row.values["external_ref"]].pk
            phone = row.values.get("phone")
            if phone:
                wanted.setdefault((customer_id, ContactPoint.Kind.PHONE, phone[0]), phone[1])
            email = row.values.get("email")
            if email:
                wanted.setdefault((customer_id, ContactPoint.Kind.EMAIL, email), "")
        customer_ids = sorted({key[0] for key in wanted})
        have: set[tuple[int, str, str]] = set()
        for chunk in _chunks(customer_ids, 900):
            have.update(
                ContactPoint.objects.filter(customer_id__in=chunk).values_list(
                    "customer_id", "kind", "value"
                )
            )
        kinds_had = {(c, k) for c, k, _ in have}
        points = []
        for (customer_id, kind, value), region in wanted.items():
            if (customer_id, kind, value) in have:
                continue
            primary = (customer_id, kind) not in kinds_had
            kinds_had.add((customer_id, kind))
            points.append(
                ContactPoint(
                    customer_id=customer_id,
                    kind=kind,
                    value=value,
                    region=region,
                    label=ContactPoint.Label.MOBILE,
                    is_primary=primary,
                )
            )
        ContactPoint.objects.bulk_create(points, batch_size=500)
        self.result.contact_points_created = len(points)
        return {p.customer_id for p in points}

    def open_first_stays(self, accounts: list[Account]) -> None:
        buckets = delinquency.configured_buckets()
        stays = []
        for account in accounts:
            dpd = delinquency.days_past_due(account.delinquent_since, self.as_of)
            stays.append(
                BucketHistory(
                    account_id=account.pk,
                    bucket=delinquency.bucket_for(dpd, buckets).code,
                    entered_on=self.as_of,
                    entry_balance=account.total_balance,
                    entry_days_past_due=dpd,
                )
            )
        BucketHistory.objects.bulk_create(stays, batch_size=500)

    def write_audit(self, customers: list, accounts: list) -> None:
        entries = []
        for model, planned in ((Customer, customers), (Account, accounts)):
            content_type = ContentType.objects.get_for_model(model)
            for instance, changes in planned:
                if "customer" in changes and changes["customer"] == [None, None]:
                    changes["customer"] = [None, instance.customer_id]
                created = instance._import_created
                entries.append(
                    LogEntry(
                        content_type=content_type,
                        object_pk=str(instance.pk),
                        object_id=instance.pk,
                        object_repr=str(instance),
                        action=LogEntry.Action.CREATE if created else LogEntry.Action.UPDATE,
                        changes=changes,
                        changes_text="",
                        actor=None,
                        timestamp=self.now,
                        additional_data=self.additional_data,
                    )
                )
        LogEntry.objects.bulk_create(entries, batch_size=500)


@dataclass
class _Parsed:
    line: int
    raw: Row
    values: dict[str, Any]
    ok: bool

    def signature(self, columns: Iterable[str]) -> tuple[str | None, ...]:
        return tuple(self.raw.get(name) for name in columns)


def _assign(
    instance: models.Model, managed: Iterable[Managed], values: Mapping[str, Any], now: datetime
) -> dict[str, list]:
    """Set the file's values on ``instance``; return auditlog-style {field: [old, new]}."""
    created = instance.pk is None
    instance._import_created = created
    changes: dict[str, list] = {}
    for spec in managed:
        new = values.get(spec.column)
        old = None if created else getattr(instance, spec.field)
        if new is None and spec.keep:
            if not created:
                continue
            new = instance._meta.get_field(spec.field).get_default()
        if new is None and spec.blank_value is not None:
            new = spec.blank_value
        if not created and old == new:
            continue
        old_text, new_text = audit_text(old), audit_text(new)
        if old_text != new_text:
            if spec.field in AUDIT_MASKED:
                old_text, new_text = mask_str(old_text), mask_str(new_text)
            changes[spec.field] = [old_text, new_text]
        setattr(instance, spec.field, new)
    if changes and not created:
        instance.updated_at = now
    return changes


# --- PostgreSQL path -----------------------------------------------------------------------
def _table(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _insert_sql(
    model: type[models.Model], provided: Mapping[str, str], params: dict[str, Any], prefix: str
) -> tuple[str, str]:
    """(column list, SELECT list) for an INSERT of ``model``: the provided SQL for the named
    fields, the model default (as a bound parameter) or NULL for every other column."""
    names, values = [], []
    for model_field in model._meta.concrete_fields:
        if model_field.primary_key:
            continue
        names.append(connection.ops.quote_name(model_field.column))
        if model_field.name in provided:
            values.append(provided[model_field.name])
            continue
        if getattr(model_field, "auto_now", False) or getattr(model_field, "auto_now_add", False):
            values.append("%(now)s")
            continue
        default = model_field.get_default()
        if default is None:
            values.append("NULL")
            continue
        key = f"{prefix}_{model_field.column}"
        params[key] = model_field.get_db_prep_save(default, connection)
        values.append(f"CAST(%({key})s AS {model_field.db_type(connection)})")
    return ", ".join(names), ", ".join(values)


def _audit_json_value(model: type[models.Model], name: str, expr: str) -> str:
    """SQL for the JSON text auditlog stores for one side of a change (strings; ids for FKs).

    Built as text and parsed once: jsonb_build_* per field costs about twice as much."""
    model_field = model._meta.get_field(name)
    if model_field.many_to_one:
        return f"COALESCE(({expr})::text, 'null')"
    if isinstance(model_field, models.DateField):  # digits and dashes: nothing to escape
        return f"'\"' || COALESCE(to_char({expr}, 'YYYY-MM-DD'), 'None') || '\"'"
    if isinstance(model_field, models.DecimalField):
        return f"'\"' || COALESCE(({expr})::text, 'None') || '\"'"
    text_expr = f"COALESCE({expr}, 'None')"
    if name in AUDIT_MASKED:  # auditlog.diff.mask_str
        text_expr = (
            f"repeat('*', length({text_expr}) / 2) "
            f"|| substr({text_expr}, length({text_expr}) / 2 + 1)"
        )
    return f"to_json({text_expr})::text"


def _audit_changes_sql(model: type[models.Model], names: Iterable[str]) -> str:
    """jsonb {field: [old, new]} of the fields whose old (``o_``) and final (``f_``) differ."""
    pairs = []
    for name in names:
        old, new = f"s.o_{name}", f"s.f_{name}"
        pairs.append(
            f"CASE WHEN {old} IS DISTINCT FROM {new} THEN '\"{name}\": [' || "
            f"{_audit_json_value(model, name, old)} || ', ' || "
            f"{_audit_json_value(model, name, new)} || ']' END"
        )
    return f"('{{' || concat_ws(', ', {', '.join(pairs)}) || '}}')::jsonb"


def risk_sql(
    dpd: str, balance: str, currency: str, paid: str, contactable: str, hardship: str
) -> str:
    """A LATERAL subquery ``rk`` (score, tier, factors) equal to ``risk.score`` over
    ``services.risk_inputs`` (no promises or plans yet): ``risk.score_sql``, the one SQL form."""
    return risk.score_sql(
        dpd=dpd,
        balance=balance,
        currency=currency,
        payments=f"CASE WHEN COALESCE({paid}, false) THEN 1 ELSE 0 END",
        contactable=contactable,
        hardship=hardship,
    )


def _dpd_sql(delinquent_since: str) -> str:
    return (
        f"CASE WHEN {delinquent_since} IS NULL OR {delinquent_since} >= %(as_of)s THEN 0 "
        f"ELSE %(as_of)s - {delinquent_since} END"
    )


class _PostgresImport(_Base):
    """COPY into a temp table, validate and upsert with set-based SQL (see module docstring)."""

    TEMP_TABLES = (
        "imp_raw",
        "imp_cust",
        "imp_cust_w",
        "imp_acct",
        "imp_acct_w",
        "imp_cp_src",
        "imp_cp_w",
        "imp_contactable",
        "imp_assign",
    )

    def run(self) -> None:
        self.cols = SqlCols(self.header)
        self.params: dict[str, Any] = {
            "team_opt": self.team_code,
            "now": self.now,
            "as_of": self.as_of,
        }
        with connection.cursor() as cursor:
            self.cursor = cursor
            # Big sorts and hashes in memory; JIT compiles each statement for about a second
            # and does not pay that back here.
            cursor.execute("SET LOCAL work_mem = '256MB'")
            cursor.execute("SET LOCAL jit = off")
            self.drop_temp_tables()
            errors = self.copy()
            self.timer.lap("copy")
            if not errors:
                errors = self.validate()
                self.timer.lap("validate")
            if errors:
                self.reject(errors)
            else:
                self.apply()
            self.drop_temp_tables()

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> None:
        self.cursor.execute(sql, {**self.params, **(params or {})})

    def fetchall(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple]:
        self.execute(sql, params)
        return self.cursor.fetchall()

    def drop_temp_tables(self) -> None:
        self.cursor.execute("DROP VIEW IF EXISTS imp_rows")
        self.cursor.execute("DROP TABLE IF EXISTS " + ", ".join(self.TEMP_TABLES))

    def temp_table(self, name: str, select: str, params: Mapping[str, Any] | None = None) -> None:
        self.execute(f"CREATE TEMP TABLE {name} ON COMMIT DROP AS {select}", params)
        self.execute(f"ANALYZE {name}")  # autovacuum never analyzes temp tables

    def copy(self) -> list[RowError]:
        import psycopg2

        columns = ", ".join(f"{_staging_column(n)} text" for n in self.header)
        self.cursor.execute(
            "CREATE TEMP TABLE imp_raw (line bigint GENERATED ALWAYS AS IDENTITY, "
            f"{columns}) ON COMMIT DROP"
        )
        target = ", ".join(_staging_column(n) for n in self.header)
        sql = f"COPY imp_raw ({target}) FROM STDIN WITH (FORMAT csv, HEADER true, ENCODING 'UTF8')"
        try:
            with transaction.atomic():  # a savepoint, so the error leaves the transaction usable
                self.cursor.copy_expert(sql, self.reader, size=1 << 20)
        except (psycopg2.DataError, DataError) as exc:  # wrong field count, bad encoding, …
            cause = exc if isinstance(exc, psycopg2.Error) else exc.__cause__
            diag = getattr(cause, "diag", None)
            where = re.search(r"line (\d+)", (getattr(diag, "context", None) or ""))
            line = int(where.group(1)) if where else 0
            self.result.rows = max(line - 1, 0)
            message = getattr(diag, "message_primary", None) or str(exc).strip()
            return [RowError(line, -1, "row", message)]
        self.cursor.execute("ANALYZE imp_raw")
        self.cursor.execute(self.cols.view_sql())
        self.result.rows = self.fetchall("SELECT count(*) FROM imp_raw")[0][0]
        return []

    # -- validation --
    def validate(self) -> list[RowError]:
        cols = self.cols
        self.params["bad_time_zones"] = [
            value
            for (value,) in self.fetchall(f"SELECT DISTINCT {cols('time_zone')} FROM imp_rows r")
            if value is not None and not known_time_zone(value)
        ]
        rules: list[tuple[int, str, str]] = []  # (position, field, message) by rule number
        cases = []
        for position, column in enumerate(COLUMNS):
            if column.name not in self.header and not (column.name == "team" and self.team_code):
                continue
            v = cols(column.name)
            if column.blank:
                whens = [f"WHEN {v} IS NULL THEN NULL::int"]
            else:
                rules.append((position, column.name, REQUIRED_MESSAGE))
                whens = [f"WHEN {v} IS NULL THEN {len(rules) - 1}"]
            for check in column.checks:
                rules.append((position, column.name, check.message))
                whens.append(f"WHEN {check.sql(v, cols)} THEN {len(rules) - 1}")
            cases.append(f"CASE {' '.join(whens)} END")
        errors = [
            RowError(line, *rules[number])
            for line, numbers in self.fetchall(
                f"SELECT line + 1, errs FROM (SELECT r.line, ARRAY[{', '.join(cases)}] AS errs "
                f"FROM imp_rows r {self.team_join()} OFFSET 0) s "
                "WHERE num_nonnulls(VARIADIC errs) > 0"
            )
            for number in numbers
            if number is not None
        ]
        errors += self.duplicate_errors("account_number", ACCOUNT_COLUMNS, msg_duplicate_account)
        errors += self.duplicate_errors("external_ref", CUSTOMER_COLUMNS, msg_duplicate_customer)
        errors += [
            RowError(line, POSITION["account_number"], "account_number", msg_other_customer(ref))
            for line, ref in self.fetchall(
                f"SELECT r.line + 1, c.external_ref FROM imp_rows r "
                f"JOIN {_table(Account)} a ON a.number = {cols('account_number')} "
                f"JOIN {_table(Customer)} c ON c.id = a.customer_id "
                f"WHERE c.external_ref <> {cols('external_ref')}"
            )
        ]
        without_team = [j for j in Jurisdiction.values if j not in self.auto_teams]
        if without_team:
            errors += [
                RowError(line, POSITION["team"], "team", msg_no_team(jurisdiction))
                for line, jurisdiction in self.fetchall(
                    f"SELECT r.line + 1, {cols('jurisdiction')} FROM imp_rows r "
                    f"WHERE {cols('jurisdiction')} = ANY(%(no_team)s::text[]) "
                    f"AND {cols('team')} IS NULL AND {cols('account_number')} IS NOT NULL "
                    f"AND NOT EXISTS (SELECT 1 FROM {_table(Account)} a "
                    f"WHERE a.number = {cols('account_number')})",
                    {"no_team": without_team},
                )
            ]
        return errors

    def team_join(self) -> str:
        return f"LEFT JOIN {_table(Team)} t ON t.code = {self.cols('team')} AND t.is_active"

    def duplicate_errors(
        self, key: str, columns: Iterable[str], message: Callable[[int], str]
    ) -> list[RowError]:
        """Rows repeating ``key`` whose ``columns`` differ from the key's first row."""
        cols = self.cols
        signature = (
            "md5(concat_ws(chr(31), "
            + ", ".join(f"COALESCE({cols(c)}, '')" for c in columns)
            + "))"
        )
        rows = self.fetchall(
            f"WITH d AS (SELECT {cols(key)} AS k FROM imp_rows r WHERE {cols(key)} IS NOT NULL "
            "GROUP BY 1 HAVING count(*) > 1), "
            f"x AS (SELECT r.line, d.k, {signature} AS sig FROM imp_rows r "
            f"JOIN d ON d.k = {cols(key)}), "
            "y AS (SELECT line, sig, first_value(line) OVER w AS first_line, "
            "first_value(sig) OVER w AS first_sig FROM x "
            "WINDOW w AS (PARTITION BY k ORDER BY line)) "
            "SELECT line + 1, first_line + 1 FROM y WHERE sig <> first_sig"
        )
        return [RowError(line, POSITION[key], key, message(first)) for line, first in rows]

    # -- plan --
    def typed(self, column: str) -> str:
        spec = BY_NAME[column]
        return spec.to_sql(self.cols(column), self.cols)

    def plan_table(
        self,
        name: str,
        model: type[models.Model],
        key_field: str,
        key_column: str,
        managed: Iterable[Managed],
        extra_select: str = "",
        extra_join: str = "",
        extra_final: Mapping[str, str] | None = None,
        extra_old: Iterable[str] = (),
        carry: Iterable[str] = (),
    ) -> None:
        """Temp table ``name``: per key the file's final values (``f_``), the stored ones
        (``o_``), the stored ``id`` and whether anything differs (``changed``)."""
        quote = connection.ops.quote_name

        def column(field_name: str) -> str:
            return quote(model._meta.get_field(field_name).column)

        managed = list(managed)
        new = [f"{self.typed(m.column)} AS n_{m.field}" for m in managed]
        old = [f"o.{column(n)} AS o_{n}" for n in [m.field for m in managed] + list(extra_old)]
        final = {}
        for m in managed:
            expr = f"s.n_{m.field}"
            if m.keep:
                default = model._meta.get_field(m.field).get_default()
                tail = _lit(default) if isinstance(default, str) else "NULL"
                expr = f"COALESCE({expr}, o.{column(m.field)}, {tail})"
            elif m.blank_value is not None:
                expr = f"COALESCE({expr}, {_lit(m.blank_value)})"
            final[m.field] = expr
        final.update(extra_final or {})
        finals = [f"{expr} AS f_{n}" for n, expr in final.items()]
        compare_new = ", ".join(final.values())
        compare_old = ", ".join(f"o.{column(n)}" for n in final)
        self.temp_table(
            name,
            f"SELECT s.k, {''.join(f's.{c}, ' for c in carry)}o.id, {', '.join(old)}, "
            f"{', '.join(finals)}, "
            f"(o.id IS NOT NULL AND ({compare_new}) IS DISTINCT FROM ({compare_old})) AS changed "
            f"FROM (SELECT DISTINCT ON (1) {self.cols(key_column)} AS k, {', '.join(new)}"
            f"{extra_select} FROM imp_rows r {extra_join} ORDER BY 1, r.line) s "
            f"LEFT JOIN {_table(model)} o ON o.{key_field} = s.k",
        )

    def lock_existing(self) -> None:
        """Lock the stored rows the file touches, so the old values we audit stay true."""
        cols = self.cols
        self.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM {_table(Customer)} c WHERE c.external_ref IN "
            f"(SELECT {cols('external_ref')} FROM imp_rows r) FOR NO KEY UPDATE) x"
        )
        self.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM {_table(Account)} a WHERE a.number IN "
            f"(SELECT {cols('account_number')} FROM imp_rows r) FOR NO KEY UPDATE) x"
        )

    def plan_contact_points(self) -> None:
        """The file's contact points, and which customers will be contactable afterwards."""
        cols = self.cols
        phone = self.typed("phone")
        self.temp_table(
            "imp_cp_src",
            f"SELECT ref, kind, value, {phone_region_sql('value', 'jur')} AS region, "
            "min(line) AS line FROM ("
            f"SELECT {cols('external_ref')} AS ref, 'phone'::text AS kind, {phone} AS value, "
            f"{cols('jurisdiction')} AS jur, r.line FROM imp_rows r "
            f"WHERE {cols('phone')} IS NOT NULL UNION ALL "
            f"SELECT {cols('external_ref')}, 'email', {self.typed('email')}, '', r.line "
            f"FROM imp_rows r WHERE {cols('email')} IS NOT NULL) u GROUP BY ref, kind, value, jur",
        )
        table = _table(ContactPoint)
        self.temp_table(
            "imp_contactable",  # as services.accounts_risk_refresh defines contactable
            f"SELECT c.k AS ref FROM imp_cust c WHERE c.id IS NOT NULL AND EXISTS (SELECT 1 "
            f"FROM {table} x WHERE x.customer_id = c.id AND x.kind IN ('phone', 'email') "
            "AND x.is_valid AND NOT x.opted_out) "
            "UNION SELECT s.ref FROM imp_cp_src s JOIN imp_cust c ON c.k = s.ref "
            f"WHERE c.id IS NULL OR NOT EXISTS (SELECT 1 FROM {table} x "
            "WHERE x.customer_id = c.id AND x.kind = s.kind AND x.value = s.value)",
        )

    def plan_assignment(self) -> None:
        """Assign new and moved accounts like ``services.accounts_assign_unassigned`` (greedy
        least-loaded), set-based: specialist u's k-th new account gets key (load + k, u), and
        the team's accounts take the smallest keys in order — the same picks as its heap."""
        # Only open accounts are worked (and counted in a specialist's load).
        self.params["open_stages"] = [str(stage) for stage in OPEN_STAGES]
        needs = (
            "(id IS NULL OR (f_team IS DISTINCT FROM o_team "
            "AND o_stage = ANY(%(open_stages)s::text[])))"
        )
        team_ids = [
            t for (t,) in self.fetchall(f"SELECT DISTINCT f_team FROM imp_acct WHERE {needs}")
        ]
        loads = [
            (team.pk, user_id, load)
            for team in Team.objects.filter(pk__in=team_ids)
            for user_id, load in services.specialists_by_load(team)
        ]
        self.temp_table(
            "imp_assign",
            "WITH need AS (SELECT k, f_team AS team_id, row_number() OVER (PARTITION BY f_team "
            f"ORDER BY k) AS n FROM imp_acct WHERE {needs}), "
            "spec AS (SELECT * FROM unnest(%(sp_team)s::bigint[], %(sp_user)s::bigint[], "
            "%(sp_load)s::bigint[]) AS s(team_id, user_id, load)), "
            "sizes AS (SELECT team_id, count(*) AS n FROM need GROUP BY 1), "
            "bounds AS (SELECT s.team_id, ceil(z.n::numeric / count(*))::bigint "
            "+ max(s.load) - min(s.load) AS kmax FROM spec s JOIN sizes z USING (team_id) "
            "GROUP BY s.team_id, z.n), "
            "slots AS (SELECT s.team_id, s.user_id, row_number() OVER (PARTITION BY s.team_id "
            "ORDER BY s.load + g.k, s.user_id) AS n FROM spec s JOIN bounds b USING (team_id) "
            "CROSS JOIN LATERAL generate_series(0, b.kmax) AS g(k)) "
            "SELECT need.k, slots.user_id FROM need JOIN slots USING (team_id, n)",
            {
                "sp_team": [t for t, _, _ in loads],
                "sp_user": [u for _, u, _ in loads],
                "sp_load": [n for _, _, n in loads],
            },
        )

    def apply(self) -> None:
        cols = self.cols
        self.lock_existing()
        self.plan_table("imp_cust", Customer, "external_ref", "external_ref", CUSTOMER_FIELDS)
        auto = sorted(self.auto_teams.items())
        self.params["auto_jurisdictions"] = [j for j, _ in auto]
        self.params["auto_teams"] = [t for _, t in auto]
        self.plan_table(
            "imp_acct",
            Account,
            "number",
            "account_number",
            ACCOUNT_FIELDS,
            extra_select=f", {cols('external_ref')} AS ref, t.id AS explicit_team, "
            "at.team_id AS auto_team",
            extra_join=self.team_join() + " LEFT JOIN unnest(%(auto_jurisdictions)s::text[], "
            "%(auto_teams)s::bigint[]) AS at(jurisdiction, team_id) "
            f"ON at.jurisdiction = {cols('jurisdiction')}",
            extra_final={"team": "COALESCE(s.explicit_team, o.team_id, s.auto_team)"},
            extra_old=("team", "assigned_to", "customer", "hardship_declared_at", "stage"),
            carry=("ref",),
        )
        result = self.result
        (
            result.customers_created,
            result.customers_updated,
            result.accounts_created,
            result.accounts_updated,
        ) = self.fetchall(
            "SELECT (SELECT count(*) FROM imp_cust WHERE id IS NULL), "
            "(SELECT count(*) FROM imp_cust WHERE changed), "
            "(SELECT count(*) FROM imp_acct WHERE id IS NULL), "
            "(SELECT count(*) FROM imp_acct WHERE changed)"
        )[0]
        if result.dry_run:
            return
        self.plan_contact_points()
        self.plan_assignment()
        self.timer.lap("plan")
        self.upsert_customers()
        self.upsert_accounts()
        result.customers_created, result.customers_updated = self.fetchall(
            "SELECT count(*) FILTER (WHERE created), count(*) FILTER (WHERE NOT created) "
            "FROM imp_cust_w"
        )[0]
        result.accounts_created, result.accounts_updated = self.fetchall(
            "SELECT count(*) FILTER (WHERE created), count(*) FILTER (WHERE NOT created) "
            "FROM imp_acct_w"
        )[0]
        self.timer.lap("upsert")
        self.create_contact_points()
        self.refresh_risk_of_newly_contactable()
        self.timer.lap("contacts")
        self.open_first_stays()
        self.timer.lap("history")
        self.write_audit()
        self.timer.lap("audit")
        team_ids = {
            t
            for (t,) in self.fetchall(
                "SELECT DISTINCT s.f_team FROM imp_acct s JOIN imp_acct_w w ON w.number = s.k "
                "WHERE w.created OR s.f_team IS DISTINCT FROM s.o_team"
            )
        }
        # Risk is already set by the upsert; the service picks up any other unassigned
        # account of the touched teams (normally none).
        self.after_write(team_ids, [])

    # -- write --
    def upsert_customers(self) -> None:
        quote = connection.ops.quote_name
        provided = {m.field: f"s.f_{m.field}" for m in CUSTOMER_FIELDS}
        names, values = _insert_sql(Customer, provided, self.params, "cust")
        fields = [quote(Customer._meta.get_field(m.field).column) for m in CUSTOMER_FIELDS]
        table = _table(Customer)
        self.execute(
            "CREATE TEMP TABLE imp_cust_w (id bigint, external_ref text, created bool) "
            "ON COMMIT DROP"
        )
        self.execute(
            f"WITH up AS (INSERT INTO {table} AS o ({names}) SELECT {values} FROM imp_cust s "
            "WHERE s.id IS NULL OR s.changed ORDER BY s.k "
            "ON CONFLICT (external_ref) DO UPDATE SET "
            + ", ".join(f"{f} = EXCLUDED.{f}" for f in fields)
            + ", updated_at = EXCLUDED.updated_at "
            f"WHERE ({', '.join('o.' + f for f in fields)}) IS DISTINCT FROM "
            f"({', '.join('EXCLUDED.' + f for f in fields)}) "
            "RETURNING o.id, o.external_ref, (o.xmax = 0) AS created) "
            "INSERT INTO imp_cust_w SELECT * FROM up"
        )
        self.execute("ANALYZE imp_cust_w")

    def upsert_accounts(self) -> None:
        """Insert/update accounts with their team, specialist and risk in one statement."""
        quote = connection.ops.quote_name
        provided = {m.field: f"s.f_{m.field}" for m in ACCOUNT_FIELDS}
        provided.update(
            {
                "team": "s.f_team",
                "customer": "COALESCE(c.id, w.id)",
                "assigned_to": "asg.user_id",
                "risk_score": "rk.score",
                "risk_tier": "rk.tier",
                "risk_factors": "rk.factors",
                "risk_scored_at": "%(now)s",
            }
        )
        names, values = _insert_sql(Account, provided, self.params, "acct")
        fields = [quote(Account._meta.get_field(m.field).column) for m in ACCOUNT_FIELDS]
        fields.append("team_id")
        risk_fields = ["risk_score", "risk_tier", "risk_factors", "risk_scored_at"]
        rk = risk_sql(
            _dpd_sql("s.f_delinquent_since"),
            "s.f_principal_balance + s.f_interest_balance + s.f_fee_balance",
            "s.f_currency",
            "s.f_last_payment_date >= %(as_of)s - 90",
            "ct.ref IS NOT NULL",
            "s.o_hardship_declared_at IS NOT NULL",
        )
        self.execute(
            "CREATE TEMP TABLE imp_acct_w (id bigint, number text, created bool) ON COMMIT DROP"
        )
        self.execute(
            f"WITH up AS (INSERT INTO {_table(Account)} AS o ({names}) SELECT {values} "
            "FROM imp_acct s JOIN imp_cust c ON c.k = s.ref "
            "LEFT JOIN imp_cust_w w ON w.external_ref = s.ref "
            "LEFT JOIN imp_contactable ct ON ct.ref = s.ref "
            f"LEFT JOIN imp_assign asg ON asg.k = s.k CROSS JOIN {rk} "
            "WHERE s.id IS NULL OR s.changed ORDER BY s.k "
            "ON CONFLICT (number) DO UPDATE SET "
            + ", ".join(f"{f} = EXCLUDED.{f}" for f in fields + risk_fields)
            + ", assigned_to_id = CASE WHEN o.team_id IS DISTINCT FROM EXCLUDED.team_id "
            "THEN EXCLUDED.assigned_to_id ELSE o.assigned_to_id END, "
            "updated_at = EXCLUDED.updated_at "
            f"WHERE ({', '.join('o.' + f for f in fields)}) IS DISTINCT FROM "
            f"({', '.join('EXCLUDED.' + f for f in fields)}) "
            "AND o.customer_id = EXCLUDED.customer_id "
            "RETURNING o.id, o.number, (o.xmax = 0) AS created) "
            "INSERT INTO imp_acct_w SELECT * FROM up"
        )
        self.execute("ANALYZE imp_acct_w")

    def create_contact_points(self) -> None:
        table = _table(ContactPoint)
        provided = {
            "customer": "customer_id",
            "kind": "kind",
            "value": "value",
            "region": "region",
            "label": _lit(ContactPoint.Label.MOBILE),
            "is_primary": "is_primary",
        }
        names, values = _insert_sql(ContactPoint, provided, self.params, "cp")
        self.execute("CREATE TEMP TABLE imp_cp_w (customer_id bigint) ON COMMIT DROP")
        self.execute(
            "WITH cand AS (SELECT COALESCE(c.id, w.id) AS customer_id, c.id AS old_customer, "
            "s.kind, s.value, s.region, s.line FROM imp_cp_src s JOIN imp_cust c ON c.k = s.ref "
            "LEFT JOIN imp_cust_w w ON w.external_ref = s.ref), "
            "fresh AS (SELECT cand.*, row_number() OVER (PARTITION BY customer_id, kind "
            "ORDER BY line) AS n FROM cand WHERE old_customer IS NULL OR NOT EXISTS (SELECT 1 "
            f"FROM {table} x WHERE x.customer_id = cand.customer_id AND x.kind = cand.kind "
            "AND x.value = cand.value)), "
            "ranked AS (SELECT fresh.*, n = 1 AND (old_customer IS NULL OR NOT EXISTS (SELECT 1 "
            f"FROM {table} x WHERE x.customer_id = fresh.customer_id AND x.kind = fresh.kind)) "
            "AS is_primary FROM fresh), "
            f"ins AS (INSERT INTO {table} ({names}) SELECT {values} FROM ranked "
            "ORDER BY customer_id, kind, line "
            "ON CONFLICT (customer_id, kind, value) DO NOTHING RETURNING customer_id) "
            "INSERT INTO imp_cp_w SELECT customer_id FROM ins"
        )
        self.result.contact_points_created = self.cursor.rowcount

    def refresh_risk_of_newly_contactable(self) -> None:
        """Accounts the file did not change whose customer just became reachable."""
        table = _table(Account)
        rk = risk_sql(
            _dpd_sql("b.delinquent_since"),
            "b.principal_balance + b.interest_balance + b.fee_balance",
            "b.currency",
            "b.last_payment_date >= %(as_of)s - 90",
            f"EXISTS (SELECT 1 FROM {_table(ContactPoint)} x WHERE x.customer_id = b.customer_id "
            "AND x.kind IN ('phone', 'email') AND x.is_valid AND NOT x.opted_out)",
            "b.hardship_declared_at IS NOT NULL",
        )
        self.execute(
            f"UPDATE {table} a SET risk_score = rk.score, risk_tier = rk.tier, "
            "risk_factors = rk.factors, risk_scored_at = %(now)s "
            f"FROM {table} b CROSS JOIN {rk} WHERE a.id = b.id "
            "AND b.customer_id IN (SELECT p.customer_id FROM imp_cp_w p "
            "JOIN imp_cust c ON c.id = p.customer_id) "  # c.id: customers that existed before
            "AND b.id NOT IN (SELECT id FROM imp_acct_w)"
        )

    def open_first_stays(self) -> None:
        """First bucket stay of each new account, by ``delinquency.annotate`` (bucket_case)."""
        created = Account.objects.filter(
            id__in=RawSQL("SELECT id FROM imp_acct_w WHERE created", ())
        )
        query = (
            delinquency.annotate(created, as_of=self.as_of)
            .annotate(balance=F("principal_balance") + F("interest_balance") + F("fee_balance"))
            .values("id", "bucket_code", "dpd", "balance")
        )
        sql, params = query.query.sql_with_params()
        quote = connection.ops.quote_name
        columns = {
            "account": "q.id",
            "bucket": "q.bucket_code",
            "entered_on": "%s",
            "entry_balance": "q.balance",
            "entry_days_past_due": "q.dpd",
        }
        names = ", ".join(quote(BucketHistory._meta.get_field(n).column) for n in columns)
        names += ", " + quote(BucketHistory._meta.get_field("exited_to").column)
        self.cursor.execute(
            f"INSERT INTO {_table(BucketHistory)} ({names}) "
            f"SELECT {', '.join(columns.values())}, '' FROM ({sql}) q",
            (self.as_of, *params),
        )

    def write_audit(self) -> None:
        mask = masking.MASK
        account_repr = (
            f"CASE WHEN length(s.f_number) <= 4 THEN repeat({_lit(mask)}, "
            "length(s.f_number)) ELSE repeat("
            f"{_lit(mask)}, length(s.f_number) - 4) || right(s.f_number, 4) END"
        )
        customer_fields = [m.field for m in CUSTOMER_FIELDS]
        account_fields = [m.field for m in ACCOUNT_FIELDS] + ["customer", "team", "assigned_to"]
        targets = (
            (
                Customer,
                "imp_cust",
                "imp_cust_w",
                "external_ref",
                "s.f_name",
                customer_fields,
                "",
                "",
            ),
            (
                Account,
                "imp_acct",
                "imp_acct_w",
                "number",
                account_repr,
                account_fields,
                ", COALESCE(c.id, cw.id) AS f_customer, CASE WHEN s.f_team IS DISTINCT FROM "
                "s.o_team THEN asg.user_id ELSE s.o_assigned_to END AS f_assigned_to",
                " JOIN imp_cust c ON c.k = s.ref LEFT JOIN imp_cust_w cw "
                "ON cw.external_ref = s.ref LEFT JOIN imp_assign asg ON asg.k = s.k",
            ),
        )
        self.params["audit_extra"] = _json(self.additional_data)
        for model, plan, written, key, object_repr, names, extra, join in targets:
            provided = {
                "content_type": str(ContentType.objects.get_for_model(model).pk),
                "object_pk": "w.id::text",
                "object_id": "w.id",
                "object_repr": object_repr,
                "action": (
                    f"CASE WHEN w.created THEN {LogEntry.Action.CREATE} "
                    f"ELSE {LogEntry.Action.UPDATE} END"
                ),
                "changes_text": "''",
                "changes": _audit_changes_sql(model, names),
                "actor": "NULL",
                "timestamp": "%(now)s",
                "additional_data": "%(audit_extra)s::jsonb",
            }
            columns, values = _insert_sql(LogEntry, provided, self.params, "log")
            self.execute(
                f"INSERT INTO {_table(LogEntry)} ({columns}) SELECT {values} "
                f"FROM (SELECT s.*{extra} FROM {plan} s{join}) s "
                f"JOIN {written} w ON w.{key} = s.k ORDER BY w.id"
            )


def _json(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)
