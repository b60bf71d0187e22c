"""``compliance.services.contact_check`` and friends: inputs gathered from the database."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import ContactPoint
from compliance.models import ComplianceDecision
from compliance.profiles import profile_for
from compliance.services import (
    CheckRequest,
    ContactBlocked,
    contact_authorize,
    contact_check,
    contact_check_bulk,
    message_preview,
    restriction_create,
    restriction_end,
)
from tests.compliance.factories import (
    ContactLogFactory,
    MessageTemplateFactory,
    RestrictionFactory,
)
from tests.factories import AccountFactory, ContactPointFactory, CustomerFactory

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")


def ny(*args: int) -> datetime:
    return datetime(*args, tzinfo=NEW_YORK)


@pytest.fixture
def account():
    return AccountFactory(customer__time_zone="America/New_York")


@pytest.fixture
def phone(account):
    return ContactPointFactory(customer=account.customer, value="+12125550100")


def call(account, at, outcome="no_answer", **fields):
    return ContactLogFactory(account=account, occurred_at=at, outcome=outcome, **fields)


def codes(stored) -> list[str]:
    return [v.rule for v in stored.violations]


# --- Consent (1006.14(b)(3)) ----------------------------------------------------------------


def test_customer_asking_for_a_callback_consents_to_it_despite_the_quiet_period(account, phone):
    call(account, ny(2020, 8, 13, 11), "conversation", disposition="callback_requested")

    stored = contact_check(account=account, channel="call", at=ny(2020, 8, 14, 10))

    assert stored.allowed
    assert stored.inputs["consent_given_at"] == ny(2020, 8, 13, 11).astimezone(UTC).isoformat()


def test_consent_lasts_only_until_the_time_the_customer_gave(account, phone):
    call(
        account,
        ny(2020, 8, 13, 11),
        "conversation",
        disposition="callback_requested",
        consent_to_call_until=ny(2020, 8, 14, 12),
    )

    inside = contact_check(account=account, channel="call", at=ny(2020, 8, 14, 11))
    after = contact_check(account=account, channel="call", at=ny(2020, 8, 14, 13))

    assert inside.allowed
    assert [v.rule for v in after.violations] == ["post_conversation"]
    assert after.next_allowed_at_local() == ny(2020, 8, 20, 8)


def test_consent_ends_with_the_next_conversation(account, phone):
    call(account, ny(2020, 8, 13, 11), "conversation", disposition="callback_requested")
    call(account, ny(2020, 8, 14, 10), "conversation")  # the callback itself

    stored = contact_check(account=account, channel="call", at=ny(2020, 8, 15, 10))

    assert codes(stored) == ["post_conversation"]
    assert stored.next_allowed_at_local() == ny(2020, 8, 21, 8)


def test_calls_made_with_consent_do_not_count_toward_the_seven(account, phone):
    call(account, ny(2020, 4, 1, 9), "voicemail")
    call(account, ny(2020, 4, 1, 10), "voicemail", channel="inbound_call", direction="inbound")
    # An inbound voicemail asking for a callback: consent without a conversation.
    ContactLogFactory(
        account=account,
        channel="inbound_call",
        direction="inbound",
        occurred_at=ny(2020, 4, 1, 12),
        outcome="voicemail",
        disposition="callback_requested",
    )
    for day in range(2, 8):
        call(account, ny(2020, 4, day, 10))

    stored = contact_check(account=account, channel="call", at=ny(2020, 4, 7, 15))

    assert stored.allowed  # the six calls after the request were made with consent
    assert stored.inputs["counted_calls"] == 1


def test_consent_older_than_seven_days_has_lapsed(account, phone):
    ContactLogFactory(
        account=account,
        channel="inbound_call",
        direction="inbound",
        occurred_at=ny(2020, 3, 20, 12),
        outcome="voicemail",
        disposition="callback_requested",
    )
    for day in range(1, 8):
        call(account, ny(2020, 4, day, 10))

    stored = contact_check(account=account, channel="call", at=ny(2020, 4, 7, 15))

    assert codes(stored) == ["call_frequency"]
    assert stored.inputs["consent_given_at"] is None


# --- Restrictions ---------------------------------------------------------------------------


def test_dispute_pauses_only_the_disputed_debt(account, phone):
    other = AccountFactory(customer=account.customer)
    restriction_create(
        by=None,
        account=account,
        kind="dispute_pending",
        source="customer_written",
        effective_from=date(2026, 4, 1),
    )

    disputed = contact_check(account=account, channel="call", at=ny(2026, 4, 7, 10))
    undisputed = contact_check(account=other, channel="call", at=ny(2026, 4, 7, 10))

    assert codes(disputed) == ["dispute_pending"]
    assert disputed.next_allowed_at is None
    assert undisputed.allowed


def test_dispute_with_a_last_day_reopens_the_morning_after(account, phone):
    RestrictionFactory(
        customer=account.customer,
        account=account,
        kind="dispute_pending",
        effective_from=date(2026, 4, 1),
        effective_to=date(2026, 4, 9),
    )

    stored = contact_check(account=account, channel="call", at=ny(2026, 4, 7, 10))

    assert codes(stored) == ["dispute_pending"]
    assert stored.next_allowed_at_local() == ny(2026, 4, 10, 8)


def test_ended_restriction_no_longer_blocks(account, phone):
    cease = restriction_create(
        by=None,
        account=account,
        kind="cease_communication",
        source="customer_written",
        effective_from=date(2026, 1, 1),
    )
    before = contact_check(account=account, channel="call", at=ny(2026, 4, 7, 10))
    restriction_end(restriction=cease, by=None, reason="written revocation", now=ny(2026, 4, 7, 11))

    after = contact_check(account=account, channel="call", at=ny(2026, 4, 7, 12))
    earlier = contact_check(account=account, channel="call", at=ny(2026, 4, 7, 10, 30))

    assert codes(before) == ["cease_communication"]
    assert after.allowed
    assert codes(earlier) == ["cease_communication"]


def test_restriction_starting_tomorrow_does_not_block_today(account, phone):
    RestrictionFactory(customer=account.customer, effective_from=date(2026, 4, 8))

    assert contact_check(account=account, channel="call", at=ny(2026, 4, 7, 20)).allowed
    assert not contact_check(account=account, channel="call", at=ny(2026, 4, 8, 9)).allowed


def test_attorney_may_be_called_when_the_customer_is_represented(account, phone):
    RestrictionFactory(
        customer=account.customer, kind="attorney_represented", attorney_name="Ann Lee"
    )

    to_customer = contact_check(account=account, channel="call", at=ny(2026, 4, 7, 10))
    to_attorney = contact_check(
        account=account, channel="call", at=ny(2026, 4, 7, 10), recipient="attorney"
    )

    assert codes(to_customer) == ["attorney_represented"]
    assert to_customer.violations[0].citation == "12 CFR 1006.6(b)(2)"
    assert to_attorney.allowed


def test_deceased_customer_only_the_estate_may_be_contacted(account, phone):
    RestrictionFactory(customer=account.customer, kind="deceased", source="court")

    assert codes(contact_check(account=account, channel="call", at=ny(2026, 4, 7, 10))) == [
        "deceased"
    ]
    assert contact_check(
        account=account, channel="call", at=ny(2026, 4, 7, 10), recipient="estate"
    ).allowed


def test_sms_opt_out_leaves_calls_open(account, phone):
    RestrictionFactory(customer=account.customer, kind="channel_opt_out", channel="sms")

    sms = contact_check(account=account, channel="sms", at=ny(2026, 4, 7, 10), contact_point=phone)
    voice = contact_check(
        account=account, channel="call", at=ny(2026, 4, 7, 10), contact_point=phone
    )

    assert codes(sms) == ["channel_opt_out"]
    assert voice.allowed


def test_opt_out_of_one_number_leaves_the_other_open(account, phone):
    work = ContactPointFactory(customer=account.customer, value="+12125550199", label="work")
    RestrictionFactory(customer=account.customer, kind="channel_opt_out", contact_point=work)

    closed = contact_check(
        account=account, channel="call", at=ny(2026, 4, 7, 10), contact_point=work.pk
    )
    open_ = contact_check(
        account=account, channel="call", at=ny(2026, 4, 7, 10), contact_point=phone.pk
    )

    assert codes(closed) == ["channel_opt_out"]
    assert open_.allowed


# --- Content --------------------------------------------------------------------------------


def test_threat_of_suit_on_a_time_barred_debt_is_blocked(phone):
    account = AccountFactory(
        customer=phone.customer, statute_of_limitations_date=date(2025, 12, 31)
    )

    stored = contact_check(
        account=account,
        channel="call",
        at=ny(2026, 4, 7, 10),
        message="If you don't pay we will take you to court.",
    )

    assert codes(stored) == ["time_barred_threat"]
    assert stored.violations[0].citation == "12 CFR 1006.26(b)"
    assert stored.next_allowed_at is None


def test_template_is_rendered_with_the_account_and_checked(account, phone):
    ContactLogFactory(account=account, occurred_at=ny(2026, 3, 1, 10), outcome="conversation")
    template = MessageTemplateFactory()

    stored = contact_check(
        account=account,
        channel="sms",
        at=ny(2026, 4, 7, 10),
        contact_point=phone,
        template=template,
    )

    assert stored.allowed
    assert account.customer.name in stored.inputs["message"]
    assert stored.inputs["template"] == template.pk
    assert stored.inputs["is_first_contact"] is False


def test_first_contact_template_is_held_to_first_contact_disclosures(account, phone):
    template = MessageTemplateFactory()  # written for later contacts

    stored = contact_check(account=account, channel="sms", at=ny(2026, 4, 7, 10), template=template)

    assert codes(stored) == ["missing_disclosure", "missing_disclosure"]
    assert stored.inputs["is_first_contact"] is True


def test_inactive_or_mismatched_templates_cannot_be_used(account):
    inactive = MessageTemplateFactory(is_active=False)
    chinese = MessageTemplateFactory(
        jurisdiction="CN", language="zh-hans", body="您好，请于{due_date}前还款。"
    )
    email = MessageTemplateFactory(channel="email", subject="Reminder")

    for template, channel in ((inactive, "sms"), (chinese, "sms"), (email, "sms")):
        with pytest.raises(ValidationError) as excinfo:
            contact_check(
                account=account, channel=channel, at=ny(2026, 4, 7, 10), template=template
            )
        assert "template" in excinfo.value.message_dict


def test_message_preview_returns_spans_to_highlight():
    text = "Hello. 你这个老赖! We know where you live."

    findings = message_preview(text, jurisdiction="US")

    assert [(f.category, f.span) for f in findings] == [
        ("insult", "老赖"),
        ("threat_of_harm", "We know where you live"),
    ]
    assert all(text[f.start : f.end] == f.span for f in findings)


# --- The gate -------------------------------------------------------------------------------


def test_authorize_raises_with_the_stored_decision_when_blocked(account, phone):
    with pytest.raises(ContactBlocked) as excinfo:
        contact_authorize(
            account=account, channel="call", at=ny(2026, 4, 7, 22), purpose="reminder"
        )

    stored = excinfo.value.decision
    assert stored.rule_codes == ["contact_window"]
    assert ComplianceDecision.objects.get(pk=stored.id).purpose == "reminder"
    assert stored.as_api()["next_allowed_at"] == "2026-04-08T08:00:00-04:00"


def test_authorize_returns_the_decision_when_allowed(account, phone):
    stored = contact_authorize(account=account, channel="call", at=ny(2026, 4, 7, 10))

    assert stored.allowed
    assert ComplianceDecision.objects.filter(pk=stored.id, allowed=True).exists()


def test_inbound_call_is_never_blocked_but_is_recorded(account):
    RestrictionFactory(customer=account.customer)

    stored = contact_check(account=account, channel="inbound_call", at=ny(2026, 4, 7, 23))

    assert stored.allowed
    assert stored.id is not None


def test_unstored_check_leaves_no_row(account):
    stored = contact_check(account=account, channel="call", at=ny(2026, 4, 7, 10), store=False)

    assert stored.id is None
    assert ComplianceDecision.objects.count() == 0


def test_naive_time_is_refused(account):
    with pytest.raises(ValidationError) as excinfo:
        contact_check(account=account, channel="call", at=datetime(2026, 4, 7, 10))  # noqa: DTZ001
    assert "at" in excinfo.value.message_dict


def test_decisions_are_append_only(account):
    stored = contact_check(account=account, channel="call", at=ny(2026, 4, 7, 10))
    decision = ComplianceDecision.objects.get(pk=stored.id)

    with pytest.raises(PermissionError):
        decision.save()
    with pytest.raises(PermissionError):
        decision.delete()
    with pytest.raises(PermissionError):
        ComplianceDecision.objects.filter(pk=stored.id).update(allowed=False)
    with pytest.raises(PermissionError):
        ComplianceDecision.objects.filter(pk=stored.id).delete()


# --- Bulk -----------------------------------------------------------------------------------


def _portfolio(size: int) -> list[CheckRequest]:
    """US and CN debtors with phones, history, restrictions and written messages."""
    requests = []
    for n in range(size):
        cn = n % 3 == 0
        customer = CustomerFactory(
            jurisdiction="CN" if cn else "US",
            time_zone="Asia/Shanghai" if cn else "America/New_York",
        )
        account = AccountFactory(customer=customer)
        point = ContactPointFactory(
            customer=customer, value=f"+86138{n:08d}" if cn else f"+1212555{n:04d}"
        )
        at = datetime(2026, 4, 7, 14, tzinfo=UTC)
        for day in range(1, 7):
            call(account, datetime(2026, 4, day, 14, tzinfo=UTC), contact_point=point)
        if n % 4 == 0:
            RestrictionFactory(customer=customer, kind="channel_opt_out", channel="sms")
        requests.append(
            CheckRequest(account=account.pk, channel="call", at=at, contact_point=point.pk)
        )
        requests.append(
            CheckRequest(
                account=account.pk,
                channel="sms",
                at=at,
                message="Acme is a debt collector. Reply STOP to opt out.",
            )
        )
    return requests


def test_bulk_check_uses_the_same_few_queries_for_any_batch_size(django_assert_max_num_queries):
    small, large = _portfolio(3), _portfolio(30)
    profile_for("US"), profile_for("CN")  # built once per process (3 queries each), then cached

    # accounts, contact points, restrictions, contact log, first contacts, one insert
    with django_assert_max_num_queries(6):
        contact_check_bulk(small, purpose="reminder")
    with CaptureQueriesContext(connection) as queries:
        decisions = contact_check_bulk(large, purpose="reminder")

    assert len(queries) <= 6
    assert len(decisions) == 60
    assert ComplianceDecision.objects.filter(purpose="reminder").count() == 66


def test_bulk_results_match_single_checks(account, phone):
    for day in range(1, 8):
        call(account, ny(2026, 4, day, 10))
    other = AccountFactory(customer=CustomerFactory(jurisdiction="CN", time_zone="Asia/Shanghai"))
    requests = [
        CheckRequest(account=account, channel="call", at=ny(2026, 4, 7, 15), contact_point=phone),
        CheckRequest(account=other.pk, channel="call", at=ny(2026, 4, 7, 15)),
        CheckRequest(account=account.pk, channel="letter", at=ny(2026, 4, 7, 23)),
    ]

    bulk = contact_check_bulk(requests, purpose="reminder")
    single = [
        contact_check(
            account=r.account,
            channel=r.channel,
            at=r.at,
            contact_point=r.contact_point,
            purpose="reminder",
        )
        for r in requests
    ]

    assert [b.decision for b in bulk] == [s.decision for s in single]
    assert [b.rule_codes for b in bulk] == [["call_frequency"], ["contact_window"], []]
    assert len({b.id for b in bulk} | {s.id for s in single}) == 6


def test_bulk_with_an_unknown_account_names_the_field():
    with pytest.raises(ValidationError) as excinfo:
        contact_check_bulk(
            [CheckRequest(account=987_654, channel="call", at=ny(2026, 4, 7, 10))],
            purpose="reminder",
        )
    assert "account" in excinfo.value.message_dict


# --- Phone zones stored with the contact point -----------------------------------------------


@pytest.mark.parametrize("given_as", ["instance", "id"])
def test_a_phone_is_judged_by_the_zones_stored_with_it(account, given_as):
    """The zones a contact point stored are what the window is checked in; an unresolved one
    (a bulk load not yet resolved) is looked up from its number."""
    point = ContactPointFactory(customer=account.customer, value="+12125550100")
    at = ny(2026, 3, 4, 10)  # 10:00 in New York, 00:00 in Tokyo

    def decide():
        target = ContactPoint.objects.get(pk=point.pk)
        request = CheckRequest(
            account=account.pk,
            channel="sms",
            at=at,
            contact_point=target if given_as == "instance" else target.pk,
        )
        return contact_check_bulk([request], purpose="reminder")[0]

    assert decide().allowed
    ContactPoint.objects.filter(pk=point.pk).update(phone_time_zones="Asia/Tokyo")
    moved = decide()
    assert not moved.allowed and "contact_window" in codes(moved)
    assert moved.inputs["candidate_time_zones"] == ["America/New_York", "Asia/Tokyo"]

    ContactPoint.objects.filter(pk=point.pk).update(phone_time_zones=None)
    unresolved = decide()
    assert unresolved.allowed
    assert unresolved.inputs["candidate_time_zones"] == ["America/New_York"]
