"""Payment file import (``manage.py import_payments PATH.csv``).

UTF-8 CSV with a header row; columns in any order, values trimmed:

==================  =============================================================================
``reference``       The bank's payment reference (≤ 64 characters), unique across all accounts.
``account_number``  An account Settle knows.
``amount``          Positive, no thousands separators, at most the currency's decimal places.
``received_at``     ISO 8601 with a UTC offset (``2026-12-05T10:30:00+08:00``, ``…Z``), or
                    ``YYYY-MM-DD`` meaning midnight UTC. Not in the future.
``agency``          Optional. The code of the collection agency that collected the payment; the
                    account must be placed with that agency since before ``received_at``.
``commission``      Optional, only with ``agency``: the agency's commission on the payment (from
                    0 to the amount, the currency's places). Empty: the agency's rate × amount,
                    rounded half up to the currency.
==================  =============================================================================

The whole file is checked before anything is posted. Every bad row is reported as
``line N: field: message`` (line 1 is the header; N counts CSV records) and then nothing is
posted. A reference twice in the file, or already posted, with the same account and amount is a
duplicate: reported and skipped. With a different account or amount it is an error. Otherwise
every row is posted through ``payment_post`` (allocation, promises) in one transaction.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Account, User
from agencies.models import Agency, Placement, PlacementStatus
from agencies.services import agency_commission_record
from core.money import display_places
from plans.models import Payment
from plans.services import CLOCK_SKEW, ConflictError, payment_post

COLUMNS = ("reference", "account_number", "amount", "received_at")
#: Columns a collection agency's payments add (agencies: a placed account's payments).
OPTIONAL_COLUMNS = ("agency", "commission")
_AMOUNT = re.compile(r"^\d+(\.\d+)?$")


@dataclass(frozen=True)
class PaymentRow:
    line: int
    reference: str
    account_number: str
    amount: Decimal
    received_at: datetime
    placement: Placement | None = None
    commission: Decimal | None = None


@dataclass
class PaymentImportResult:
    file_name: str
    rows: int = 0
    posted: int = 0
    duplicates: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


class _RowFailed(Exception):
    pass


def parse_received_at(value: str) -> datetime:
    """ISO 8601 with an offset, or a bare date meaning midnight UTC; ValueError otherwise."""
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return datetime.combine(date.fromisoformat(value), datetime.min.time(), tzinfo=UTC)
    parsed = datetime.fromisoformat(value)
    if timezone.is_naive(parsed):
        raise ValueError("needs a UTC offset, e.g. 2026-12-05T10:30:00+08:00")
    return parsed


def payments_import(
    path: Path, *, by: User | None = None, dry_run: bool = False, now: datetime | None = None
) -> PaymentImportResult:
    now = now or timezone.now()
    result = PaymentImportResult(file_name=path.name, dry_run=dry_run)
    raw_rows = _read(path, result)
    if raw_rows is None:  # the header is wrong: the rows cannot be read
        return result
    result.rows = len(raw_rows)
    numbers = {row["account_number"] for _, row in raw_rows}
    accounts = {a.number: a for a in Account.objects.filter(number__in=numbers)}
    agencies = {
        a.code: a
        for a in Agency.objects.filter(code__in={row.get("agency", "") for _, row in raw_rows})
    }
    placements = {
        p.account_id: p
        for p in Placement.objects.filter(
            status=PlacementStatus.PLACED, account__in=accounts.values()
        ).select_related("agency")
    }
    rows = [
        r
        for line, raw in raw_rows
        if (r := _parse(line, raw, accounts, now, result, agencies, placements))
    ]

    first_seen: dict[str, PaymentRow] = {}
    to_post: list[PaymentRow] = []
    for row in rows:
        first = first_seen.setdefault(row.reference, row)
        if first is row:
            to_post.append(row)
        elif (first.account_number, first.amount) == (row.account_number, row.amount):
            result.duplicates.append(
                f"line {row.line}: reference {row.reference} repeats line {first.line}; skipped"
            )
        else:
            result.errors.append(
                f"line {row.line}: reference: {row.reference} is on line {first.line} with"
                " another account or amount"
            )
    posted = {
        p.reference: p
        for p in Payment.objects.filter(reference__in=[r.reference for r in to_post])
        .only("reference", "amount", "account__number")
        .select_related("account")
    }
    fresh = []
    for row in to_post:
        existing = posted.get(row.reference)
        if existing is None:
            fresh.append(row)
        elif (existing.account.number, existing.amount) == (row.account_number, row.amount):
            result.duplicates.append(
                f"line {row.line}: reference {row.reference} was already posted; skipped"
            )
        else:
            result.errors.append(
                f"line {row.line}: reference: {row.reference} was already posted with another"
                f" account or amount ({existing.amount})"
            )
    result.errors.sort(key=_line_number)
    if result.errors or dry_run:
        return result
    try:
        with transaction.atomic():
            for row in fresh:
                _post(row, accounts[row.account_number], by=by, now=now, file_name=path.name)
    except _RowFailed as failure:
        result.errors.append(str(failure))
        return result
    result.posted = len(fresh)
    return result


def _line_number(message: str) -> int:
    match = re.match(r"line (\d+)", message)
    return int(match.group(1)) if match else 0


def _read(path: Path, result: PaymentImportResult) -> list[tuple[int, dict[str, str]]] | None:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            records = list(csv.reader(handle))
    except (UnicodeDecodeError, csv.Error) as error:
        result.errors.append(f"line 1: file: unreadable ({error})")
        return None
    if not records or not any(cell.strip() for cell in records[0]):
        result.errors.append("line 1: header: the file has no header row")
        return None
    header = [name.strip().lower() for name in records[0]]
    for name in header:
        if name not in COLUMNS + OPTIONAL_COLUMNS:
            result.errors.append(f"line 1: {name or '(empty)'}: unknown column")
    for name in COLUMNS:
        if name not in header:
            result.errors.append(f"line 1: {name}: missing required column")
    if len(set(header)) != len(header):
        result.errors.append("line 1: header: a column appears twice")
    if result.errors:
        return None
    rows = []
    for line, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):
            continue  # a blank line, e.g. at the end of the file
        if len(record) != len(header):
            result.errors.append(
                f"line {line}: row: {len(record)} values for {len(header)} columns"
            )
            continue
        rows.append((line, {name: cell.strip() for name, cell in zip(header, record, strict=True)}))
    return rows


def _parse(
    line: int,
    raw: dict[str, str],
    accounts: dict[str, Account],
    now: datetime,
    result: PaymentImportResult,
    agencies: dict[str, Agency],
    placements: dict[int, Placement],
) -> PaymentRow | None:
    errors = []
    reference = raw["reference"]
    if not reference:
        errors.append("reference: required")
    elif len(reference) > 64:
        errors.append("reference: longer than 64 characters")
    account = accounts.get(raw["account_number"])
    if not raw["account_number"]:
        errors.append("account_number: required")
    elif account is None:
        errors.append("account_number: unknown account")
    amount = None
    if not _AMOUNT.match(raw["amount"]):
        errors.append("amount: not a positive amount like 1234.50")
    else:
        try:
            amount = Decimal(raw["amount"])
        except InvalidOperation:
            errors.append("amount: not a positive amount like 1234.50")
        else:
            if amount <= 0:
                errors.append("amount: must be greater than zero")
            elif amount >= Decimal("1e12"):
                errors.append("amount: too large")
            elif account is not None:
                places = display_places(account.currency)
                if amount != round(amount, places):
                    errors.append(f"amount: more decimal places than {account.currency} allows")
    received_at = None
    try:
        received_at = parse_received_at(raw["received_at"])
    except ValueError as error:
        message = str(error) if "offset" in str(error) else "not an ISO 8601 date or time"
        errors.append(f"received_at: {message}")
    else:
        if received_at > now + CLOCK_SKEW:
            errors.append("received_at: in the future")
    placement, commission = _agency(raw, account, amount, received_at, agencies, placements, errors)
    if errors:
        result.errors += [f"line {line}: {error}" for error in errors]
        return None
    return PaymentRow(
        line, reference, raw["account_number"], amount, received_at, placement, commission
    )


def _agency(
    raw: dict[str, str],
    account: Account | None,
    amount: Decimal | None,
    received_at: datetime | None,
    agencies: dict[str, Agency],
    placements: dict[int, Placement],
    errors: list[str],
) -> tuple[Placement | None, Decimal | None]:
    """The placement an agency's payment is reported under, and its commission (None: the
    agency's rate)."""
    code, text = raw.get("agency", ""), raw.get("commission", "")
    if not code:
        if text:
            errors.append("commission: only with an agency")
        return None, None
    agency = agencies.get(code)
    if agency is None:
        errors.append(f"agency: unknown agency {code}")
        return None, None
    commission = None
    if text:
        if not _AMOUNT.match(text):
            errors.append("commission: not an amount like 12.50")
        else:
            commission = Decimal(text)
            if amount is not None and commission > amount:
                errors.append("commission: more than the amount")
            elif account is not None and commission != round(
                commission, display_places(account.currency)
            ):
                errors.append(f"commission: more decimal places than {account.currency} allows")
    if account is None:
        return None, commission
    placement = placements.get(account.pk)
    if placement is None or placement.agency_id != agency.pk:
        errors.append(f"agency: {code} does not hold this account")
        return None, commission
    if received_at is not None and received_at < placement.placed_at:
        errors.append(f"agency: received before the account was placed with {code}")
        return None, commission
    return placement, commission


