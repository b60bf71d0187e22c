"""Every way a person or the seeding saves a message template checks it with compliance first:
the admin form refuses a failing text with the rule's reason, and the seeding stops on one."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from contacts.models import MessageTemplate
from outreach import strategies
from outreach.strategies import templates_seed
from tests.compliance.factories import MessageTemplateFactory

pytestmark = pytest.mark.django_db

GOOD_SMS = (
    "Acme Recovery is a debt collector. {name}, your payment of {amount} {currency} is due "
    "{due_date}. Reply STOP to opt out."
)
ADD_URL = "/admin/contacts/messagetemplate/add/"


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def form(**fields) -> dict:
    return {
        "code": "reminder",
        "name": "Reminder",
        "jurisdiction": "US",
        "channel": "sms",
        "language": "en",
        "tone": "general",
        "stage": "subsequent",
        "subject": "",
        "body": GOOD_SMS,
        "is_active": "on",
        **fields,
    }


def errors(response) -> dict:
    return response.context["adminform"].form.errors


def test_the_admin_saves_a_compliant_text_stamped_as_checked(admin_client):
    response = admin_client.post(ADD_URL, form())

    assert response.status_code == 302, response.content.decode()
    assert MessageTemplate.objects.get(code="reminder").checked_at is not None


def test_the_admin_refuses_a_threat_with_the_rules_reason(admin_client):
    response = admin_client.post(ADD_URL, form(body=GOOD_SMS + " Pay or you'll go to jail."))

    assert response.status_code == 200  # the form again, with the error
    assert "you'll go to jail" in " ".join(errors(response)["body"])
    assert not MessageTemplate.objects.exists()


def test_the_admin_refuses_an_edit_into_a_failing_text(admin_client):
    saved = MessageTemplateFactory(code="reminder")

    response = admin_client.post(
        f"/admin/contacts/messagetemplate/{saved.pk}/change/",
        form(body="We know where you live. " + GOOD_SMS),
    )

    assert response.status_code == 200
    assert errors(response)["body"]
    saved.refresh_from_db()
    assert "We know where you live" not in saved.body


def test_the_seeding_stops_on_a_failing_default(monkeypatch):
    monkeypatch.setattr(
        strategies,
        "TEXTS",
        {("payment-due", "en"): {"general": ("Due", "{name}, pay or you'll go to jail.")}},
    )

    with pytest.raises(ValidationError):
        templates_seed()

    assert not MessageTemplate.objects.exists()


def test_the_seeding_checks_and_stamps_every_default():
    created = templates_seed()

    assert created == MessageTemplate.objects.count() > 0
    assert not MessageTemplate.objects.filter(checked_at__isnull=True).exists()
