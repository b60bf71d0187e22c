"""The admin pages for profiles, wording, restrictions and decisions."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.admin.sites import site

from compliance.models import ComplianceDecision, JurisdictionProfile, WordingRule
from compliance.profiles import profile_for
from compliance.services import contact_check
from tests.compliance.factories import RestrictionFactory
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.mark.parametrize(
    "name",
    [
        "jurisdictionprofile",
        "wordingrule",
        "requiredtext",
        "communicationrestriction",
        "compliancedecision",
    ],
)
def test_changelists_render(admin_client, name):
    account = AccountFactory()
    RestrictionFactory(customer=account.customer)
    contact_check(
        account=account, channel="call", at=datetime(2026, 4, 7, 10, tzinfo=ZoneInfo("UTC"))
    )

    query = "?rule=cease_communication&allowed__exact=0" if name == "compliancedecision" else ""
    response = admin_client.get(f"/admin/compliance/{name}/{query}")

    assert response.status_code == 200


def test_profile_page_shows_its_wording_rules_and_required_texts(admin_client):
    us = JurisdictionProfile.objects.get(code="US")

    response = admin_client.get(f"/admin/compliance/jurisdictionprofile/{us.pk}/change/")

    assert response.status_code == 200
    assert "wording_rules-TOTAL_FORMS" in response.content.decode()
    assert "required_texts-TOTAL_FORMS" in response.content.decode()


def test_a_broken_pattern_is_refused_by_the_admin_form(admin_client):
    response = admin_client.post(
        "/admin/compliance/wordingrule/add/",
        {
            "rule": "prohibited_wording",
            "category": "insult",
            "language": "en",
            "pattern": "(unclosed",
            "is_active": "on",
        },
    )

    assert response.status_code == 200  # the form again, with the error
    assert "Not a valid regular expression" in response.content.decode()
    assert not WordingRule.objects.filter(pattern="(unclosed").exists()


def test_a_wording_rule_added_in_the_admin_applies_at_once(admin_client):
    profile_for("US")
    response = admin_client.post(
        "/admin/compliance/wordingrule/add/",
        {
            "rule": "prohibited_wording",
            "category": "insult",
            "language": "en",
            "pattern": r"\bcouch potato\b",
            "is_active": "on",
        },
    )

    assert response.status_code == 302
    assert any(p.pattern == r"\bcouch potato\b" for p in profile_for("US").wording)


def test_decisions_are_read_only_in_the_admin(rf, admin_user):
    model_admin = site._registry[ComplianceDecision]
    request = rf.get("/")
    request.user = admin_user

    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
