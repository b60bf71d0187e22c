"""The file an agency receives for a placement batch: exactly what it needs to collect, nothing
more (no national ID, date of birth, notes, contact history or internal scores).

Phones and emails are those Settle may use itself: valid and not opted out (the contactable
rule, ``ContactPoint.objects.contactable()``); an opted-out number is not handed to an agency.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable

from accounts.models import ContactPoint
from agencies.models import Placement

COLUMNS = (
    "placement_id",
    "account_number",
    "customer_name",
    "address_line",
    "city",
    "region",
    "postal_code",
    "country",
    "phones",
    "emails",
    "currency",
    "principal_balance",
    "interest_balance",
    "fee_balance",
    "total_balance",
    "past_due_amount",
    "delinquent_since",
    "recall_on",
)

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _text(value: str) -> str:
    """A text cell a spreadsheet would run as a formula gets a leading apostrophe."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def export_rows(placements: Iterable[Placement]) -> list[dict[str, str]]:
    """One row per placement (accounts and customers loaded); two queries for the points."""
    placements = list(placements)
    customer_ids = {p.account.customer_id for p in placements}
    points: dict[tuple[int, str], list[str]] = {}
    for customer_id, kind, value in (
        ContactPoint.objects.contactable()
        .filter(customer_id__in=customer_ids)
        .order_by("customer_id", "kind", "-is_primary", "id")
        .values_list("customer_id", "kind", "value")
    ):
        points.setdefault((customer_id, kind), []).append(value)
    rows = []
    for placement in placements:
        account, customer = placement.account, placement.account.customer
        rows.append(
            {
                "placement_id": str(placement.pk),
                "account_number": account.number,
                "customer_name": _text(customer.name),
                "address_line": _text(customer.address_line),
                "city": _text(customer.city),
                "region": _text(customer.region),
                "postal_code": customer.postal_code,
                "country": customer.country,
                "phones": ";".join(points.get((customer.pk, ContactPoint.Kind.PHONE), [])),
                "emails": ";".join(points.get((customer.pk, ContactPoint.Kind.EMAIL), [])),
                "currency": account.currency,
                "principal_balance": str(account.principal_balance),
                "interest_balance": str(account.interest_balance),
                "fee_balance": str(account.fee_balance),
                "total_balance": str(account.total_balance),
                "past_due_amount": str(account.past_due_amount),
                "delinquent_since": (
                    account.delinquent_since.isoformat() if account.delinquent_since else ""
                ),
                "recall_on": placement.recall_on.isoformat(),
            }
        )
    return rows


def export_csv(placements: Iterable[Placement]) -> bytes:
    """The batch's file: UTF-8 CSV with a header row of ``COLUMNS``."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(export_rows(placements))
    return out.getvalue().encode("utf-8")


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()
