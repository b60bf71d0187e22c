"""Profiles are data: loaded by the migration, edited in the admin, picked up at once."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from compliance import rules
from compliance.models import JurisdictionProfile, RequiredText, WordingRule
from compliance.profiles import UnknownJurisdiction, profile_build, profile_for
from compliance.services import contact_check
from tests.compliance.factories import ContactLogFactory
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")


def ny(*args: int) -> datetime:
    return datetime(*args, tzinfo=NEW_YORK)


def test_the_migration_loads_both_profiles_as_the_built_in_defaults():
    assert profile_for("US") == rules.US_PROFILE
    assert profile_for("CN") == rules.CN_PROFILE


def test_retention_and_longest_plan_are_on_the_profile():
    us, cn = JurisdictionProfile.objects.get(code="US"), JurisdictionProfile.objects.get(code="CN")

    assert (us.retention_years, us.max_plan_installments) == (3, 60)
    assert (cn.retention_years, cn.max_plan_installments) == (2, 60)


def test_the_built_profile_is_reused_until_something_changes(django_assert_num_queries):
    first = profile_for("US")
    with django_assert_num_queries(0):
        assert profile_for("US") is first


def test_an_edited_limit_applies_to_the_next_check():
    account = AccountFactory()
    for day in (1, 2, 3):
        ContactLogFactory(account=account, occurred_at=ny(2026, 4, day, 10))
    assert contact_check(account=account, channel="call", at=ny(2026, 4, 3, 15)).allowed

    us = JurisdictionProfile.objects.get(code="US")
    us.weekly_call_limit = 3
    us.full_clean()
    us.save()

    stored = contact_check(account=account, channel="call", at=ny(2026, 4, 3, 15))
    assert [v.rule for v in stored.violations] == ["call_frequency"]
    assert stored.next_allowed_at_local() == ny(2026, 4, 8, 8)


def test_a_new_wording_rule_blocks_its_phrase_in_every_jurisdiction():
    assert message_rules("Pay or we repo your couch.") == []

    rule = WordingRule(
        rule="prohibited_wording",
        category="false_legal_threat",
        language="en",
        pattern=r"\brepo\s+your\s+couch\b",
    )
    rule.full_clean()
    rule.save()

    assert message_rules("Pay or we repo your couch.") == ["prohibited_wording"]
    assert any(p.pattern == rule.pattern for p in profile_for("CN").wording)


def message_rules(text: str) -> list[str]:
    return [v.rule for v in rules.check_wording(text, profile_for("US"))]


def test_a_deactivated_wording_rule_no_longer_matches():
    WordingRule.objects.filter(pattern__contains="dead").update(is_active=False)
    # .update() sends no signal: say so, as the admin's save would.
    from compliance.profiles import profiles_changed

    profiles_changed()

    assert message_rules("You deadbeat.") == []


def test_a_broken_pattern_cannot_be_saved():
    rule = WordingRule(category="insult", language="en", pattern="(unclosed")

    with pytest.raises(ValidationError) as excinfo:
        rule.full_clean()
    assert "pattern" in excinfo.value.message_dict


def test_a_category_must_belong_to_its_rule():
    rule = WordingRule(rule="time_barred_threat", category="insult", language="en", pattern="x")

    with pytest.raises(ValidationError) as excinfo:
        rule.full_clean()
    assert "category" in excinfo.value.message_dict


def test_required_text_patterns_are_checked_line_by_line():
    text = RequiredText(
        profile=JurisdictionProfile.objects.get(code="US"),
        kind="opt_out",
        language="en",
        accepted="reply stop\n[broken",
    )

    with pytest.raises(ValidationError) as excinfo:
        text.full_clean()
    assert "Line 2" in " ".join(excinfo.value.message_dict["accepted"])


def test_profile_fields_are_validated():
    us = JurisdictionProfile.objects.get(code="US")
    us.window_start, us.window_end = time(21), time(8)
    us.citations = {"no_such_rule": "x"}
    us.default_time_zones = ["Mars/Olympus"]

    with pytest.raises(ValidationError) as excinfo:
        us.full_clean()
    assert set(excinfo.value.message_dict) == {"window_end", "citations", "default_time_zones"}


def test_without_an_active_profile_the_built_in_rules_still_apply():
    JurisdictionProfile.objects.filter(code="US").update(is_active=False)

    assert profile_build("US") is rules.US_PROFILE


def test_a_third_jurisdiction_is_data_only():
    uk = JurisdictionProfile.objects.create(
        code="GB",
        name="United Kingdom",
        window_start=time(8),
        window_end=time(20),
        daily_connected_call_cap=2,
        retention_years=6,
        citations={"contact_window": "CONC 7.9"},
        default_time_zones=["Europe/London"],
    )
    RequiredText.objects.create(
        profile=uk, kind="opt_out", key="opt_out", language="en", accepted=r"\breply\s+stop\b"
    )

    profile = profile_for("GB")

    assert (profile.window_end, profile.daily_connected_call_cap) == (time(20), 2)
    assert profile.citation("contact_window") == "CONC 7.9"
    assert profile.opt_out_phrases == {"en": (r"\breply\s+stop\b",)}
    assert len(profile.wording) == len(rules.DEFAULT_WORDING + rules.DEBT_MENTION_PATTERNS)


def test_an_unknown_jurisdiction_is_an_error():
    with pytest.raises(UnknownJurisdiction):
        profile_for("XX")
