"""Pure rule tests: no database, no Django. Worked examples from COMPLIANCE.md first."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from compliance.rules import (
    CN_PROFILE,
    US_PROFILE,
    WORDING_CATEGORIES,
    ContactContext,
    Decision,
    PriorContact,
    Profile,
    Restriction,
    candidate_time_zones,
    check_wording,
    evaluate,
    find_prohibited_wording,
)

NEW_YORK = ZoneInfo("America/New_York")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
SHANGHAI = ZoneInfo("Asia/Shanghai")


def ny(*args: int) -> datetime:
    return datetime(*args, tzinfo=NEW_YORK)


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def us_call(at: datetime, **kwargs: object) -> ContactContext:
    fields: dict[str, object] = {
        "channel": "call",
        "profile": US_PROFILE,
        "candidate_time_zones": ("America/New_York",),
    }
    fields.update(kwargs)
    return ContactContext(at=at, **fields)  # type: ignore[arg-type]


def cn_call(at: datetime, **kwargs: object) -> ContactContext:
    fields: dict[str, object] = {
        "channel": "call",
        "profile": CN_PROFILE,
        "candidate_time_zones": ("Asia/Shanghai",),
        "language": "zh",
    }
    fields.update(kwargs)
    return ContactContext(at=at, **fields)  # type: ignore[arg-type]


def rules(decision: Decision) -> list[str]:
    return [v.rule for v in decision.violations]


def call(at: datetime, outcome: str = "no_answer", **kwargs: object) -> PriorContact:
    return PriorContact(at, "call", "outbound", outcome, **kwargs)  # type: ignore[arg-type]


# One unanswered call a day, Apr 1 (voicemail) to Apr 7 2020 (commentary example).
WEEK_OF_CALLS = (call(ny(2020, 4, 1, 10), "voicemail"),) + tuple(
    call(ny(2020, 4, day, 10)) for day in range(2, 8)
)

FIRST_SMS = (
    "Acme Recovery: this is an attempt to collect a debt and any information obtained will be "
    "used for that purpose. Your balance is $120.00. Reply STOP to opt out."
)
LATER_SMS = (
    "Acme Recovery is a debt collector. Your plan payment is due May 1. Reply STOP to opt out."
)


# --- Call frequency: 7 calls in 7 days (12 CFR 1006.14(b)(2)(i)(A)) -------------------------


def test_eighth_call_in_seven_days_is_blocked_until_next_morning() -> None:
    decision = evaluate(us_call(ny(2020, 4, 7, 15), prior_contacts=WEEK_OF_CALLS))

    assert not decision.allowed
    assert rules(decision) == ["call_frequency"]
    violation = decision.violations[0]
    assert violation.citation == "12 CFR 1006.14(b)(2)(i)(A)"
    assert "7 calls already placed on this debt from 2020-04-01 to 2020-04-07" in violation.message
    assert violation.earliest_ok == ny(2020, 4, 8, 0, 0)
    assert decision.next_allowed_at == ny(2020, 4, 8, 8, 0)
    assert decision.next_allowed_at.tzinfo is UTC


def test_call_on_the_eighth_day_is_allowed() -> None:
    decision = evaluate(us_call(ny(2020, 4, 8, 9), prior_contacts=WEEK_OF_CALLS))

    assert decision.allowed
    assert rules(decision) == []
    assert decision.next_allowed_at is None


def test_eighth_call_late_in_the_evening_waits_for_the_window_next_morning() -> None:
    decision = evaluate(us_call(ny(2020, 4, 7, 21, 30), prior_contacts=WEEK_OF_CALLS))

    assert rules(decision) == ["contact_window", "call_frequency"]
    assert decision.next_allowed_at == ny(2020, 4, 8, 8, 0)


def test_busy_signal_does_not_count_toward_the_seven() -> None:
    contacts = WEEK_OF_CALLS[:-1] + (call(ny(2020, 4, 7, 10), "not_connected"),)

    decision = evaluate(us_call(ny(2020, 4, 7, 15), prior_contacts=contacts))

    assert decision.allowed
    assert rules(decision) == []
    assert decision.next_allowed_at is None


def test_failed_calls_to_attorney_and_consented_calls_do_not_count() -> None:
    contacts = (
        call(ny(2020, 4, 1, 10), "failed"),
        call(ny(2020, 4, 2, 10), to_attorney=True),
        call(ny(2020, 4, 3, 10), with_consent=True),
        *WEEK_OF_CALLS[3:],
    )

    decision = evaluate(us_call(ny(2020, 4, 7, 15), prior_contacts=contacts))

    assert decision.allowed
    assert rules(decision) == []
    assert decision.next_allowed_at is None


def test_texts_and_emails_are_not_calls() -> None:
    texts = tuple(
        PriorContact(ny(2020, 4, day, 10), "sms", "outbound", "delivered") for day in range(1, 8)
    )
    emails = tuple(
        PriorContact(ny(2020, 4, day, 11), "email", "outbound", "delivered") for day in range(1, 8)
    )

    decision = evaluate(us_call(ny(2020, 4, 7, 15), prior_contacts=texts + emails))

    assert decision.allowed
    assert rules(decision) == []
    assert decision.next_allowed_at is None


def test_wrong_number_call_counts_because_it_connected() -> None:
    contacts = WEEK_OF_CALLS[:-1] + (call(ny(2020, 4, 7, 10), "wrong_number"),)

    decision = evaluate(us_call(ny(2020, 4, 7, 15), prior_contacts=contacts))

    assert rules(decision) == ["call_frequency"]
    assert decision.next_allowed_at == ny(2020, 4, 8, 8, 0)


def test_eight_calls_packed_into_two_days_block_until_those_days_leave_the_window() -> None:
    contacts = tuple(call(ny(2020, 4, 1, 9 + i)) for i in range(4)) + tuple(
        call(ny(2020, 4, 2, 9 + i)) for i in range(4)
    )

    decision = evaluate(us_call(ny(2020, 4, 5, 10), prior_contacts=contacts))

    assert rules(decision) == ["call_frequency"]
    # Apr 8's window is Apr 2..8 holding 4 calls; Apr 7's still holds all 8.
    assert decision.next_allowed_at == ny(2020, 4, 8, 8, 0)


def test_call_with_fresh_consent_is_not_limited_by_frequency() -> None:
    decision = evaluate(
        us_call(
            ny(2020, 4, 7, 15),
            prior_contacts=WEEK_OF_CALLS,
            consent_until=ny(2020, 4, 10, 0),
        )
    )

    assert decision.allowed
    assert rules(decision) == []
    assert decision.next_allowed_at is None


def test_frequency_violation_reports_the_local_midnight_it_clears() -> None:
    decision = evaluate(us_call(ny(2020, 4, 7, 15), prior_contacts=WEEK_OF_CALLS))

    violations = decision.violations
    assert [v.rule for v in violations] == ["call_frequency"]
    assert violations[0].earliest_ok == ny(2020, 4, 8, 0, 0)
    assert decision.next_allowed_at == ny(2020, 4, 8, 8, 0)


# --- Quiet period after a conversation (12 CFR 1006.14(b)(2)(i)(B)) --------------------------

INBOUND_CONVERSATION = PriorContact(ny(2020, 8, 13, 14), "inbound_call", "inbound", "conversation")


def test_conversation_on_thursday_blocks_calls_until_the_following_thursday() -> None:
    decision = evaluate(us_call(ny(2020, 8, 14, 10), prior_contacts=(INBOUND_CONVERSATION,)))

    assert rules(decision) == ["post_conversation"]
    assert decision.violations[0].citation == "12 CFR 1006.14(b)(2)(i)(B)"
    assert "2020-08-13" in decision.violations[0].message
    assert decision.next_allowed_at == ny(2020, 8, 20, 8, 0)


def test_call_on_the_last_quiet_day_is_still_blocked() -> None:
    decision = evaluate(us_call(ny(2020, 8, 19, 20, 59), prior_contacts=(INBOUND_CONVERSATION,)))

    assert rules(decision) == ["post_conversation"]
    assert decision.next_allowed_at == ny(2020, 8, 20, 8, 0)


def test_call_later_on_the_conversation_day_is_blocked() -> None:
    decision = evaluate(us_call(ny(2020, 8, 13, 16), prior_contacts=(INBOUND_CONVERSATION,)))

    assert rules(decision) == ["post_conversation"]
    assert decision.next_allowed_at == ny(2020, 8, 20, 8, 0)


def test_call_at_eight_on_the_seventh_day_after_conversation_is_allowed() -> None:
    decision = evaluate(us_call(ny(2020, 8, 20, 8, 0), prior_contacts=(INBOUND_CONVERSATION,)))

    assert decision.allowed
    assert rules(decision) == []
    assert decision.next_allowed_at is None


def test_outbound_conversation_also_starts_the_quiet_period() -> None:
    talked = call(ny(2020, 8, 13, 10), "conversation")

    decision = evaluate(us_call(ny(2020, 8, 17, 12), prior_contacts=(talked,)))

    assert rules(decision) == ["post_conversation"]
    assert decision.next_allowed_at == ny(2020, 8, 20, 8, 0)


def test_consent_given_during_the_conversation_allows_the_callback() -> None:
    decision = evaluate(
        us_call(
            ny(2020, 8, 17, 12),
            prior_contacts=(INBOUND_CONVERSATION,),
            consent_given_at=INBOUND_CONVERSATION.at,
            consent_until=ny(2020, 8, 18, 0),
        )
    )

    assert decision.allowed
    assert rules(decision) == []
    assert decision.next_allowed_at is None


def test_consent_ends_when_a_later_conversation_happens() -> None:
    later_talk = call(ny(2020, 8, 15, 10), "conversation")

    decision = evaluate(
        us_call(
            ny(2020, 8, 17, 12),
            prior_contacts=(INBOUND_CONVERSATION, later_talk),
            consent_given_at=INBOUND_CONVERSATION.at,
            consent_until=ny(2020, 8, 19, 0),
        )
    )

    assert rules(decision) == ["post_conversation"]
    assert decision.next_allowed_at == ny(2020, 8, 22, 8, 0)


def test_sms_is_not_held_by_the_call_quiet_period() -> None:
    decision = evaluate(
        us_call(
            ny(2020, 8, 14, 10),
            channel="sms",
            prior_contacts=(INBOUND_CONVERSATION,),
            message=LATER_SMS,
        )
    )

    assert decision.allowed
    assert rules(decision) == []
    assert decision.next_allowed_at is None


# --- Contact window, DST and conflicting zones (12 CFR 1006.6(b)(1)(i)) ----------------------


def test_call_at_seven_thirty_on_spring_forward_day_waits_for_eight_local() -> None:
    at = ny(2026, 3, 8, 7, 30)  # EDT already (UTC-4)

    decision = evaluate(us_call(at))

    assert rules(decision) == ["contact_window"]
    assert decision.violations[0].citation == "12 CFR 1006.6(b)(1)(i)"
    assert decision.next_allowed_at == utc(2026, 3, 8, 12, 0)
    assert decision.next_allowed_at.astimezone(NEW_YORK).time() == time(8, 0)


def test_call_at_seven_thirty_on_fall_back_day_waits_for_eight_local() -> None:
    at = ny(2026, 11, 1, 7, 30)  # EST already (UTC-5)

    decision = evaluate(us_call(at))

    assert rules(decision) == ["contact_window"]
    assert decision.next_allowed_at == utc(2026, 11, 1, 13, 0)
    assert decision.next_allowed_at.astimezone(NEW_YORK).time() == time(8, 0)


def test_evening_call_before_spring_forward_waits_for_eight_edt() -> None:
    decision = evaluate(us_call(ny(2026, 3, 7, 21, 30)))

    assert rules(decision) == ["contact_window"]
    assert decision.next_allowed_at == utc(2026, 3, 8, 12, 0)


def test_evening_call_before_fall_back_waits_for_eight_est() -> None:
    decision = evaluate(us_call(ny(2026, 10, 31, 21, 30)))

    assert rules(decision) == ["contact_window"]
    assert decision.next_allowed_at == utc(2026, 11, 1, 13, 0)


def test_twenty_one_hundred_exactly_is_outside_the_window() -> None:
    decision = evaluate(us_call(ny(2026, 4, 7, 21, 0)))

    assert rules(decision) == ["contact_window"]
    assert decision.next_allowed_at == ny(2026, 4, 8, 8, 0)


def test_window_opening_inside_a_dst_gap_opens_at_the_transition() -> None:
    night_shift = Profile(code="TEST", window_start=time(2, 30), window_end=time(23, 0))
    at = ny(2026, 3, 8, 1, 30)  # 02:30 does not exist that night: 02:00 EST -> 03:00 EDT

    decision = evaluate(us_call(at, profile=night_shift))

    assert rules(decision) == ["contact_window"]
    assert decision.next_allowed_at == utc(2026, 3, 8, 7, 0)  # 03:00 EDT


def test_window_opening_inside_a_dst_fold_opens_at_the_first_occurrence() -> None:
    night_shift = Profile(code="TEST", window_start=time(1, 30), window_end=time(23, 0))
    at = ny(2026, 11, 1, 0, 30)

    decision = evaluate(us_call(at, profile=night_shift))

    assert rules(decision) == ["contact_window"]
    assert decision.next_allowed_at == utc(2026, 11, 1, 5, 30)  # 01:30 EDT, not EST


def test_pacific_phone_blocks_morning_call_to_eastern_customer_until_eight_pacific() -> None:
    zones = candidate_time_zones("America/New_York", None, "+14155550123")
    assert zones == ("America/New_York", "America/Los_Angeles")

    decision = evaluate(us_call(ny(2026, 4, 7, 8, 30), candidate_time_zones=zones))

    assert rules(decision) == ["contact_window"]
    assert "America/Los_Angeles" in decision.violations[0].message
    assert decision.next_allowed_at == datetime(2026, 4, 7, 8, 0, tzinfo=LOS_ANGELES)
    assert decision.next_allowed_at == ny(2026, 4, 7, 11, 0)


def test_pacific_phone_evening_call_after_nine_eastern_waits_for_next_pacific_morning() -> None:
    zones = candidate_time_zones("America/New_York", None, "+14155550123")

    decision = evaluate(us_call(ny(2026, 4, 7, 21, 30), candidate_time_zones=zones))

    assert rules(decision) == ["contact_window"]
    assert "America/New_York" in decision.violations[0].message
    assert decision.next_allowed_at == ny(2026, 4, 8, 11, 0)


def test_contact_point_override_and_unknown_zones_are_handled() -> None:
    zones = candidate_time_zones("Not/AZone", "America/Chicago", "+80012345678")
    assert zones == ("America/Chicago",)

    decision = evaluate(us_call(ny(2026, 4, 7, 8, 30), candidate_time_zones=zones))

    assert rules(decision) == ["contact_window"]
    assert decision.next_allowed_at == ny(2026, 4, 7, 9, 0)  # 08:00 Central


def test_unknown_location_must_fit_every_default_us_zone() -> None:
    decision = evaluate(us_call(ny(2026, 4, 7, 12, 0), candidate_time_zones=()))

    assert rules(decision) == ["contact_window"]
    # 08:00 in Honolulu (UTC-10) is 14:00 Eastern.
    assert decision.next_allowed_at == ny(2026, 4, 7, 14, 0)


def test_email_and_visit_follow_the_window_but_letters_do_not() -> None:
    late = ny(2026, 4, 7, 23, 0)

    email = evaluate(us_call(late, channel="email"))
    visit = evaluate(us_call(late, channel="visit"))
    letter = evaluate(us_call(late, channel="letter"))

    assert rules(email) == ["contact_window"]
    assert email.next_allowed_at == ny(2026, 4, 8, 8, 0)
    assert rules(visit) == ["contact_window"]
    assert visit.next_allowed_at == ny(2026, 4, 8, 8, 0)
    assert letter.allowed
    assert rules(letter) == []
    assert letter.next_allowed_at is None


def test_customer_asked_not_before_ten_narrows_the_window() -> None:
    not_before_ten = Restriction("inconvenient_time", not_before=time(10, 0))

    decision = evaluate(us_call(ny(2026, 4, 7, 9, 0), restrictions=(not_before_ten,)))

    assert rules(decision) == ["contact_window"]
    assert "before 10:00" in decision.violations[0].message
    assert decision.next_allowed_at == ny(2026, 4, 7, 10, 0)


def test_early_call_breaks_both_window_and_preference_and_waits_for_ten() -> None:
    not_before_ten = Restriction("inconvenient_time", not_before=time(10, 0))

    decision = evaluate(us_call(ny(2026, 4, 7, 7, 0), restrictions=(not_before_ten,)))

    assert rules(decision) == ["contact_window", "contact_window"]
    assert all(v.earliest_ok == ny(2026, 4, 7, 10, 0) for v in decision.violations)
    assert decision.next_allowed_at == ny(2026, 4, 7, 10, 0)


def test_inconvenient_time_for_another_channel_does_not_apply() -> None:
    no_calls_before_ten = Restriction("inconvenient_time", channel="call", not_before=time(10, 0))

    decision = evaluate(
        us_call(
            ny(2026, 4, 7, 9, 0),
            channel="sms",
            restrictions=(no_calls_before_ten,),
            message=LATER_SMS,
        )
    )

    assert decision.allowed
    assert rules(decision) == []
    assert decision.next_allowed_at is None


def test_window_violation_reports_the_opening_it_clears() -> None:
    ctx = us_call(ny(2026, 4, 7, 7, 0))

    decision = evaluate(ctx)

    violations = decision.violations
    assert [v.rule for v in violations] == ["contact_window"]
    assert violations[0].earliest_ok == ny(2026, 4, 7, 8, 0)
    assert decision.next_allowed_at == ny(2026, 4, 7, 8, 0)


# --- CN: window 08:00-22:00 and 3 connected calls a day (GB/T 45251-2025) --------------------


def test_cn_call_at_half_past_ten_at_night_waits_until_eight_next_morning() -> None:
    decision = evaluate(cn_call(sh(2026, 4, 7, 22, 30)))

    assert rules(decision) == ["contact_window"]
    assert decision.violations[0].citation == "GB/T 45251-2025"
    assert decision.next_allowed_at == sh(2026, 4, 8, 8, 0)
    assert decision.next_allowed_at == utc(2026, 4, 8, 0, 0)


def test_cn_call_at_ten_sharp_at_night_is_blocked() -> None:
    decision = evaluate(cn_call(sh(2026, 4, 7, 22, 0)))

    assert rules(decision) == ["contact_window"]
    assert decision.next_allowed_at == sh(2026, 4, 8, 8, 0)


def test_cn_early_morning_call_waits_until_eight() -> None:
    decision = evaluate(cn_call(sh(2026, 4, 7, 7, 59)))

    assert rules(decision) == ["contact_window"]
    assert decision.next_allowed_at == sh(2026, 4, 7, 8, 0)


def test_cn_call_just_before_ten_at_night_is_allowed() -> None:
    decision = evaluate(cn_call(sh(2026, 4, 7, 21, 59)))

    assert decision.allowed
    assert rules(decision) == []
    assert decision.next_allowed_at is None


def test_cn_fourth_connected_call_in_a_day_is_blocked_until_tomorrow_morning() -> None:
    talks = tuple(call(sh(2026, 4, 7, 9 + i), "conversation") for i in range(3))

    decision = evaluate(cn_call(sh(2026, 4, 7, 15), prior_contacts=talks))

    assert rules(decision) == ["daily_call_cap"]
    assert decision.violations[0].citation == "GB/T 45251-2025"
    assert decision.violations[0].earliest_ok == sh(2026, 4, 8, 0, 0)
    assert decision.next_allowed_at == sh(2026, 4, 8, 8, 0)


def test_cn_unanswered_calls_do_not_count_toward_the_daily_cap() -> None:
    contacts = tuple(call(sh(2026, 4, 7, 9 + i), "conversation") for i in range(2)) + tuple(
        call(sh(2026, 4, 7, 12 + i), "no_answer") for i in range(5)
    )

    decision = evaluate(cn_call(sh(2026, 4, 7, 18), prior_contacts=contacts))

    assert decision.allowed
    assert rules(decision) == []
    assert decision.next_allowed_at is None


def test_cn_has_no_weekly_limit_or_quiet_period() -> None:
    contacts = tuple(call(sh(2026, 4, d, 10), "conversation") for d in range(1, 8))

    decision = evaluate(cn_call(sh(2026, 4, 7, 15), prior_contacts=contacts))

    assert decision.allowed
    assert rules(decision) == []
    assert decision.next_allowed_at is None


# --- Wording (English and Chinese) -----------------------------------------------------------

ENGLISH_CASES = [
    ("We know where you live.", "threat_of_harm", "We know where you live"),
    ("Pay up, you deadbeat.", "insult", "deadbeat"),
    ("If you don't pay, you'll go to jail.", "false_legal_threat", "you'll go to jail"),
    ("We will garnish your wages next week.", "false_legal_threat", "garnish your wages"),
    ("Hello, this is the police.", "impersonation", "this is the police"),
    (
        "Pay now or your boss will find out.",
        "third_party_disclosure_threat",
        "your boss will find out",
    ),
    ("Your debt will double by Friday.", "misstatement", "debt will double"),
]

CHINESE_CASES = [
    ("再不还钱我们知道你家在哪", "threat_of_harm", "我们知道你家在哪"),
    ("你这个老赖", "insult", "老赖"),
    ("你就是个骗子", "insult", "骗子"),
    ("不还钱就让你坐牢", "false_legal_threat", "坐牢"),
    ("警察马上抓你", "false_legal_threat", "警察马上抓你"),
    ("我是法院的，请配合", "impersonation", "我是法院的"),
    ("今天不还就通知你单位", "third_party_disclosure_threat", "通知你单位"),
    ("我们会打你通讯录", "third_party_disclosure_threat", "打你通讯录"),
    ("逾期后欠款翻倍", "misstatement", "欠款翻倍"),
    ("你马上就要上黑名单了", "misstatement", "上黑名单"),
]


@pytest.mark.parametrize(("text", "category", "span"), ENGLISH_CASES)
def test_english_prohibited_wording_is_blocked_with_category_and_span(
    text: str, category: str, span: str
) -> None:
    decision = evaluate(us_call(ny(2026, 4, 7, 10), message=text))

    assert rules(decision) == ["prohibited_wording"]
    violation = decision.violations[0]
    assert (violation.category, violation.span) == (category, span)
    assert violation.message.startswith(WORDING_CATEGORIES[category])
    assert span in violation.message
    assert decision.next_allowed_at is None
    finding = next(f for f in find_prohibited_wording(text, US_PROFILE.wording))
    assert text[finding.start : finding.end] == finding.span == span


@pytest.mark.parametrize(("text", "category", "span"), CHINESE_CASES)
def test_chinese_prohibited_wording_is_blocked_with_category_and_span(
    text: str, category: str, span: str
) -> None:
    decision = evaluate(cn_call(sh(2026, 4, 7, 10), message=text))

    assert rules(decision) == ["prohibited_wording"]
    violation = decision.violations[0]
    assert (violation.category, violation.span) == (category, span)
    assert violation.citation.startswith("《商业银行信用卡业务监督管理办法》第68条")
    assert decision.next_allowed_at is None
    findings = find_prohibited_wording(text, CN_PROFILE.wording)
    assert [(f.category, f.span) for f in findings] == [(category, span)]
    assert text[findings[0].start : findings[0].end] == span


def test_several_findings_are_reported_in_text_order_with_their_citations() -> None:
    text = "This is the police. We know where you live, deadbeat."

    decision = evaluate(us_call(ny(2026, 4, 7, 10), message=text))
    findings = find_prohibited_wording(text, US_PROFILE.wording)

    assert [(f.category, f.span, f.start) for f in findings] == [
        ("impersonation", "This is the police", 0),
        ("threat_of_harm", "We know where you live", 20),
        ("insult", "deadbeat", 44),
    ]
    assert rules(decision) == ["prohibited_wording"] * 3
    assert {v.citation for v in decision.violations} == {
        "12 CFR 1006.18(b)(1), (b)(3)",
        "12 CFR 1006.14(c)",
        "12 CFR 1006.14(d)",
    }
    assert decision.next_allowed_at is None


def test_wording_violation_cannot_be_cured_by_waiting_even_outside_the_window() -> None:
    decision = evaluate(us_call(ny(2026, 4, 7, 22, 0), message="You deadbeat."))

    assert rules(decision) == ["contact_window", "prohibited_wording"]
    assert decision.next_allowed_at is None


def test_ordinary_reminders_raise_no_wording_findings() -> None:
    english = (
        "Hi Jane, this is Acme Recovery, a debt collector. Your payment of $50.00 is due on "
        "May 1. Call us at 800-555-0100 to discuss options. Reply STOP to opt out."
    )
    chinese = "您好，您的信用卡账单已逾期，请及时还款。如有疑问请致电客服 95555。"

    assert find_prohibited_wording(english, US_PROFILE.wording) == []
    assert find_prohibited_wording(chinese, CN_PROFILE.wording) == []
    assert check_wording(english + chinese, US_PROFILE) == []
    decision = evaluate(us_call(ny(2026, 4, 7, 10), channel="sms", message=english))
    assert rules(decision) == []
    assert decision.next_allowed_at is None


# --- Disclosures and opt-out (12 CFR 1006.18(e), 1006.6(e)) ----------------------------------


def test_first_sms_without_disclosures_or_opt_out_is_blocked() -> None:
    decision = evaluate(
        us_call(
            ny(2026, 4, 7, 10),
            channel="sms",
            is_first_contact=True,
            message="Your balance of $120.00 is past due. Call 800-555-0100.",
        )
    )

    assert rules(decision) == ["missing_disclosure", "missing_disclosure", "missing_opt_out"]
    assert {v.category for v in decision.violations[:2]} == {
        "attempt_to_collect",
        "information_use",
    }
    assert decision.violations[0].citation == "12 CFR 1006.18(e)"
    assert decision.violations[2].citation == "12 CFR 1006.6(e)"
    assert decision.next_allowed_at is None


def test_first_sms_with_disclosures_and_opt_out_is_allowed() -> None:
    decision = evaluate(
        us_call(ny(2026, 4, 7, 10), channel="sms", is_first_contact=True, message=FIRST_SMS)
    )

    assert decision.allowed
    assert rules(decision) == []
    assert decision.next_allowed_at is None


def test_later_email_must_say_it_is_from_a_debt_collector() -> None:
    decision = evaluate(
        us_call(
            ny(2026, 4, 7, 10),
            channel="email",
            message="Your plan payment is due May 1. Click here to unsubscribe.",
        )
    )

    assert rules(decision) == ["missing_disclosure"]
    assert "debt collector" in decision.violations[0].message
    assert decision.next_allowed_at is None


def test_email_without_opt_out_is_blocked() -> None:
    decision = evaluate(
        us_call(
            ny(2026, 4, 7, 10),
            channel="email",
            message="This message is from a debt collector. Your plan payment is due May 1.",
        )
    )

    assert rules(decision) == ["missing_opt_out"]
    assert decision.next_allowed_at is None


def test_letter_needs_disclosure_but_no_opt_out() -> None:
    decision = evaluate(
        us_call(
            ny(2026, 4, 7, 23),
            channel="letter",
            message="This letter is from a debt collector. Your balance is $120.00.",
        )
    )

    assert decision.allowed
    assert rules(decision) == []
    assert decision.next_allowed_at is None


def test_chinese_sms_needs_chinese_disclosure() -> None:
    english_disclosure_only = "Acme Recovery is a debt collector. 您的还款日为5月1日。回复TD退订"
    chinese = "本短信来自债务催收机构。您的还款日为5月1日。回复TD退订"

    blocked = evaluate(
        us_call(ny(2026, 4, 7, 10), channel="sms", language="zh", message=english_disclosure_only)
    )
    allowed = evaluate(us_call(ny(2026, 4, 7, 10), channel="sms", language="zh", message=chinese))

    assert rules(blocked) == ["missing_disclosure"]
    assert blocked.next_allowed_at is None
    assert allowed.allowed
    assert rules(allowed) == []
    assert allowed.next_allowed_at is None


def test_cn_profile_requires_no_us_disclosures() -> None:
    decision = evaluate(
        cn_call(sh(2026, 4, 7, 10), channel="sms", message="您的信用卡账单已逾期，请及时还款。")
    )

    assert decision.allowed
    assert rules(decision) == []
    assert decision.next_allowed_at is None


# --- Time-barred debt (12 CFR 1006.26(b)) ----------------------------------------------------


def test_threat_to_sue_on_time_barred_debt_is_blocked() -> None:
    decision = evaluate(
        us_call(
            ny(2026, 4, 7, 10),
            channel="letter",
            message="This letter is from a debt collector. Pay now or we will sue you.",
            statute_of_limitations_date=date(2025, 12, 31),
        )
    )

    assert rules(decision) == ["time_barred_threat"]
    assert decision.violations[0].span == "sue"
    assert decision.violations[0].citation == "12 CFR 1006.26(b)"
    assert decision.next_allowed_at is None


def test_chinese_threat_to_sue_on_time_barred_debt_is_blocked() -> None:
    decision = evaluate(
        us_call(
            ny(2026, 4, 7, 10),
            message="再不还款我们就起诉你",
            language="zh",
            statute_of_limitations_date=date(2025, 12, 31),
        )
    )

    assert rules(decision) == ["time_barred_threat"]
    assert decision.violations[0].span == "起诉"
    assert decision.next_allowed_at is None


def test_mentioning_a_lawsuit_before_limitations_run_is_not_a_time_barred_threat() -> None:
    decision = evaluate(
        us_call(
            ny(2026, 4, 7, 10),
            message="We may file a lawsuit if this is not resolved.",
            statute_of_limitations_date=date(2027, 1, 1),
        )
    )

    assert decision.allowed
    assert rules(decision) == []
    assert decision.next_allowed_at is None


# --- Third parties (12 CFR 1006.10, 1006.6(d)) -----------------------------------------------


def test_message_to_third_party_mentioning_the_debt_is_blocked() -> None:
    decision = evaluate(
        us_call(
            ny(2026, 4, 7, 10),
            recipient_is_third_party=True,
            message="Please tell John to call us about his debt.",
        )
    )

    assert rules(decision) == ["third_party_disclosure"]
    assert decision.violations[0].span == "debt"
    assert decision.next_allowed_at is None


def test_chinese_message_to_contact_mentioning_arrears_is_blocked() -> None:
    decision = evaluate(
        cn_call(
            sh(2026, 4, 7, 10),
            recipient_is_third_party=True,
            message="请转告张三尽快处理欠款",
        )
    )

    assert rules(decision) == ["third_party_disclosure"]
    assert decision.violations[0].span == "欠款"
    assert decision.next_allowed_at is None


def test_location_only_message_to_third_party_is_allowed() -> None:
    decision = evaluate(
        us_call(
            ny(2026, 4, 7, 10),
            recipient_is_third_party=True,
            message="Hi, I'm trying to reach John Smith. Could you confirm his phone number?",
        )
    )

    assert decision.allowed
    assert rules(decision) == []
    assert decision.next_allowed_at is None


# --- Hard blocks and restrictions ------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "citation"),
    [
        ("cease_communication", "12 CFR 1006.6(c)"),
        ("attorney_represented", "12 CFR 1006.6(b)(2)"),
        ("dispute_pending", "12 CFR 1006.38"),
        ("deceased", "12 CFR 1006.2(e); 12 CFR 1006.6(a)(4)"),
    ],
)
def test_hard_restriction_blocks_with_no_next_allowed_time(kind: str, citation: str) -> None:
    restriction = Restriction(kind, effective_from=date(2026, 3, 1))

    decision = evaluate(us_call(ny(2026, 4, 7, 10), restrictions=(restriction,)))

    assert rules(decision) == [kind]
    assert decision.violations[0].citation == citation
    assert decision.violations[0].earliest_ok is None
    assert decision.next_allowed_at is None


def test_hard_block_outside_window_still_has_no_next_allowed_time() -> None:
    cease = Restriction("cease_communication", effective_from=date(2026, 3, 1))

    decision = evaluate(us_call(ny(2026, 4, 7, 22), restrictions=(cease,)))

    assert rules(decision) == ["contact_window", "cease_communication"]
    assert decision.next_allowed_at is None


def test_restriction_not_yet_in_effect_does_not_block() -> None:
    cease = Restriction("cease_communication", effective_from=date(2026, 4, 8))

    decision = evaluate(us_call(ny(2026, 4, 7, 10), restrictions=(cease,)))

    assert decision.allowed
    assert rules(decision) == []
    assert decision.next_allowed_at is None


def test_dispute_with_an_end_date_defers_to_the_next_morning_after_it() -> None:
    dispute = Restriction(
        "dispute_pending", effective_from=date(2026, 4, 1), effective_to=date(2026, 4, 9)
    )

    decision = evaluate(us_call(ny(2026, 4, 7, 10), restrictions=(dispute,)))

    assert rules(decision) == ["dispute_pending"]
    assert decision.violations[0].earliest_ok == ny(2026, 4, 10, 0, 0)
    assert decision.next_allowed_at == ny(2026, 4, 10, 8, 0)


def test_attorney_may_be_contacted_when_customer_is_represented() -> None:
    represented = Restriction("attorney_represented")

    decision = evaluate(
        us_call(ny(2026, 4, 7, 10), restrictions=(represented,), recipient_is_attorney=True)
    )

    assert decision.allowed
    assert rules(decision) == []
    assert decision.next_allowed_at is None


def test_estate_representative_may_be_contacted_for_deceased_customer() -> None:
    deceased = Restriction("deceased")

    decision = evaluate(
        us_call(
            ny(2026, 4, 7, 10), restrictions=(deceased,), recipient_is_estate_representative=True
        )
    )

    assert decision.allowed
    assert rules(decision) == []
    assert decision.next_allowed_at is None


def test_channel_opt_out_closes_only_that_channel() -> None:
    no_texts = Restriction("channel_opt_out", channel="sms")

    sms = evaluate(
        us_call(ny(2026, 4, 7, 10), channel="sms", restrictions=(no_texts,), message=LATER_SMS)
    )
    phone = evaluate(us_call(ny(2026, 4, 7, 10), restrictions=(no_texts,)))

    assert rules(sms) == ["channel_opt_out"]
    assert sms.violations[0].citation == "12 CFR 1006.14(h)"
    assert sms.next_allowed_at is None
    assert phone.allowed
    assert rules(phone) == []
    assert phone.next_allowed_at is None


def test_opt_out_of_one_contact_point_closes_that_number_only() -> None:
    old_mobile = Restriction("channel_opt_out", contact_point_id=12)

    blocked = evaluate(us_call(ny(2026, 4, 7, 10), restrictions=(old_mobile,), contact_point_id=12))
    other = evaluate(us_call(ny(2026, 4, 7, 10), restrictions=(old_mobile,), contact_point_id=13))

    assert rules(blocked) == ["channel_opt_out"]
    assert blocked.next_allowed_at is None
    assert other.allowed
    assert rules(other) == []
    assert other.next_allowed_at is None


def test_opted_out_contact_point_is_a_channel_opt_out() -> None:
    decision = evaluate(us_call(ny(2026, 4, 7, 10), contact_point_opted_out=True))

    assert rules(decision) == ["channel_opt_out"]
    assert decision.next_allowed_at is None


# --- Aggregation ---------------------------------------------------------------------------


def test_next_allowed_time_satisfies_every_time_rule_together() -> None:
    # Frequency clears Apr 8 00:00 Eastern, the window opens in both zones at 08:00 Pacific,
    # and "not before 10:00" holds in both zones only from 10:00 Pacific (13:00 Eastern).
    zones = ("America/New_York", "America/Los_Angeles")
    not_before_ten = Restriction("inconvenient_time", not_before=time(10, 0))

    decision = evaluate(
        us_call(
            ny(2020, 4, 7, 22),
            candidate_time_zones=zones,
            prior_contacts=WEEK_OF_CALLS,
            restrictions=(not_before_ten,),
        )
    )

    assert rules(decision) == ["contact_window", "call_frequency"]
    assert decision.next_allowed_at == datetime(2020, 4, 8, 10, 0, tzinfo=LOS_ANGELES)
    again = evaluate(
        us_call(
            decision.next_allowed_at,
            candidate_time_zones=zones,
            prior_contacts=WEEK_OF_CALLS,
            restrictions=(not_before_ten,),
        )
    )
    assert again.allowed
    assert rules(again) == []
    assert again.next_allowed_at is None


def test_quiet_period_and_dispute_end_combine_to_the_later_morning() -> None:
    dispute = Restriction(
        "dispute_pending", effective_from=date(2020, 8, 1), effective_to=date(2020, 8, 24)
    )

    decision = evaluate(
        us_call(
            ny(2020, 8, 14, 10), prior_contacts=(INBOUND_CONVERSATION,), restrictions=(dispute,)
        )
    )

    assert rules(decision) == ["post_conversation", "dispute_pending"]
    assert decision.next_allowed_at == ny(2020, 8, 25, 8, 0)


def test_inbound_call_from_the_customer_is_never_blocked() -> None:
    cease = Restriction("cease_communication")

    decision = evaluate(us_call(ny(2026, 4, 7, 23), channel="inbound_call", restrictions=(cease,)))

    assert decision.allowed
    assert rules(decision) == []
    assert decision.next_allowed_at is None


def test_naive_datetimes_are_rejected() -> None:
    naive = datetime(2026, 4, 7, 10, 0)  # noqa: DTZ001 - the point of the test

    with pytest.raises(ValueError, match="aware"):
        us_call(naive)
    with pytest.raises(ValueError, match="aware"):
        call(naive)
    decision = evaluate(us_call(ny(2026, 4, 7, 10)))
    assert rules(decision) == []
    assert decision.next_allowed_at is None


def test_bulk_evaluation_reuses_compiled_patterns_and_stays_fast() -> None:
    import time as clock

    contexts = [
        us_call(
            ny(2020, 4, 7, 8) + timedelta(minutes=i % 900),
            prior_contacts=WEEK_OF_CALLS[: i % 8],
            channel="sms" if i % 2 else "call",
            message=LATER_SMS if i % 2 else "",
        )
        for i in range(2000)
    ]

    started = clock.perf_counter()
    decisions = [evaluate(ctx) for ctx in contexts]
    elapsed = clock.perf_counter() - started

    blocked = [d for d in decisions if not d.allowed]
    assert blocked
    assert {r for d in blocked for r in rules(d)} <= {"contact_window", "call_frequency"}
    assert all(d.next_allowed_at is not None for d in blocked)
    assert elapsed < 5.0