def _post(row: PaymentRow, account: Account, *, by, now: datetime, file_name: str) -> None:
    try:
        posted = payment_post(
            account=account,
            amount=row.amount,
            received_at=row.received_at,
            reference=row.reference,
            by=by,
            source=Payment.Source.AGENCY if row.placement else Payment.Source.FILE,
            source_detail=f"{file_name}:{row.line}",
            now=now,
        )
        if row.placement is not None and posted.created:
            # Recalled since the file was checked? Then the agency no longer holds it.
            held = Placement.objects.filter(pk=row.placement.pk, status=PlacementStatus.PLACED)
            if not held.select_for_update().exists():
                raise _RowFailed(
                    f"line {row.line}: agency: {row.placement.agency.code} no longer holds this"
                    " account"
                )
            agency_commission_record(
                payment=posted.payment, placement=row.placement, amount=row.commission, by=by
            )
    except ConflictError as error:  # posted through the API since the check above
        raise _RowFailed(f"line {row.line}: reference: {error.message}") from error
    except ValidationError as error:
        by_field = error.message_dict if hasattr(error, "error_dict") else {"row": error.messages}
        messages = "; ".join(f"{name}: {', '.join(texts)}" for name, texts in by_field.items())
        raise _RowFailed(f"line {row.line}: {messages}") from error
