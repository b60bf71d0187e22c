# ruff: noqa: S608 -- SQL here is generated from the column spec and model metadata (identifiers
# only); every value from the file or the command line is a bound parameter or stays in the
# staging table.
"""The account feed's spec: its columns, how a cell is checked and converted, and row errors.

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

Each column carries every rule twice: a Python predicate (the portable engine) and the same rule
as SQL (the PostgreSQL engine); test_import_accounts checks that the two agree. A bad cell is a
``RowError``, reported as ``line N: field: message`` (line 1 is the header; N counts CSV
records, so a quoted value with a line break does not shift the numbers).
"""

from __future__ import annotations

import csv
import functools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError

from accounts.models import Jurisdiction, Language, Product, Team
from accounts.validators import validate_time_zone
from contacts.services import normalize_phone

Row = Mapping[str, str | None]
TWO_PLACES = Decimal("0.01")


# --- The column spec -----------------------------------------------------------------------
@dataclass(frozen=True)
class Context:
    """What the checks need besides the row: active teams by code (portable engine)."""

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
            f"NULLIF(btrim({staging_column(n)}, chr(32) || chr(9)), '') AS \"{n}\""
            for n in self.header
        )
        return f"CREATE TEMP VIEW imp_rows AS SELECT line, {cells} FROM imp_raw OFFSET 0"


def sql_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _pattern_check(message: str, pattern: str, sql: Callable[[str], str] | None = None) -> Check:
    """A regular-expression rule; ``sql`` may give a cheaper equivalent for PostgreSQL, where a
    regex costs ~1.5 µs a row (test_import_accounts checks the two agree)."""
    compiled = re.compile(pattern)
    return Check(
        message,
        lambda v, row, ctx: compiled.fullmatch(v) is None,
        (lambda v, cols: sql(v))
        if sql
        else (lambda v, cols: f"{v} !~ {sql_literal('^(?:' + pattern + ')$')}"),
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
        lambda v, cols: f"{v} NOT IN ({', '.join(sql_literal(a) for a in allowed)})",
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
        lambda v, row: Decimal(v).quantize(TWO_PLACES),
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
    """E.164 by pattern (see ``postgres_engine``), or NULL. The common shapes (a national or
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


#: While an account is on a plan Settle measures its delinquency against the plan
#: (``plans.reage``): the file's value of these fields is not applied to it then.
PLAN_MEASURED_FIELDS = ("delinquent_since",)
PLAN_STAGE = "on_plan"

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
AUDIT_MASKED = {"national_id", "number", "value"}  # as registered with auditlog (mask_fields)
#: What the audit entry of each contact point the import creates records.
CONTACT_POINT_AUDIT_FIELDS = ("customer", "kind", "label", "value", "region", "is_primary")


def staging_column(name: str) -> str:
    return f"c_{name}"


# --- Messages shared by both engines -------------------------------------------------------
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
