"""/accounts/{id}/payments/, /promises/ and /plan-options/: status codes and database state."""

from decimal import Decimal

import pytest
import time_machine

from plans.models import Payment, PromiseToPay
from plans.schedule import Method, Terms, build_schedule
from tests.plans.factories import NOW, START, active_plan, owing_account

pytestmark = pytest.mark.django_db

PAYMENT = {"amount": "150.00", "received_at": "2026-11-23T09:00:00-05:00", "reference": "BANK-77"}


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def payments_url(account):
    return f"/api/v1/accounts/{account.pk}/payments/"


# --- Payments ----------------------------------------------------------------------------------
def test_a_supervisor_posts_a_payment_once(api, supervisor, specialist, team):
    account = owing_account(team)
    active_plan(account, specialist)
    client = api.as_user(supervisor)

    created = client.post(payments_url(account), PAYMENT, format="json")
    assert created.status_code == 201, created.json()
    data = created.json()
    assert (data["amount"], data["reference"], data["created_by"]) == ("150.00", "BANK-77", "sue")
    assert data["received_at"] == "2026-11-23T14:00:00Z"
    assert data["allocations"] == [
        {"installment": 1, "component": "interest", "amount": "100.00"},
        {"installment": 1, "component": "principal", "amount": "50.00"},
    ]

    again = client.post(payments_url(account), PAYMENT, format="json")
    assert again.status_code == 200
    assert again.json()["id"] == data["id"]
    assert Payment.objects.count() == 1


def test_the_same_reference_with_another_amount_is_a_409(api, supervisor, team):
    account = owing_account(team)
    client = api.as_user(supervisor)
    client.post(payments_url(account), PAYMENT, format="json")
    response = client.post(payments_url(account), {**PAYMENT, "amount": "151.00"}, format="json")
    assert response.status_code == 409
    assert "150.00" in response.json()["detail"]
    assert Payment.objects.get().amount == Decimal("150.00")


def test_specialists_do_not_post_payments(api, specialist, team):
    account = owing_account(team)
    response = api.as_user(specialist).post(payments_url(account), PAYMENT, format="json")
    assert response.status_code == 403
    assert not Payment.objects.exists()
    assert api.as_user(specialist).get(payments_url(account)).status_code == 200


def test_another_teams_account_is_forbidden(api, supervisor, other_team):
    account = owing_account(other_team)
    assert (
        api.as_user(supervisor).post(payments_url(account), PAYMENT, format="json").status_code
        == 403
    )
    assert api.as_user(supervisor).get(payments_url(account)).status_code == 403


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("amount", "-1.00"),
        ("amount", "0.00"),
        ("amount", "abc"),
        ("received_at", "2026-11-23T09:00:00"),
        ("received_at", "2026-11-30T09:00:00Z"),
        ("reference", ""),
        ("reference", "R" * 65),
    ],
)
def test_bad_payments_are_a_400_naming_the_field(api, supervisor, team, field, value):
    account = owing_account(team)
    response = api.as_user(supervisor).post(
        payments_url(account), {**PAYMENT, field: value}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()) == [field], response.json()


def test_the_payment_list_shows_allocations(api, supervisor, team):
    account = owing_account(team)
    client = api.as_user(supervisor)
    client.post(payments_url(account), PAYMENT, format="json")
    rows = client.get(payments_url(account)).json()["results"]
    assert rows[0]["allocations"] == [{"installment": None, "component": "fee", "amount": "150.00"}]


# --- Promises ----------------------------------------------------------------------------------
def test_promises_are_listed_and_created(api, specialist, team):
    account = owing_account(team)
    client = api.as_user(specialist)
    url = f"/api/v1/accounts/{account.pk}/promises/"

    response = client.post(url, {"amount": "200.00", "due_date": "2026-11-30"}, format="json")
    assert response.status_code == 201, response.json()
    assert (response.json()["status"], response.json()["created_by"]) == ("pending", "sam")
    assert client.get(url).json()["results"][0]["amount"] == "200.00"

    second = client.post(url, {"amount": "100.00", "due_date": "2026-12-05"}, format="json")
    assert second.status_code == 409
    assert PromiseToPay.objects.count() == 1


def test_bad_promises_are_a_400(api, specialist, team, other_team):
    account = owing_account(team)
    client = api.as_user(specialist)
    url = f"/api/v1/accounts/{account.pk}/promises/"
    response = client.post(url, {"amount": "200.00", "due_date": "2026-11-01"}, format="json")
    assert (response.status_code, list(response.json())) == (400, ["due_date"])
    response = client.post(url, {"amount": "0", "due_date": "2026-12-01"}, format="json")
    assert (response.status_code, list(response.json())) == (400, ["amount"])
    theirs = owing_account(other_team)
    assert client.get(f"/api/v1/accounts/{theirs.pk}/promises/").status_code == 403


# --- Plan options ------------------------------------------------------------------------------
def test_plan_options_propose_the_shortest_affordable_term(api, specialist, team):
    # Owes 10,000.00; declares 4,000 income and 3,000 expenses.
    account = owing_account(team, customer__monthly_income=Decimal("4000.00"))
    response = api.as_user(specialist).get(
        f"/api/v1/accounts/{account.pk}/plan-options/?annual_rate=0.12&start_date=2026-12-01"
    )
    assert response.status_code == 200, response.json()
    data = response.json()
    assert (data["budget"], data["disposable_income"], data["affordability_share"]) == (
        "500.00",
        "1000.00",
        "0.50",
    )
    assert (data["max_installments"], data["min_installment"]) == (60, "25.00")

    def installment(n):
        terms = Terms(
            principal=Decimal("10000.00"),
            method=Method.EQUAL_INSTALLMENT,
            annual_rate=Decimal("0.12"),
            installments=n,
            start_date=START,
        )
        return max(row.amount for row in build_schedule(terms).installments)

    shortest = next(n for n in range(1, 61) if installment(n) <= Decimal("500.00"))
    recommended = data["recommended"]
    assert recommended["installments"] == shortest == 23
    assert recommended["installment"] == str(installment(shortest))
    assert recommended["affordable"] is True
    terms = [o["installments"] for o in data["options"]]
    assert terms == [3, 6, 9, 12, 18, 23, 24, 36, 48, 60]
    by_term = {o["installments"]: o for o in data["options"]}
    assert by_term[12]["affordable"] is False
    assert by_term[12]["apr"] == "0.1200"
    assert by_term[12]["total_cost"] == "661.86"


def test_plan_options_without_declared_income_recommend_nothing(api, specialist, team):
    account = owing_account(team)
    account.customer.monthly_income = None
    account.customer.save()
    response = api.as_user(specialist).get(
        f"/api/v1/accounts/{account.pk}/plan-options/?method=interest_free"
    )
    assert response.status_code == 200
    assert response.json()["recommended"] is None
    assert {o["affordable"] for o in response.json()["options"]} == {None}


def test_plan_options_need_the_methods_rate(api, specialist, team):
    account = owing_account(team)
    response = api.as_user(specialist).get(f"/api/v1/accounts/{account.pk}/plan-options/")
    assert response.status_code == 400
    assert list(response.json()) == ["annual_rate"]
