"""The agency's file: exactly the columns it needs, and no personal data beyond them."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
import time_machine

from agencies import export
from tests.agencies.factories import NOW, TODAY, agency, place
from tests.compliance.factories import ContactLogFactory
from tests.factories import AccountFactory, ContactPointFactory, CustomerFactory

pytestmark = pytest.mark.django_db

EXPECTED = [
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
]


@pytest.fixture(autouse=True)
def _pinned(settings):
    settings.BUSINESS_DATE = TODAY.isoformat()
    with time_machine.travel(NOW, tick=False):
        yield


def _read(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8"))))


def test_the_file_has_exactly_the_columns_the_agency_needs(team, supervisor, specialist):
    customer = CustomerFactory(
        name="Pat Doe",
        national_id="900-55-1234",
        date_of_birth=date(1980, 5, 17),
        address_line="1 Main Street",
        city="Springfield",
        region="IL",
        postal_code="62701",
        country="US",
    )
    account = AccountFactory(team=team, customer=customer, number="4000123412341234")
    ContactPointFactory(customer=customer, value="+12125550101", is_primary=True)
    ContactPointFactory(customer=customer, value="+12125550102", opted_out=True)
    ContactPointFactory(customer=customer, value="+12125550103", is_valid=False)
    ContactPointFactory(customer=customer, kind="email", value="pat@example.com")
    ContactPointFactory(customer=customer, kind="email", value="old@example.com", opted_out=True)
    ContactLogFactory(account=account, user=specialist, notes="Said the dog ate the statement")

    batch = place([account], agency(), supervisor)
    content = bytes(batch.export_content)
    header = content.decode("utf-8").splitlines()[0].split(",")
    (row,) = _read(content)

    assert header == EXPECTED == list(export.COLUMNS)
    assert row == {
        "placement_id": str(batch.placements.get().pk),
        "account_number": "4000123412341234",
        "customer_name": "Pat Doe",
        "address_line": "1 Main Street",
        "city": "Springfield",
        "region": "IL",
        "postal_code": "62701",
        "country": "US",
        "phones": "+12125550101",
        "emails": "pat@example.com",
        "currency": "USD",
        "principal_balance": "1000.00",
        "interest_balance": "50.00",
        "fee_balance": "25.00",
        "total_balance": "1075.00",
        "past_due_amount": "200.00",
        "delinquent_since": "2026-10-01",
        "recall_on": "2027-05-22",
    }
    text = content.decode("utf-8")
    for secret in ("900-55-1234", "1980-05-17", "dog ate", "+12125550102", "+12125550103", "old@"):
        assert secret not in text


def test_a_name_a_spreadsheet_would_run_is_written_as_text(team, supervisor):
    account = AccountFactory(team=team, customer=CustomerFactory(name='=HYPERLINK("x")'))
    (row,) = _read(bytes(place([account], agency(), supervisor).export_content))
    assert row["customer_name"] == '\'=HYPERLINK("x")'


def test_one_batch_one_file_with_every_account_and_its_hash(team, supervisor):
    accounts = [AccountFactory(team=team) for _ in range(3)]
    batch = place(accounts, agency(), supervisor)
    rows = _read(bytes(batch.export_content))
    assert {r["account_number"] for r in rows} == {a.number for a in accounts}
    assert batch.export_sha256 == export.sha256(bytes(batch.export_content))
    assert len(batch.export_sha256) == 64
