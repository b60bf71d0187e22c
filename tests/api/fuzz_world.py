"""The objects the fuzzing's path parameters point at: one team's accounts and their records."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from compliance.models import RestrictionKind, RestrictionSource
from compliance.services import restriction_create
from contacts.models import CallbackTask, ContactLog
from core.business_calendar import business_date
from outreach.services import dispute_open
from plans import services as plan_services
from tests.factories import AccountFactory, ContactPointFactory, TeamFactory, UserFactory
from tests.plans.factories import owing_account

#: The collection a path parameter follows → the kind of object it names.
COLLECTIONS = {
    "accounts": "account",
    "customers": "customer",
    "plans": "plan",
    "contacts": "contact",
    "contact-points": "contact_point",
    "restrictions": "restriction",
    "disputes": "dispute",
    "complaints": "complaint",
    "decisions": "decision",
    "payments": "payment",
    "callbacks": "callback",
    "promises": "promise",
    "templates": "template",
}


@dataclass
class FuzzWorld:
    specialist: object
    supervisor: object
    ids: dict[str, int] = field(default_factory=dict)

    def path_parameters(self, path: str) -> dict[str, int]:
        """Each ``{param}`` of ``path`` → the id of the object its collection names."""
        values = {}
        for collection, name in re.findall(r"/([\w-]+)/\{(\w+)\}", path):
            kind = COLLECTIONS.get(collection)
            if kind is None and name.endswith("_id"):
                kind = COLLECTIONS.get(name[:-3] + "s")
            values[name] = self.ids.get(kind or "", 1)
        return values


def fuzz_world() -> FuzzWorld:
    team = TeamFactory(code="fuzz", name="Fuzz team")
    specialist = UserFactory(username="fuzz-specialist", team=team)
    specialist.groups.add(_group("specialist"))
    supervisor = UserFactory(username="fuzz-supervisor", team=team)
    supervisor.groups.add(_group("supervisor"))
    account = owing_account(team, assigned_to=specialist, delinquent_since=date(2026, 9, 1))
    AccountFactory(team=team, assigned_to=specialist)
    point = ContactPointFactory(customer=account.customer, value="+12125550142")
    plan = plan_services.plan_create(
        account=account,
        by=specialist,
        method="equal_installment",
        annual_rate=Decimal("0.12"),
        installments=12,
        start_date=business_date() + timedelta(days=7),
    )
    contact = ContactLog.objects.create(
        account=account,
        customer=account.customer,
        channel="inbound_call",
        direction="inbound",
        occurred_at=plan.created_at,
        outcome="conversation",
        user=specialist,
    )
    now = plan.created_at
    restriction = restriction_create(
        by=supervisor,
        account=account,
        kind=RestrictionKind.CHANNEL_OPT_OUT,
        source=RestrictionSource.CUSTOMER_VERBAL,
        channel="sms",
        now=now,
    )
    dispute = dispute_open(account=account, description="Not mine", by=specialist, now=now)
    callback = CallbackTask.objects.create(
        account=account, due_at=plan.created_at + timedelta(days=1), assigned_to=specialist
    )
    ids = {
        "account": account.pk,
        "customer": account.customer_id,
        "plan": plan.pk,
        "contact": contact.pk,
        "contact_point": point.pk,
        "restriction": restriction.pk,
        "dispute": dispute.pk,
        "callback": callback.pk,
    }
    return FuzzWorld(specialist=specialist, supervisor=supervisor, ids=ids)


def _group(name: str):
    from django.contrib.auth.models import Group

    return Group.objects.get(name=name)
