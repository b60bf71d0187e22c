"""Portal fixtures: a verified customer in a browser-like test client, with the codes the
portal sends captured instead of transmitted."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from accounts.portal_links import link_token
from outreach.backends import BaseBackend
from tests.factories import ContactPointFactory, TeamFactory
from tests.plans.factories import owing_account

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # 10:00 in New York
DOB = date(1980, 5, 17)


class CaptureBackend(BaseBackend):
    sent: list = []

    def send(self, message):
        CaptureBackend.sent.append(message)
        return message.idempotency_key


@pytest.fixture(autouse=True)
def _capture(settings):
    CaptureBackend.sent = []
    settings.SETTLE_CHANNEL_BACKENDS = {
        "sms": "tests.portal.conftest.CaptureBackend",
        "email": "tests.portal.conftest.CaptureBackend",
        "letter": "tests.portal.conftest.CaptureBackend",
    }
    settings.SETTLE_PORTAL_BASE_URL = "https://pay.example.test"


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def account(db):
    acc = owing_account(
        TeamFactory(), customer__date_of_birth=DOB, customer__national_id="123-45-6789"
    )
    ContactPointFactory(customer=acc.customer, kind="phone", value="+12125550100")
    return acc


def token_for(customer, *, until=date(2026, 12, 23)) -> str:
    return link_token(customer.pk, valid_until=until)


def sent_code() -> str:
    return re.search(r"\b(\d{6})\b", CaptureBackend.sent[-1].body).group(1)


def sign_in(client: Client, customer) -> Client:
    """Link → date of birth → code by SMS → verified."""
    response = client.get(reverse("portal:link", args=[token_for(customer)]))
    assert response.status_code == 302, response.content
    client.post(reverse("portal:verify"), {"date_of_birth": DOB.isoformat()})
    point = customer.contact_points.get(kind="phone")
    client.post(reverse("portal:code"), {"action": "send", "point": point.pk})
    response = client.post(reverse("portal:code"), {"action": "check", "code": sent_code()})
    assert response.status_code == 302 and response.url == reverse("portal:home")
    return client


@pytest.fixture
def portal(client, account, clock):
    return sign_in(client, account.customer)
