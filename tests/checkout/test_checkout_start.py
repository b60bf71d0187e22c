"""Starting a checkout: what may be paid, and a provider that cannot open a page."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from checkout import services
from checkout.models import CheckoutSession
from checkout.providers import FakeProvider, ProviderError
from tests.checkout.conftest import start
from tests.plans.factories import active_plan

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock(pinned):
    return pinned


def test_it_opens_a_pending_session_on_the_fake_page(account):
    session = start(account, "250.00")

    assert session.status == CheckoutSession.Status.PENDING
    assert session.amount == Decimal("250.00") and session.currency == "USD"
    assert session.provider == "fake"
    assert session.provider_session_id == f"cs_fake_{session.token}"
    assert session.redirect_url == f"/checkout/fake/{session.token}/"
    assert session.return_url == f"https://portal.example/pay/{session.token}/done/"
    assert session.cancel_url == f"https://portal.example/pay/{session.token}/cancelled/"
    assert session.self_service and session.created_by is None
    assert len(session.token) >= 32


def test_staff_may_start_one_for_the_customer(account, specialist):
    session = start(account, by=specialist, self_service=False, purpose="settlement")
    assert session.created_by == specialist and not session.self_service
    assert session.purpose == "settlement"


@pytest.mark.parametrize(
    ("amount", "field"),
    [
        (Decimal("0"), "amount"),
        (Decimal("-5.00"), "amount"),
        (Decimal("10.001"), "amount"),  # USD has 2 places
        (Decimal("10000.01"), "amount"),  # more than the 10,000.00 owed
        (Decimal("NaN"), "amount"),
    ],
)
def test_a_bad_amount_is_refused_naming_the_field(account, amount, field):
    with pytest.raises(ValidationError) as caught:
        services.checkout_start(
            account=account,
            amount=amount,
            purpose="payment",
            success_url="https://p.example/ok",
            cancel_url="https://p.example/no",
        )
    assert field in caught.value.message_dict
    assert not CheckoutSession.objects.exists()


def test_a_float_is_not_an_amount(account):
    with pytest.raises(ValidationError) as caught:
        services.checkout_start(
            account=account,
            amount=12.5,  # type: ignore[arg-type]
            purpose="payment",
            success_url="https://p.example/ok",
            cancel_url="https://p.example/no",
        )
    assert "amount" in caught.value.message_dict


def test_the_whole_balance_may_be_paid(account):
    assert start(account, "10000.00").amount == Decimal("10000.00")


def test_with_an_active_plan_what_is_left_of_the_plan_may_be_paid(account, supervisor):
    plan = active_plan(account, supervisor)
    assert plan.total_payable > account.total_balance  # the plan's interest
    assert start(account, str(plan.total_payable)).amount == plan.total_payable
    with pytest.raises(ValidationError):
        start(account, str(plan.total_payable + Decimal("0.01")))


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"purpose": "lottery"}, "purpose"),
        ({"success_url": "/relative/"}, "success_url"),
        ({"cancel_url": "javascript:alert(1)"}, "cancel_url"),
    ],
)
def test_bad_input_names_its_field_and_stores_nothing(account, extra, field):
    with pytest.raises(ValidationError) as caught:
        start(account, **extra)
    assert field in caught.value.message_dict
    assert not CheckoutSession.objects.exists()


@pytest.mark.parametrize("stage", ["paid", "settled", "written_off", "closed"])
def test_a_closed_account_takes_no_payment_online(account, stage):
    type(account).objects.filter(pk=account.pk).update(stage=stage)
    with pytest.raises(ValidationError) as caught:
        start(account)
    assert "account" in caught.value.message_dict


def test_a_provider_that_refuses_leaves_a_failed_session_and_says_so(account, monkeypatch):
    def refuse(self, session, success_url, cancel_url):
        raise ProviderError("amount below the minimum")

    monkeypatch.setattr(FakeProvider, "create_session", refuse)
    with pytest.raises(services.CheckoutUnavailable):
        start(account)
    session = CheckoutSession.objects.get()
    assert session.status == CheckoutSession.Status.FAILED
    assert session.failure_reason == "amount below the minimum"
    assert session.redirect_url == ""


def test_the_return_page_finds_the_session_by_its_token_and_account(account):
    from checkout.selectors import session_by_token
    from tests.plans.factories import owing_account

    session = start(account)
    assert session_by_token(session.token) == session
    assert session_by_token(session.token, account=account) == session
    assert session_by_token(session.token, account=owing_account(account.team)) is None
    assert session_by_token("") is None and session_by_token("nope") is None
