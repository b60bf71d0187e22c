"""Factories for compliance tests: logged contacts, restrictions, message templates."""

from __future__ import annotations

from datetime import UTC, date, datetime

import factory

from compliance.models import CommunicationRestriction
from contacts.models import ContactLog, MessageTemplate
from outreach.services import message_template_save
from tests.factories import AccountFactory


class ContactLogFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContactLog

    account = factory.SubFactory(AccountFactory)
    customer = factory.SelfAttribute("account.customer")
    channel = "call"
    direction = "outbound"
    occurred_at = datetime(2026, 4, 1, 14, tzinfo=UTC)
    outcome = "no_answer"
    source = "specialist"


class RestrictionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CommunicationRestriction

    account = None
    customer = factory.SubFactory("tests.factories.CustomerFactory")
    kind = "cease_communication"
    effective_from = date(2020, 1, 1)
    source = "customer_written"


class MessageTemplateFactory(factory.django.DjangoModelFactory):
    """Saved through ``message_template_save``, as every template is: checked first."""

    class Meta:
        model = MessageTemplate

    code = factory.Sequence(lambda n: f"reminder-{n}")
    name = "Payment reminder"
    jurisdiction = "US"
    channel = "sms"
    language = "en"
    tone = "general"
    stage = "subsequent"
    body = (
        "Acme Recovery is a debt collector. {name}, your payment of {amount} {currency} is due "
        "{due_date}. Reply STOP to opt out."
    )

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return message_template_save(template=model_class(*args, **kwargs))
