"""POST /api/v1/plans/quote/: the API.md contract, PLANS.md's numbers, a 400 per bad field."""

from datetime import date
from decimal import Decimal

import pytest

from plans.models import PlanPolicy
from plans.schedule import Terms, build_schedule
from tests.factories import AccountFactory, UserFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/plans/quote/"
EXAMPLE = {
    "principal": "10000.00",
    "method": "equal_installment",
    "annual_rate": "0.12",
    "period_fee_rate": None,
    "installments": 12,
    "frequency": "monthly",
    "start_date": "2026-12-01",
    "first_due_date": "2027-01-01",
    "down_payment": "0.00",
    "day_count": "30/360",
    "rounding": "half_up",
}


def quote(client, **changes):
    body = {**EXAMPLE, **changes}
    return client.post(URL, {k: v for k, v in body.items() if v is not ...}, format="json")


def test_the_worked_example_to_the_cent(api, specialist):
    response = quote(api.as_user(specialist))

    assert response.status_code == 200
    data = response.json()
    rows = data["installments"]
    assert rows[0] == {
        "number": 1,
        "due_date": "2027-01-01",
        "principal": "788.49",
        "interest": "100.00",
        "fee": "0.00",
        "amount": "888.49",
        "balance_after": "9211.51",
    }
    assert (rows[1]["interest"], rows[1]["principal"]) == ("92.12", "796.37")
    assert rows[-1] == {
        "number": 12,
        "due_date": "2027-12-01",
        "principal": "879.67",
        "interest": "8.80",
        "fee": "0.00",
        "amount": "888.47",
        "balance_after": "0.00",
    }
    assert {k: v for k, v in data.items() if k != "installments"} == {
        "currency": "USD",
        "down_payment": "0.00",
        "amount_financed": "10000.00",
        "total_principal": "10000.00",
        "total_interest": "661.86",
        "total_fees": "0.00",
        "total_payable": "10661.86",
        "apr": "0.1200",
    }


def test_defaults_apply_when_optional_fields_are_left_out(api, specialist):
    response = api.as_user(specialist).post(
        URL,
        {
            "principal": "10000.00",
            "method": "equal_installment",
            "annual_rate": "0.12",
            "installments": 12,
            "start_date": "2026-12-01",
        },
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["installments"][0]["due_date"] == "2027-01-01"
    assert response.json()["total_interest"] == "661.86"


def test_a_flat_fee_quote_reports_the_true_apr(api, specialist):
    response = quote(
        api.as_user(specialist), method="flat_fee", annual_rate=None, period_fee_rate="0.006"
    )
    assert response.status_code == 200
    data = response.json()
    assert data["installments"][0]["fee"] == "60.00"
    assert data["total_fees"] == "720.00"
    assert data["apr"] == "0.1303"


@pytest.mark.parametrize(
    "method", ["equal_installment", "equal_principal", "flat_fee", "interest_free"]
)
@pytest.mark.parametrize("day_count", ["30/360", "actual/365", "actual/360"])
@pytest.mark.parametrize("rounding", ["half_up", "half_even"])
def test_every_method_day_count_and_rounding_matches_the_engine(
    api, specialist, method, day_count, rounding
):
    rates = {
        "annual_rate": "0.0735" if method in ("equal_installment", "equal_principal") else None,
        "period_fee_rate": "0.0045" if method == "flat_fee" else None,
    }
    changes = {
        "principal": "24000.00",
        "method": method,
        "installments": 18,
        "first_due_date": "2027-01-15",
        "down_payment": "1500.00",
        "day_count": day_count,
        "rounding": rounding,
        **rates,
    }
    response = quote(api.as_user(specialist), **changes)
    assert response.status_code == 200, response.json()

    expected = build_schedule(
        Terms(
            principal=Decimal("24000.00"),
            method=method,
            installments=18,
            start_date=date(2026, 12, 1),
            first_due_date=date(2027, 1, 15),
            down_payment=Decimal("1500.00"),
            day_count=day_count,
            rounding=rounding,
            annual_rate=Decimal(rates["annual_rate"]) if rates["annual_rate"] else None,
            period_fee_rate=Decimal(rates["period_fee_rate"]) if rates["period_fee_rate"] else None,
        )
    )
    data = response.json()
    assert [
        (r["amount"], r["interest"], r["fee"], r["principal"]) for r in data["installments"]
    ] == [
        (str(r.amount), str(r.interest), str(r.fee), str(r.principal))
        for r in expected.installments
    ]
    assert data["total_payable"] == str(expected.total_payable)
    assert data["apr"] == str(expected.apr)
    assert sum(Decimal(r["principal"]) for r in data["installments"]) == Decimal("22500.00")


def test_yen_has_no_minor_unit(api, specialist):
    response = quote(api.as_user(specialist), principal="1000000", down_payment="0", currency="JPY")
    assert response.status_code == 200
    data = response.json()
    assert data["installments"][0]["amount"] == "88849"
    assert data["total_payable"] == "1066186"


@pytest.mark.parametrize(
    ("field", "changes"),
    [
        ("principal", {"principal": "-100.00"}),
        ("principal", {"principal": "0"}),
        ("principal", {"principal": "ten"}),
        ("principal", {"principal": "100.005"}),
        ("principal", {"principal": ...}),
        ("method", {"method": "balloon"}),
        ("annual_rate", {"annual_rate": None}),
        ("annual_rate", {"annual_rate": "-0.01"}),
        ("period_fee_rate", {"method": "flat_fee", "annual_rate": None}),
        ("period_fee_rate", {"period_fee_rate": "0.01"}),
        ("installments", {"installments": 0}),
        ("installments", {"installments": 61}),
        ("installments", {"installments": 2.5}),
        ("frequency", {"frequency": "daily"}),
        ("start_date", {"start_date": "2026-13-01"}),
        ("start_date", {"start_date": ...}),
        ("first_due_date", {"first_due_date": "2026-11-30"}),
        ("first_due_date", {"first_due_date": "2026-12-01"}),
        ("down_payment", {"down_payment": "10000.00"}),
        ("down_payment", {"down_payment": "-1.00"}),
        ("day_count", {"day_count": "actual/actual"}),
        ("rounding", {"rounding": "bankers"}),
        ("currency", {"currency": "XXX"}),
    ],
)
def test_invalid_input_is_a_400_naming_the_field(api, specialist, field, changes):
    response = quote(api.as_user(specialist), **changes)
    assert response.status_code == 400
    assert list(response.json()) == [field], response.json()
    assert response.json()[field]


def test_the_maximum_term_comes_from_the_accounts_jurisdiction(api, specialist, team):
    PlanPolicy.objects.filter(jurisdiction="US").update(max_installments=24)
    account = AccountFactory(team=team)
    response = quote(api.as_user(specialist), installments=36, account=account.pk)
    assert response.status_code == 400
    assert response.json()["installments"] == ["Must be a whole number from 1 to 24."]


def test_a_cn_quote_allows_60_installments(api, other_specialist):
    response = quote(api.as_user(other_specialist), installments=60, currency="CNY")
    assert response.status_code == 200
    assert len(response.json()["installments"]) == 60
    assert quote(api.as_user(other_specialist), installments=61).status_code == 400


def test_another_teams_account_is_forbidden(api, specialist, other_team):
    account = AccountFactory(team=other_team)
    assert quote(api.as_user(specialist), account=account.pk).status_code == 403


def test_a_quote_needs_a_settle_role(api, team):
    assert quote(api).status_code == 401
    assert quote(api.as_user(UserFactory(team=team))).status_code == 403
