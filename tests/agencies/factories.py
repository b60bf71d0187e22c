"""Agencies test helpers: agencies and placements made through the services."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from agencies.models import Agency
from agencies.services import placement_create

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # a Monday
TODAY = date(2026, 11, 23)


def agency(code="acme", *, jurisdictions=("US",), rate="20.00", **extra) -> Agency:
    made = Agency(
        code=code,
        name=extra.pop("name", code.title() + " Recoveries"),
        jurisdictions=list(jurisdictions),
        commission_rate=Decimal(rate),
        **extra,
    )
    made.full_clean()
    made.save()
    return made


def place(accounts, with_agency, by, *, now=NOW, recall_on=None):
    return placement_create(
        accounts=accounts, agency=with_agency, by=by, recall_on=recall_on, now=now
    )
