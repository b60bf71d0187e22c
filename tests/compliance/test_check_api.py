"""``POST /api/v1/compliance/check/`` through the database: the worked examples of
COMPLIANCE.md, DST, conflicting time zones and wording in English and Chinese, each asserting
the rule code and ``next_allowed_at`` exactly as API.md shows them."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from compliance.models import ComplianceDecision
from tests.compliance.factories import ContactLogFactory, RestrictionFactory
from tests.factories import AccountFactory, ContactPointFactory, CustomerFactory, TeamFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/compliance/check/"
NEW_YORK = ZoneInfo("America/New_York")
SHANGHAI = ZoneInfo("Asia/Shanghai")


def ny(*args: int) -> datetime:
    return datetime(*args, tzinfo=NEW_YORK)


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def account(team):
    return AccountFactory(team=team, customer__time_zone="America/New_York")


@pytest.fixture
def phone(account):
    return ContactPointFactory(customer=account.customer, value="+12125550100")  # New York


@pytest.fixture
def client(api, specialist):
    return api.as_user(specialist)


def check(client, account, at: str, phone=None, **extra):
    body = {"account": account.pk, "channel": "call", "at": at, **extra}
    if phone is not None:
        body["contact_point"] = phone.pk
    response = client.post(URL, body, format="json")
    assert response.status_code == 200, response.json()
    return response.json()


def log_call(account, at: datetime, outcome: str = "no_answer", **fields):
    return ContactLogFactory(account=account, occurred_at=at, outcome=outcome, **fields)


# --- Worked example 1: 7 calls in 7 days (12 CFR 1006.14(b)(2)(i)(A)) -----------------------


@pytest.fixture
def week_of_calls(account, phone):
    """Apr 1 2020 (voicemail) and one unanswered call a day Apr 2-7 (official commentary)."""
    log_call(account, ny(2020, 4, 1, 10), "voicemail", contact_point=phone)
    for day in range(2, 8):
        log_call(account, ny(2020, 4, day, 10), contact_point=phone)


def test_eighth_call_in_seven_days_is_blocked_until_eight_the_next_morning(
    client, account, phone, week_of_calls
):
    body = check(client, account, "2020-04-07T15:00:00-04:00", phone)

    assert body == {
        "allowed": False,
        "violations": [
            {
                "rule": "call_frequency",
                "citation": "12 CFR 1006.14(b)(2)(i)(A)",
                "message": "7 calls already placed on this debt from 2020-04-01 to 2020-04-07; "
                "the limit is 7 calls in 7 consecutive days.",
            }
        ],
        "next_allowed_at": "2020-04-08T08:00:00-04:00",
    }


def test_call_on_april_eighth_is_allowed(client, account, phone, week_of_calls):
    body = check(client, account, "2020-04-08T09:00:00-04:00", phone)

    assert body == {"allowed": True, "violations": [], "next_allowed_at": None}


def test_busy_signal_does_not_count_toward_the_seven(client, account, phone):
    log_call(account, ny(2020, 4, 1, 10), "voicemail")
    for day in range(2, 7):
        log_call(account, ny(2020, 4, day, 10))
    log_call(account, ny(2020, 4, 7, 10), "not_connected")  # worked example 3

    body = check(client, account, "2020-04-07T15:00:00-04:00", phone)

    assert body["allowed"] is True
    assert body["next_allowed_at"] is None


def test_calls_on_the_debtors_other_debt_do_not_count(client, account, phone, week_of_calls):
    other = AccountFactory(team=account.team, customer=account.customer)

    body = check(client, other, "2020-04-07T15:00:00-04:00", phone)

    assert body["allowed"] is True


# --- Worked example 2: the 7-day quiet period after a conversation ---------------------------


@pytest.fixture
def inbound_conversation(account):
    """The consumer calls in on Thursday Aug 13 2020 and talks about the debt."""
    return ContactLogFactory(
        account=account,
        channel="inbound_call",
        direction="inbound",
        occurred_at=ny(2020, 8, 13, 11),
        outcome="conversation",
    )


def test_call_after_an_inbound_conversation_is_blocked_until_the_following_thursday(
    client, account, phone, inbound_conversation
):
    body = check(client, account, "2020-08-19T10:00:00-04:00", phone)

    assert body == {
        "allowed": False,
        "violations": [
            {
                "rule": "post_conversation",
                "citation": "12 CFR 1006.14(b)(2)(i)(B)",
                "message": "A telephone conversation about this debt took place on 2020-08-13; "
                "no calls until 2020-08-20.",
            }
        ],
        "next_allowed_at": "2020-08-20T08:00:00-04:00",
    }


def test_call_on_august_twentieth_is_allowed(client, account, phone, inbound_conversation):
    body = check(client, account, "2020-08-20T08:00:00-04:00", phone)

    assert body == {"allowed": True, "violations": [], "next_allowed_at": None}


def test_a_text_is_not_held_by_the_quiet_period(client, account, phone, inbound_conversation):
    body = check(client, account, "2020-08-14T10:00:00-04:00", phone, channel="sms")

    assert body["allowed"] is True


# --- DST ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "next_allowed_at"),
    [
        # Spring forward, Sunday Mar 8 2026: the evening before is EST, the morning EDT.
        ("2026-03-07T21:30:00-05:00", "2026-03-08T08:00:00-04:00"),
        ("2026-03-08T07:30:00-04:00", "2026-03-08T08:00:00-04:00"),
        # Fall back, Sunday Nov 1 2026: the evening before is EDT, the morning EST.
        ("2026-10-31T21:30:00-04:00", "2026-11-01T08:00:00-05:00"),
        ("2026-11-01T07:30:00-05:00", "2026-11-01T08:00:00-05:00"),
        # The same instant written in UTC gets the answer in the customer's offset.
        ("2026-11-01T01:30:00Z", "2026-11-01T08:00:00-05:00"),
    ],
)
def test_window_across_a_dst_change_opens_at_eight_local(
    client, account, phone, at, next_allowed_at
):
    body = check(client, account, at, phone)

    assert [v["rule"] for v in body["violations"]] == ["contact_window"]
    assert body["violations"][0]["citation"] == "12 CFR 1006.6(b)(1)(i)"
    assert body["next_allowed_at"] == next_allowed_at


def test_eight_oclock_on_the_spring_forward_morning_is_allowed(client, account, phone):
    assert check(client, account, "2026-03-08T08:00:00-04:00", phone)["allowed"] is True


# --- Conflicting time zones (comment 6(b)(1)(i)-2) -------------------------------------------


@pytest.fixture
def pacific_phone(account):
    return ContactPointFactory(customer=account.customer, value="+14155550100")  # San Francisco


def test_pacific_phone_of_an_eastern_customer_waits_for_eight_pacific(
    client, account, pacific_phone
):
    body = check(client, account, "2026-04-07T09:00:00-04:00", pacific_phone)

    assert [v["rule"] for v in body["violations"]] == ["contact_window"]
    assert "06:00 in America/Los_Angeles" in body["violations"][0]["message"]
    assert body["next_allowed_at"] == "2026-04-07T11:00:00-04:00"  # 08:00 in San Francisco


def test_pacific_phone_late_eastern_evening_waits_for_the_next_pacific_morning(
    client, account, pacific_phone
):
    body = check(client, account, "2026-04-07T21:30:00-04:00", pacific_phone)

    assert [v["rule"] for v in body["violations"]] == ["contact_window"]
    assert "21:30 in America/New_York" in body["violations"][0]["message"]
    assert body["next_allowed_at"] == "2026-04-08T11:00:00-04:00"


def test_same_call_on_the_eastern_phone_is_allowed(client, account, phone, pacific_phone):
    assert check(client, account, "2026-04-07T09:00:00-04:00", phone)["allowed"] is True


def test_contact_point_zone_override_is_another_candidate_zone(client, account):
    point = ContactPointFactory(
        customer=account.customer, value="+12125550123", time_zone="America/Denver"
    )

    body = check(client, account, "2026-04-07T09:30:00-04:00", point)

    assert [v["rule"] for v in body["violations"]] == ["contact_window"]
    assert body["next_allowed_at"] == "2026-04-07T10:00:00-04:00"  # 08:00 in Denver


def test_call_without_a_contact_point_must_suit_every_usable_phone(
    client, account, phone, pacific_phone
):
    body = check(client, account, "2026-04-07T09:00:00-04:00")

    assert body["next_allowed_at"] == "2026-04-07T11:00:00-04:00"


def test_customer_asked_not_before_ten(client, account, phone):
    RestrictionFactory(
        customer=account.customer,
        kind="inconvenient_time",
        not_before="10:00",
        source="customer_verbal",
    )

    body = check(client, account, "2026-04-07T09:00:00-04:00", phone)

    assert body["violations"] == [
        {
            "rule": "contact_window",
            "citation": "12 CFR 1006.6(b)(1)(i)",
            "message": "The customer asked not to be contacted before 10:00.",
        }
    ]
    assert body["next_allowed_at"] == "2026-04-07T10:00:00-04:00"


# --- CN --------------------------------------------------------------------------------------


@pytest.fixture
def cn_account(other_team):
    customer = CustomerFactory(jurisdiction="CN", time_zone="Asia/Shanghai", language="zh-hans")
    return AccountFactory(team=other_team, customer=customer, currency="CNY")


@pytest.fixture
def cn_client(api, other_specialist):
    return api.as_user(other_specialist)


def test_cn_fourth_connected_call_of_the_day_on_any_debt_waits_for_tomorrow(cn_client, cn_account):
    second_card = AccountFactory(team=cn_account.team, customer=cn_account.customer, currency="CNY")
    log_call(cn_account, sh(2026, 4, 7, 9), "conversation")
    log_call(second_card, sh(2026, 4, 7, 11), "conversation")
    log_call(cn_account, sh(2026, 4, 7, 14), "conversation")
    log_call(cn_account, sh(2026, 4, 7, 15), "no_answer")  # not an effective call

    body = check(cn_client, cn_account, "2026-04-07T16:00:00+08:00")

    assert body == {
        "allowed": False,
        "violations": [
            {
                "rule": "daily_call_cap",
                "citation": "GB/T 45251-2025",
                "message": "3 connected calls already made on 2026-04-07; at most 3 a day.",
            }
        ],
        "next_allowed_at": "2026-04-08T08:00:00+08:00",
    }


def test_cn_call_at_ten_at_night_waits_until_eight(cn_client, cn_account):
    body = check(cn_client, cn_account, "2026-04-07T22:00:00+08:00")

    assert [v["rule"] for v in body["violations"]] == ["contact_window"]
    assert body["violations"][0]["citation"] == "GB/T 45251-2025"
    assert body["next_allowed_at"] == "2026-04-08T08:00:00+08:00"


# --- Wording, English and Chinese -----------------------------------------------------------

LATER_SMS = "Acme Recovery is a debt collector. Your payment is due May 1. Reply STOP to opt out."


def test_english_threat_of_jail_is_blocked_and_waiting_does_not_help(client, account, phone):
    log_call(account, ny(2026, 3, 1, 10), "delivered", channel="sms")  # not the first contact

    body = check(
        client,
        account,
        "2026-04-07T10:00:00-04:00",
        phone,
        channel="sms",
        message=LATER_SMS + " Pay today or you'll go to jail.",
    )

    assert body == {
        "allowed": False,
        "violations": [
            {
                "rule": "prohibited_wording",
                "citation": "12 CFR 1006.18(b)(4), (b)(5)",
                "message": "False threat of arrest, jail, seizure, garnishment or suit: "
                '"you\'ll go to jail" must not be used.',
            }
        ],
        "next_allowed_at": None,
    }


def test_chinese_threat_and_insult_are_blocked_with_their_spans(cn_client, cn_account):
    body = check(
        cn_client,
        cn_account,
        "2026-04-07T10:00:00+08:00",
        channel="sms",
        message="你这个老赖，再不还款就让你坐牢。",
    )

    assert body["allowed"] is False
    assert body["next_allowed_at"] is None
    assert [v["rule"] for v in body["violations"]] == ["prohibited_wording", "prohibited_wording"]
    messages = " ".join(v["message"] for v in body["violations"])
    assert '"老赖"' in messages
    assert '"坐牢"' in messages
    assert {v["citation"] for v in body["violations"]} == {
        "《商业银行信用卡业务监督管理办法》第68条"
    }


def test_wording_outside_the_window_still_has_no_next_allowed_time(client, account, phone):
    body = check(
        client,
        account,
        "2026-04-07T22:00:00-04:00",
        phone,
        message="We know where you live.",
    )

    assert [v["rule"] for v in body["violations"]] == ["contact_window", "prohibited_wording"]
    assert body["next_allowed_at"] is None


def test_first_text_without_disclosures_or_opt_out_is_blocked(client, account, phone):
    body = check(
        client,
        account,
        "2026-04-07T10:00:00-04:00",
        phone,
        channel="sms",
        message="Your balance of $120.00 is past due.",
    )

    assert [v["rule"] for v in body["violations"]] == [
        "missing_disclosure",
        "missing_disclosure",
        "missing_opt_out",
    ]
    assert {v["citation"] for v in body["violations"]} == {
        "12 CFR 1006.18(e)",
        "12 CFR 1006.6(e)",
    }


def test_later_text_with_the_disclosure_and_opt_out_is_allowed(client, account, phone):
    log_call(account, ny(2026, 3, 1, 10), "conversation")

    body = check(
        client, account, "2026-04-07T10:00:00-04:00", phone, channel="sms", message=LATER_SMS
    )

    assert body == {"allowed": True, "violations": [], "next_allowed_at": None}


def test_message_to_a_third_party_must_not_mention_the_debt(client, account, phone):
    body = check(
        client,
        account,
        "2026-04-07T10:00:00-04:00",
        phone,
        recipient="third_party",
        message="Please ask Jane to call us about her overdue payment.",
    )

    assert "third_party_disclosure" in [v["rule"] for v in body["violations"]]
    assert body["next_allowed_at"] is None


# --- Restrictions ---------------------------------------------------------------------------


def test_cease_on_file_blocks_with_no_next_allowed_time(client, account, phone):
    RestrictionFactory(customer=account.customer, kind="cease_communication")

    body = check(client, account, "2026-04-07T10:00:00-04:00", phone)

    assert [v["rule"] for v in body["violations"]] == ["cease_communication"]
    assert body["violations"][0]["citation"] == "12 CFR 1006.6(c)"
    assert body["next_allowed_at"] is None


def test_opted_out_number_is_closed(client, account):
    point = ContactPointFactory(customer=account.customer, opted_out=True)

    body = check(client, account, "2026-04-07T10:00:00-04:00", point)

    assert [v["rule"] for v in body["violations"]] == ["channel_opt_out"]


# --- Storage and input errors ---------------------------------------------------------------


def test_every_check_is_stored_with_its_inputs(client, specialist, account, phone, week_of_calls):
    body = check(client, account, "2020-04-07T15:00:00-04:00", phone)

    decision = ComplianceDecision.objects.get()
    assert (decision.account, decision.customer, decision.contact_point) == (
        account,
        account.customer,
        phone,
    )
    assert decision.allowed is body["allowed"] is False
    assert decision.rule_codes == ["call_frequency"]
    assert decision.next_allowed_at == ny(2020, 4, 8, 8)
    assert (decision.purpose, decision.checked_by, decision.jurisdiction) == (
        "api_check",
        specialist,
        "US",
    )
    assert decision.at == ny(2020, 4, 7, 15)
    assert decision.inputs["candidate_time_zones"] == ["America/New_York"]
    assert len(decision.inputs["prior_contact_ids"]) == 7
    assert decision.inputs["counted_calls"] == 7
    assert decision.inputs["profile"]["weekly_call_limit"] == 7


def test_time_defaults_to_now(client, account, phone):
    before = timezone.now()
    response = client.post(URL, {"account": account.pk, "channel": "call"}, format="json")

    assert response.status_code == 200
    assert set(response.json()) == {"allowed", "violations", "next_allowed_at"}
    assert ComplianceDecision.objects.get().at - before < timedelta(seconds=5)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"account": 999_999}, "account"),
        ({"account": None}, "account"),
        ({"at": "2026-04-07T15:00:00"}, "at"),
        ({"at": "yesterday"}, "at"),
        ({"channel": "pigeon"}, "channel"),
        ({"recipient": "neighbour"}, "recipient"),
        ({"contact_point": 999_999}, "contact_point"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(client, account, change, field):
    body = {"account": account.pk, "channel": "call", "at": "2026-04-07T15:00:00-04:00"}
    body.update(change)

    response = client.post(URL, body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert ComplianceDecision.objects.count() == 0


def test_contact_point_of_another_customer_is_a_400(client, account):
    stranger = ContactPointFactory()

    response = client.post(
        URL,
        {"account": account.pk, "channel": "call", "contact_point": stranger.pk},
        format="json",
    )

    assert response.status_code == 400
    assert "contact_point" in response.json()


def test_email_to_a_phone_number_is_a_400(client, account, phone):
    response = client.post(
        URL,
        {"account": account.pk, "channel": "email", "contact_point": phone.pk},
        format="json",
    )

    assert response.status_code == 400
    assert "contact_point" in response.json()


def test_account_of_another_team_is_forbidden(client):
    elsewhere = AccountFactory(team=TeamFactory(code="elsewhere"))

    response = client.post(URL, {"account": elsewhere.pk, "channel": "call"}, format="json")

    assert response.status_code == 403
    assert ComplianceDecision.objects.count() == 0


def test_anonymous_callers_are_refused(api, account):
    response = api.post(URL, {"account": account.pk, "channel": "call"}, format="json")

    assert response.status_code == 401
