"""Phone numbers' time zones: resolved once when a contact point is stored (``core.phones``,
``ContactPoint.save``, ``phone_zones_resolve`` after a bulk load), the answer ``phonenumbers``
gives."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers import timezone as phone_timezone

from accounts.models import ContactPoint
from accounts.services import phone_zones_resolve
from contacts.services import contact_point_update
from core.phones import UNKNOWN_ZONE, phone_time_zones, zones_from_text, zones_text
from tests.factories import ContactPointFactory, CustomerFactory


def parsed_zones(text: str) -> tuple[str, ...]:
    """The slow, obvious way: parse, then ask phonenumbers."""
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        return ()
    return tuple(z for z in phone_timezone.time_zones_for_number(number) if z != UNKNOWN_ZONE)


@settings(max_examples=3000, deadline=None)
@given(
    st.one_of(
        # NANP and China, where the portfolio lives, with every area code and length.
        st.from_regex(r"\+1[0-9]{3,12}", fullmatch=True),
        st.from_regex(r"\+86[0-9]{4,13}", fullmatch=True),
        # Anything else "+digits" (leading zeros, national prefixes, odd lengths).
        st.from_regex(r"\+[0-9]{1,18}", fullmatch=True),
        st.text(max_size=20),
    )
)
def test_the_fast_lookup_answers_as_phonenumbers_does(text):
    assert phone_time_zones.__wrapped__(text) == parsed_zones(text)


def test_known_numbers():
    assert phone_time_zones("+14155552671") == ("America/Los_Angeles",)
    assert phone_time_zones("+8613812345678") == ("Asia/Shanghai",)
    assert len(phone_time_zones("+18005551234")) > 10  # toll-free: every NANP zone
    assert phone_time_zones("+390612345678") == ("Europe/Rome",)  # Italian leading zero
    assert phone_time_zones("not a number") == ()
    assert zones_from_text(zones_text(("America/Denver", "America/Phoenix"))) == (
        "America/Denver",
        "America/Phoenix",
    )


@pytest.mark.django_db
def test_a_stored_phone_carries_its_zones_and_they_follow_a_new_number():
    point = ContactPointFactory(value="+14155552671")
    point.refresh_from_db()
    assert point.phone_time_zones == "America/Los_Angeles"

    contact_point_update(point=point, by=None, data={"value": "+1 212 555 0100"})
    point.refresh_from_db()
    assert (point.value, point.phone_time_zones) == ("+12125550100", "America/New_York")

    point.value = "+13125550199"
    point.save(update_fields=["value"])  # a narrow save still moves the zones with the number
    point.refresh_from_db()
    assert point.phone_time_zones == "America/Chicago"

    email = ContactPointFactory(kind="email", value="a@example.com", customer=point.customer)
    email.refresh_from_db()
    assert email.phone_time_zones is None


@pytest.mark.django_db
def test_resolving_fills_what_a_bulk_load_left_and_nothing_else():
    customer = CustomerFactory()
    loaded = ContactPoint.objects.bulk_create(
        [
            ContactPoint(customer=customer, kind="phone", value="+14155552671"),
            ContactPoint(customer=customer, kind="phone", value="+8613812345678"),
            ContactPoint(customer=customer, kind="phone", value="+999"),  # nothing known
            ContactPoint(customer=customer, kind="email", value="b@example.com"),
        ]
    )
    kept = ContactPointFactory(customer=customer, value="+12125550100")
    ContactPoint.objects.filter(pk=kept.pk).update(phone_time_zones="Asia/Tokyo")  # its own

    assert phone_zones_resolve(chunk=2) == 3  # chunked, every unresolved phone once
    zones = dict(ContactPoint.objects.values_list("value", "phone_time_zones"))
    assert zones == {
        "+14155552671": "America/Los_Angeles",
        "+8613812345678": "Asia/Shanghai",
        "+999": "",  # resolved: no zone known (the customer's and the profile's apply)
        "b@example.com": None,
        "+12125550100": "Asia/Tokyo",  # already resolved: left alone
    }
    assert phone_zones_resolve() == 0  # idempotent
    assert len(loaded) == 4
