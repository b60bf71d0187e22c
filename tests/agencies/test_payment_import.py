"""The payment file with an agency's columns: the payment, its source and the commission."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine

from agencies.models import AgencyCommission
from feeds.payments import payments_import
from plans.models import Payment
from tests.agencies.factories import NOW, agency, place
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db

LATER = NOW + timedelta(days=3)
HEADER = "reference,account_number,amount,received_at,agency,commission\n"


@pytest.fixture(autouse=True)
def _pinned(settings):
    settings.BUSINESS_DATE = ""
    with time_machine.travel(LATER, tick=False):
        yield


@pytest.fixture
def placed(team, supervisor):
    """Two accounts placed with Acme (17.5 %) on the 23rd, one with Bravo."""
    acme, bravo = agency("acme", rate="17.50"), agency("bravo")
    one = AccountFactory(team=team, number="ACC-1")
    two = AccountFactory(team=team, number="ACC-2")
    three = AccountFactory(team=team, number="ACC-3")
    place([one, two], acme, supervisor, now=NOW)
    place([three], bravo, supervisor, now=NOW)
    return acme, bravo


def _run(tmp_path, text):
    path = tmp_path / "agency.csv"
    path.write_text(text, encoding="utf-8")
    return payments_import(path, now=LATER)


def test_an_agency_reports_payments_with_and_without_its_commission(tmp_path, placed):
    result = _run(
        tmp_path,
        HEADER + "A-1,ACC-1,100.00,2026-11-24,acme,25.00\n"
        "A-2,ACC-2,100.03,2026-11-25,acme,\n"
        "B-1,ACC-3,50.00,2026-11-25,,\n",
    )

    assert result.errors == [] and result.posted == 3
    given = AgencyCommission.objects.get(payment__reference="A-1")
    assert (given.amount, given.placement.agency.code) == (Decimal("25.00"), "acme")
    # 17.5 % of 100.03 = 17.50525: rounded half up to the cent.
    assert AgencyCommission.objects.get(payment__reference="A-2").amount == Decimal("17.51")
    assert Payment.objects.get(reference="A-1").source == "agency"
    assert Payment.objects.get(reference="B-1").source == "file"  # paid to the bank itself
    assert not AgencyCommission.objects.filter(payment__reference="B-1").exists()


def test_an_agency_that_does_not_hold_the_account_is_refused_and_nothing_posted(tmp_path, placed):
    result = _run(
        tmp_path,
        HEADER + "A-1,ACC-1,100.00,2026-11-24,acme,\n"
        "A-2,ACC-3,100.00,2026-11-24,acme,\n"
        "A-3,ACC-2,100.00,2026-11-24,nobody,\n",
    )

    assert result.errors == [
        "line 3: agency: acme does not hold this account",
        "line 4: agency: unknown agency nobody",
    ]
    assert not Payment.objects.exists() and not AgencyCommission.objects.exists()


def test_an_agency_is_refused_for_an_account_never_placed_or_recalled(
    tmp_path, placed, team, supervisor
):
    from agencies.models import Placement
    from agencies.services import placement_recall

    AccountFactory(team=team, number="ACC-9")
    placement_recall(
        placement=Placement.objects.get(account__number="ACC-1"),
        by=supervisor,
        reason="Back",
        now=NOW + timedelta(days=1),
    )
    result = _run(
        tmp_path,
        HEADER + "A-1,ACC-9,10.00,2026-11-24,acme,\nA-2,ACC-1,10.00,2026-11-24,acme,\n",
    )
    assert result.errors == [
        "line 2: agency: acme does not hold this account",
        "line 3: agency: acme does not hold this account",
    ]


def test_bad_commissions_are_refused_by_line_and_field(tmp_path, placed):
    result = _run(
        tmp_path,
        HEADER + "A-1,ACC-1,100.00,2026-11-24,acme,100.01\n"
        "A-2,ACC-2,100.00,2026-11-24,acme,1.001\n"
        "A-3,ACC-2,100.00,2026-11-24,,5.00\n"
        "A-4,ACC-2,100.00,2026-11-24,acme,-1\n"
        "A-5,ACC-2,100.00,2026-11-20,acme,\n",
    )
    assert result.errors == [
        "line 2: commission: more than the amount",
        "line 3: commission: more decimal places than USD allows",
        "line 4: commission: only with an agency",
        "line 5: commission: not an amount like 12.50",
        "line 6: agency: received before the account was placed with acme",
    ]
    assert not Payment.objects.exists()


def test_a_file_reimported_records_each_commission_once(tmp_path, placed):
    text = HEADER + "A-1,ACC-1,100.00,2026-11-24,acme,\n"
    assert _run(tmp_path, text).posted == 1
    again = _run(tmp_path, text)
    assert again.errors == [] and again.posted == 0
    assert AgencyCommission.objects.count() == 1


def test_the_agency_columns_are_optional(tmp_path, placed):
    result = _run(
        tmp_path, "reference,account_number,amount,received_at\nX-1,ACC-1,5.00,2026-11-24\n"
    )
    assert result.errors == [] and result.posted == 1


def test_a_placement_recalled_while_the_file_is_posted_posts_nothing(tmp_path, placed, monkeypatch):
    from agencies.models import Placement
    from feeds import payments

    real = payments.payment_post

    def recalled_meanwhile(**kwargs):
        Placement.objects.filter(account=kwargs["account"]).update(status="recalled")
        return real(**kwargs)

    monkeypatch.setattr(payments, "payment_post", recalled_meanwhile)
    result = _run(tmp_path, HEADER + "A-1,ACC-1,100.00,2026-11-24,acme,\n")
    assert result.errors == ["line 2: agency: acme no longer holds this account"]
    assert not Payment.objects.exists() and not AgencyCommission.objects.exists()
