"""Contact points: phones normalised with phonenumbers, masked out, duplicates refused."""

import pytest

from contacts.models import ContactPoint
from tests.factories import AccountFactory, CustomerFactory

pytestmark = pytest.mark.django_db


def url(customer):
    return f"/api/v1/customers/{customer.pk}/contact-points/"


def test_a_national_us_number_is_stored_in_e164(api, specialist, team):
    account = AccountFactory(team=team)
    response = api.as_user(specialist).post(
        url(account.customer), {"kind": "phone", "value": "(212) 555-0187"}, format="json"
    )
    assert response.status_code == 201, response.json()
    point = ContactPoint.objects.get()
    assert (point.value, point.region) == ("+12125550187", "US")
    assert response.json()["value"] == "+1 ••••••0187"


def test_a_chinese_mobile_uses_the_customers_jurisdiction_as_default_region(api, admin_user):
    customer = CustomerFactory(jurisdiction="CN", time_zone="Asia/Shanghai")
    response = api.as_user(admin_user).post(
        url(customer), {"kind": "phone", "value": "138 1234 5678"}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert ContactPoint.objects.get().value == "+8613812345678"


@pytest.mark.parametrize(
    ("kind", "value"), [("phone", "12345"), ("phone", "not a number"), ("email", "bob@")]
)
def test_invalid_values_are_a_400_on_value(api, admin_user, kind, value):
    customer = CustomerFactory()
    response = api.as_user(admin_user).post(
        url(customer), {"kind": kind, "value": value}, format="json"
    )
    assert response.status_code == 400
    assert "value" in response.json()
    assert ContactPoint.objects.count() == 0


def test_the_same_number_twice_is_refused(api, admin_user):
    customer = CustomerFactory()
    client = api.as_user(admin_user)
    assert (
        client.post(
            url(customer), {"kind": "phone", "value": "+1 212 555 0100"}, format="json"
        ).status_code
        == 201
    )
    again = client.post(url(customer), {"kind": "phone", "value": "212-555-0100"}, format="json")
    assert again.status_code == 400
    assert "value" in again.json()


def test_opt_out_and_time_zone_override_are_kept(api, admin_user):
    customer = CustomerFactory()
    response = api.as_user(admin_user).post(
        url(customer),
        {
            "kind": "email",
            "value": "Jane@Example.com",
            "opted_out": True,
            "time_zone": "America/Los_Angeles",
        },
        format="json",
    )
    assert response.status_code == 201
    point = ContactPoint.objects.get()
    assert (point.value, point.opted_out, point.time_zone) == (
        "jane@example.com",
        True,
        "America/Los_Angeles",
    )
    assert point.opted_out_at is not None
    assert response.json()["value"] == "j•••@example.com"


def test_a_bad_time_zone_override_is_refused(api, admin_user):
    customer = CustomerFactory()
    response = api.as_user(admin_user).post(
        url(customer),
        {"kind": "email", "value": "a@b.com", "time_zone": "Nowhere/Land"},
        format="json",
    )
    assert response.status_code == 400
    assert "time_zone" in response.json()
