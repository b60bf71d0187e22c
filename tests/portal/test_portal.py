"""The customer portal: links, verification, isolation between customers, and what a verified
customer can do (each act through the specialists' services, recorded as a portal event)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Account, ContactPoint
from accounts.portal_links import LinkError, link_read, link_token
from compliance.models import CommunicationRestriction, ComplianceDecision, Purpose
from contacts.models import CallbackTask, ContactLog, Dispute
from plans.models import AcceptanceChannel, Plan, PlanStatus, PromiseToPay
from portal.models import PortalEvent, PortalSession, SelfServiceAcceptance, VerificationAttempt
from tests.factories import ContactPointFactory, TeamFactory, UserFactory
from tests.plans.factories import owing_account
from tests.portal.conftest import DOB, NOW, CaptureBackend, sent_code, sign_in, token_for

pytestmark = pytest.mark.django_db


# --- Links -------------------------------------------------------------------------------


def test_a_token_names_its_customer_until_its_last_day():
    token = link_token(42, valid_until=date(2026, 12, 1))
    assert link_read(token, today=date(2026, 12, 1)).customer_id == 42
    with pytest.raises(LinkError) as expired:
        link_read(token, today=date(2026, 12, 2))
    assert expired.value.reason == "expired"


@pytest.mark.parametrize(
    "change",
    [
        lambda t: "16" + t[t.index(".") :],  # another customer, same signature
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # the signature altered
        lambda t: ".".join(t.split(".")[:2]) + ".zzzzzzzzzzzzzzzz",
        lambda t: t.split(".")[0],
        lambda t: t + ".x",
    ],
)
def test_a_tampered_token_is_refused(change):
    token = link_token(41, valid_until=date(2026, 12, 1))
    with pytest.raises(LinkError):
        link_read(change(token), today=date(2026, 11, 1))


def test_expired_and_tampered_links_open_nothing(client, account, clock):
    expired = token_for(account.customer, until=date(2026, 11, 22))
    response = client.get(reverse("portal:link", args=[expired]))
    assert response.status_code == 410
    tampered = token_for(account.customer)[:-2] + "xx"
    response = client.get(reverse("portal:link", args=[tampered]))
    assert response.status_code == 404
    assert PortalSession.objects.count() == 0
    assert "settle_portal" not in response.cookies


def test_nothing_personal_before_verification(client, account, clock):
    client.get(reverse("portal:link", args=[token_for(account.customer)]))
    for name in ("portal:home", "portal:preferences"):
        assert client.get(reverse(name)).url == reverse("portal:verify")
    page = client.get(reverse("portal:verify")).content.decode()
    assert account.customer.name not in page and account.number[-4:] not in page
    detail = client.get(reverse("portal:account", args=[account.pk]))
    assert detail.status_code == 302


# --- Verification ------------------------------------------------------------------------


def test_link_then_date_of_birth_then_code_verifies(client, account, clock):
    sign_in(client, account.customer)
    session = PortalSession.objects.get()
    assert session.verified_at == NOW and session.identified_by == "date_of_birth"
    home = client.get(reverse("portal:home")).content.decode()
    assert account.customer.name in home and "10000.00" in home
    # The code went through the compliance gate as a solicited message, and was logged once,
    # masked: neither the decision nor the log holds the code.
    decision = ComplianceDecision.objects.get(purpose=Purpose.CUSTOMER_REQUEST)
    assert decision.allowed and decision.inputs["solicited"] is True
    entry = ContactLog.objects.get(notes="Portal verification code")
    assert entry.decision_id == decision.pk
    code = sent_code()
    assert code not in entry.message and code not in decision.inputs["message"]
    assert PortalEvent.objects.filter(kind=PortalEvent.Kind.VERIFIED).count() == 1


def test_the_last_four_of_the_id_also_identify(client, account, clock):
    client.get(reverse("portal:link", args=[token_for(account.customer)]))
    response = client.post(reverse("portal:verify"), {"id_last_digits": "6789"})
    assert response.url == reverse("portal:code")


def test_a_code_can_be_sent_at_night_the_customer_asked_for_it(client, account, clock):
    clock.move_to(NOW.replace(hour=4))  # 23:00 in New York: no collection message then
    sign_in(client, account.customer)
    assert ComplianceDecision.objects.get(purpose=Purpose.CUSTOMER_REQUEST).allowed


def test_wrong_answers_lock_the_customer_whatever_the_address(account, clock):
    token = token_for(account.customer)
    for i in range(5):
        client = Client(REMOTE_ADDR=f"10.0.0.{i}")
        client.get(reverse("portal:link", args=[token]))
        response = client.post(reverse("portal:verify"), {"date_of_birth": "1999-01-01"})
        assert response.status_code == 400
    client = Client(REMOTE_ADDR="10.0.1.1")
    client.get(reverse("portal:link", args=[token]))
    response = client.post(reverse("portal:verify"), {"date_of_birth": DOB.isoformat()})
    assert response.status_code == 429  # even the right answer waits
    assert PortalSession.objects.filter(identified_at__isnull=False).count() == 0
    clock.shift(timedelta(minutes=31))
    response = client.post(reverse("portal:verify"), {"date_of_birth": DOB.isoformat()})
    assert response.status_code == 302


def test_wrong_codes_lock_too(client, account, clock):
    client.get(reverse("portal:link", args=[token_for(account.customer)]))
    client.post(reverse("portal:verify"), {"date_of_birth": DOB.isoformat()})
    point = account.customer.contact_points.get()
    client.post(reverse("portal:code"), {"action": "send", "point": point.pk})
    right = sent_code()
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(5):
        assert (
            client.post(reverse("portal:code"), {"action": "check", "code": wrong}).status_code
            == 400
        )
    assert (
        client.post(reverse("portal:code"), {"action": "check", "code": right}).status_code == 429
    )
    assert PortalSession.objects.get().verified_at is None
    assert VerificationAttempt.objects.filter(succeeded=False).count() == 5


def test_a_code_goes_only_to_the_customers_own_points(client, account, clock):
    other = ContactPointFactory(kind="phone", value="+12125550199")
    client.get(reverse("portal:link", args=[token_for(account.customer)]))
    client.post(reverse("portal:verify"), {"date_of_birth": DOB.isoformat()})
    response = client.post(reverse("portal:code"), {"action": "send", "point": other.pk})
    assert response.status_code == 400 and CaptureBackend.sent == []


def test_the_portal_session_is_not_the_staff_session(client, account, clock):
    user = UserFactory(username="spec")
    client.force_login(user)
    sign_in(client, account.customer)
    assert client.session.get("_auth_user_id") == str(user.pk)  # the specialist is still signed in
    assert "settle_portal" in client.cookies and client.cookies["settle_portal"]["httponly"]
    stored = PortalSession.objects.get()
    assert stored.key_hash != client.cookies["settle_portal"].value  # only its hash is kept


def test_an_idle_session_ends(portal, clock):
    clock.shift(timedelta(minutes=16))
    assert portal.get(reverse("portal:home")).url == reverse("portal:start")


# --- One customer's link never shows another's data --------------------------------------


def test_another_customers_account_is_not_found(portal, account):
    stranger = owing_account(TeamFactory(), number="4111111111119999")
    for name in ("portal:account", "portal:plan"):
        response = portal.get(reverse(name, args=[stranger.pk]))
        assert response.status_code == 404
        assert "9999" not in response.content.decode()
    response = portal.post(
        reverse("portal:promise", args=[stranger.pk]), {"amount": "10", "due_date": "2026-11-30"}
    )
    assert response.status_code == 404 and not PromiseToPay.objects.exists()
    assert "9999" not in portal.get(reverse("portal:home")).content.decode()


# --- What the customer can do ------------------------------------------------------------


def test_what_is_owed_with_the_validation_information(portal, account):
    page = portal.get(reverse("portal:account", args=[account.pk])).content.decode()
    assert "10000.00" in page and "1200.00" in page
    assert 'data-disclosure="us"' in page and "attempt to collect a debt" in page


def test_choosing_a_plan_records_the_customers_acceptance(portal, account):
    page = portal.get(reverse("portal:plan", args=[account.pk]))
    option = next(o for o in page.context["options"] if o["option"].installments == 6)
    response = portal.post(
        reverse("portal:plan", args=[account.pk]),
        {"installments": 6, "shown": option["hash"], "agree": "on"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    plan = Plan.objects.get(account=account)
    assert plan.status == PlanStatus.ACTIVE and plan.installment_count == 6
    assert plan.acceptance_channel == AcceptanceChannel.SELF_SERVICE
    acceptance = SelfServiceAcceptance.objects.get()
    assert acceptance.plan == plan and acceptance.text_shown == option["text"]
    assert str(acceptance.pk) in plan.acceptance_reference
    assert "APR" in acceptance.text_shown and acceptance.accepted_at == NOW
    assert PortalEvent.objects.filter(kind=PortalEvent.Kind.PLAN_ACCEPTED, account=account).exists()


def test_changed_terms_are_shown_again_not_accepted(portal, account):
    page = portal.get(reverse("portal:plan", args=[account.pk]))
    option = page.context["options"][0]
    Account.objects.filter(pk=account.pk).update(fee_balance=Decimal("400.00"))
    response = portal.post(
        reverse("portal:plan", args=[account.pk]),
        {"installments": option["option"].installments, "shown": option["hash"], "agree": "on"},
    )
    assert response.status_code == 400 and not Plan.objects.exists()


def test_outside_the_policy_the_request_goes_to_the_specialist(portal, account):
    Account.objects.filter(pk=account.pk).update(risk_tier="high")
    page = portal.get(reverse("portal:plan", args=[account.pk]))
    assert page.context["refusal"] and not page.context["options"]
    response = portal.post(
        reverse("portal:plan", args=[account.pk]),
        {"action": "request", "installments": 24, "note": "lost my job"},
    )
    assert response.status_code == 302
    callback = CallbackTask.objects.get(account=account)
    assert "plan (24)" in callback.note and "lost my job" in callback.note
    assert not Plan.objects.exists()


def test_a_promise_online(portal, account):
    response = portal.post(
        reverse("portal:promise", args=[account.pk]), {"amount": "300.00", "due_date": "2026-11-30"}
    )
    assert response.status_code == 302
    promise = PromiseToPay.objects.get(account=account)
    assert promise.self_service and promise.amount == Decimal("300.00")


def test_a_callback_only_when_compliance_allows(portal, account):
    late = portal.post(
        reverse("portal:callback", args=[account.pk]), {"due_at": "2026-11-24T22:30"}
    )
    assert late.status_code == 400 and "Next allowed" in late.content.decode()
    ok = portal.post(reverse("portal:callback", args=[account.pk]), {"due_at": "2026-11-24T11:00"})
    assert ok.status_code == 302
    assert CallbackTask.objects.get(account=account).due_at.hour == 16  # 11:00 New York


def test_a_dispute_online_opens_the_dispute_and_its_hold(portal, account):
    response = portal.post(
        reverse("portal:dispute", args=[account.pk]),
        {"kind": "not_mine", "description": "I never opened this card."},
    )
    assert response.status_code == 302
    assert Dispute.objects.filter(account=account, kind="not_mine").exists()
    assert CommunicationRestriction.objects.filter(
        customer=account.customer, kind="dispute_pending", ended_at__isnull=True
    ).exists()


def test_hardship_online_opens_a_review(portal, account):
    portal.post(reverse("portal:hardship", args=[account.pk]), {"description": "Hours cut"})
    account.refresh_from_db()
    assert account.hardship_declared_at == NOW
    assert "Hardship review" in CallbackTask.objects.get(account=account).note


def test_contact_preferences(portal, account):
    response = portal.post(
        reverse("portal:preferences"),
        {"opt_out": ["sms"], "not_before": "09:00", "not_after": "18:00"},
    )
    assert response.status_code == 200 and response.context["saved"]
    kinds = set(
        CommunicationRestriction.objects.filter(customer=account.customer).values_list(
            "kind", "channel"
        )
    )
    assert kinds == {("channel_opt_out", "sms"), ("inconvenient_time", "")}


def test_every_act_is_a_portal_event(portal, account):
    portal.post(
        reverse("portal:promise", args=[account.pk]), {"amount": "30", "due_date": "2026-11-30"}
    )
    portal.post(reverse("portal:hardship", args=[account.pk]), {"description": "Illness"})
    kinds = list(PortalEvent.objects.order_by("id").values_list("kind", flat=True))
    assert kinds == ["verified", "promise", "hardship"]
    with pytest.raises(PermissionError):
        PortalEvent.objects.all().update(detail="x")


def test_points_offered_for_codes_are_usable_ones(client, account, clock):
    ContactPoint.objects.filter(customer=account.customer).update(opted_out=True)
    email = ContactPointFactory(customer=account.customer, kind="email", value="a@example.test")
    client.get(reverse("portal:link", args=[token_for(account.customer)]))
    client.post(reverse("portal:verify"), {"date_of_birth": DOB.isoformat()})
    page = client.get(reverse("portal:code"))
    assert [p.pk for p in page.context["points"]] == [email.pk]


def test_the_supervisors_kpis_count_what_customers_did_themselves(portal, account, clock):
    from dashboards import kpis
    from dashboards.facts import facts_refresh
    from plans.services import promise_create

    other = owing_account(TeamFactory(code="team-x"))
    specialist = UserFactory(username="spec-kpi")
    promise_create(
        account=other, amount=Decimal("50"), due_date=date(2026, 11, 30), by=specialist, now=NOW
    )
    portal.post(
        reverse("portal:promise", args=[account.pk]), {"amount": "30", "due_date": "2026-11-30"}
    )
    facts_refresh(day=NOW.date(), snapshot=False)
    found = kpis.self_service(kpis.Filters.default(today=NOW.date()))
    assert (found["promises_self_service"], found["promises_made"]) == (1, 2)
    assert found["promises_share"] == Decimal("0.5000")


def test_pages_speak_the_customers_language_or_the_one_they_choose(client, account, clock):
    sign_in(client, account.customer)
    assert "My accounts" in client.get(reverse("portal:home")).content.decode()
    page = client.get(reverse("portal:home") + "?lang=zh-hans").content.decode()
    assert "我的账户" in page and 'lang="zh-hans"' in page
    # The choice stays for the session.
    assert "我的账户" in client.get(reverse("portal:account", args=[account.pk])).content.decode()


# --- Paying online -----------------------------------------------------------------------


def _pay(portal, account, amount: str):
    response = portal.post(reverse("portal:pay", args=[account.pk]), {"amount": amount})
    assert response.status_code == 302, response.content.decode()[:1000]
    return response.url  # the provider's page: the local fake here


def test_paying_online_posts_the_payment_once_the_provider_says_so(portal, account):
    from checkout.models import CheckoutSession
    from plans.models import Payment

    page = _pay(portal, account, "250.00")
    assert not Payment.objects.exists()  # nothing until the provider's signed event
    assert PortalEvent.objects.filter(kind=PortalEvent.Kind.PAYMENT_STARTED).exists()
    back = portal.post(page, {"action": "pay"})
    assert back.status_code == 302
    payment = Payment.objects.get(account=account)
    assert payment.amount == Decimal("250.00") and payment.source == Payment.Source.PORTAL
    result = portal.get(back.url)
    assert result.context["checkout"].status == CheckoutSession.Status.PAID
    account.refresh_from_db()
    assert account.principal_balance + account.interest_balance + account.fee_balance == Decimal(
        "9750.00"
    )


def test_a_declined_payment_changes_nothing(portal, account):
    from plans.models import Payment

    page = _pay(portal, account, "250.00")
    back = portal.post(page, {"action": "decline"})
    assert not Payment.objects.exists()
    assert portal.get(back.url).context["checkout"].status == "failed"
    account.refresh_from_db()
    assert account.principal_balance == Decimal("9000.00")


def test_paying_more_than_is_owed_is_refused_by_the_field(portal, account):
    response = portal.post(reverse("portal:pay", args=[account.pk]), {"amount": "20000.00"})
    assert response.status_code == 400
    assert response.context["form"].errors["amount"]


def test_a_payment_page_of_another_customers_account_is_not_found(portal, account):
    stranger = owing_account(TeamFactory(code="team-y"), number="4111111111118888")
    response = portal.post(reverse("portal:pay", args=[stranger.pk]), {"amount": "10.00"})
    assert response.status_code == 404


# --- Settling online ---------------------------------------------------------------------


@pytest.fixture
def settlements_online(db):
    from portal.models import SelfServicePolicy

    return SelfServicePolicy.objects.create(
        jurisdiction="US", settlements_enabled=True, max_discount=Decimal("0.1000")
    )


def test_no_settlement_is_offered_unless_the_policy_allows_it(portal, account):
    assert portal.get(reverse("portal:plan", args=[account.pk])).context["settlement"] is None


def test_a_settlement_within_the_policy_then_paid_online_closes_the_account(
    portal, account, settlements_online
):
    from plans.models import Settlement

    page = portal.get(reverse("portal:plan", args=[account.pk]))
    offer = page.context["settlement"]
    assert offer["terms"].amount == Decimal("9000.00")
    assert offer["terms"].discount == Decimal("1000.00")
    response = portal.post(
        reverse("portal:plan", args=[account.pk]),
        {"action": "settle", "shown": offer["hash"], "agree": "on"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    settlement = Settlement.objects.get(account=account)
    assert settlement.status == "offered" and settlement.amount == Decimal("9000.00")
    acceptance = SelfServiceAcceptance.objects.get(settlement=settlement)
    assert acceptance.text_shown == offer["text"] and "9000.00" in acceptance.text_shown
    # The pay form offers the settlement amount; paying it settles the account.
    detail = portal.get(reverse("portal:account", args=[account.pk]))
    assert detail.context["pay_form"].initial["amount"] == Decimal("9000.00")
    fake_page = _pay(portal, account, "9000.00")
    portal.post(fake_page, {"action": "pay"})
    settlement.refresh_from_db()
    account.refresh_from_db()
    assert settlement.status == "settled" and account.stage == "settled"


def test_a_settlement_outside_the_policys_buckets_is_not_offered(
    portal, account, settlements_online
):
    settlements_online.buckets = "M5,M6"
    settlements_online.save()
    page = portal.get(reverse("portal:plan", args=[account.pk]))
    assert page.context["settlement"] is None
    response = portal.post(
        reverse("portal:plan", args=[account.pk]),
        {"action": "settle", "shown": "0" * 64, "agree": "on"},
    )
    assert response.status_code == 400
    from plans.models import Settlement

    assert not Settlement.objects.exists()


def test_a_discount_beyond_the_self_service_authority_waits_for_a_supervisor(
    portal, account, settlements_online
):
    from plans.models import Settlement

    settlements_online.max_discount = Decimal("0.2500")
    settlements_online.save()
    offer = portal.get(reverse("portal:plan", args=[account.pk])).context["settlement"]
    response = portal.post(
        reverse("portal:plan", args=[account.pk]),
        {"action": "settle", "shown": offer["hash"], "agree": "on"},
    )
    assert response.url.endswith("done=settlement_pending")
    assert Settlement.objects.get(account=account).status == "pending_approval"


def test_a_typed_code_of_the_wrong_shape_is_refused_not_an_error(client, clock):
    response = client.post(reverse("portal:start"), {"code": "abc/../def"})
    assert response.status_code == 400 and response.context["form"].errors["code"]


def test_a_session_asks_for_three_codes_at_most_within_a_codes_life(client, account, clock):
    client.get(reverse("portal:link", args=[token_for(account.customer)]))
    client.post(reverse("portal:verify"), {"date_of_birth": DOB.isoformat()})
    point = account.customer.contact_points.get()
    for _ in range(3):
        assert (
            client.post(reverse("portal:code"), {"action": "send", "point": point.pk}).status_code
            == 200
        )
    assert (
        client.post(reverse("portal:code"), {"action": "send", "point": point.pk}).status_code
        == 400
    )
    assert len(CaptureBackend.sent) == 3
    clock.shift(timedelta(minutes=11))
    # Once the first codes have expired, another may be asked for (the session is not idle).
    assert (
        client.post(reverse("portal:code"), {"action": "send", "point": point.pk}).status_code
        == 200
    )
