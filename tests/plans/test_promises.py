"""Promises to pay: created directly or from a contact, resolved from payments."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError

from contacts.models import ContactLog
from plans import services
from plans.models import PlanPolicy, PromiseToPay
from plans.services import PromiseConflict
from tests.plans.factories import NOW, owing_account, pay

pytestmark = pytest.mark.django_db

DUE = date(2026, 11, 30)


def promise(account, by, amount="300.00", due=DUE, **kwargs):
    return services.promise_create(
        account=account, amount=Decimal(amount), due_date=due, by=by, now=NOW, **kwargs
    )


def contact_with(account, user):
    return ContactLog.objects.create(
        account=account,
        customer=account.customer,
        channel="call",
        direction="outbound",
        occurred_at=NOW,
        outcome="conversation",
        disposition="promise_to_pay",
        user=user,
    )


def test_a_promise_is_recorded_from_a_contact(team, specialist):
    account = owing_account(team)
    contact = contact_with(account, specialist)
    made = promise(account, specialist, contact=contact)

    assert (made.status, made.contact, made.created_by) == ("pending", contact, specialist)
    assert LogEntry.objects.get_for_object(made).get().actor == specialist


def test_a_contact_with_another_account_is_refused(team, specialist):
    other = contact_with(owing_account(team), specialist)
    with pytest.raises(ValidationError) as excinfo:
        promise(owing_account(team), specialist, contact=other)
    assert list(excinfo.value.message_dict) == ["contact"]


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("amount", {"amount": "0.00"}),
        ("amount", {"amount": "1.001"}),
        ("due_date", {"due": NOW.date() - timedelta(days=1)}),
    ],
)
def test_bad_promises_name_the_field(team, specialist, field, kwargs):
    with pytest.raises(ValidationError) as excinfo:
        promise(owing_account(team), specialist, **kwargs)
    assert list(excinfo.value.message_dict) == [field]


def test_one_promise_is_pending_per_account(team, specialist):
    account = owing_account(team)
    promise(account, specialist)
    with pytest.raises(PromiseConflict, match="pending promise of 300.00"):
        promise(account, specialist, amount="100.00")


def test_a_promise_paid_in_full_is_kept_at_once(team, specialist):
    account = owing_account(team)
    made = promise(account, specialist)
    pay(account, "100.00", reference="A", received_at=NOW + timedelta(hours=1))
    made.refresh_from_db()
    assert (made.status, made.paid_amount) == ("pending", Decimal("100.00"))

    pay(account, "200.00", reference="B", received_at=NOW + timedelta(days=2))
    made.refresh_from_db()
    assert (made.status, made.paid_amount) == ("kept", Decimal("300.00"))
    assert made.resolved_at == NOW + timedelta(days=2)


def test_after_its_date_a_promise_is_partially_kept_or_broken(team, specialist):
    partly, unpaid = owing_account(team), owing_account(team)
    partial = promise(partly, specialist)
    broken = promise(unpaid, specialist)
    pay(partly, "50.00", reference="A", received_at=NOW + timedelta(hours=1))

    assert services.promises_resolve(as_of=DUE, now=NOW) == 0  # not past the date yet
    assert services.promises_resolve(as_of=DUE + timedelta(days=1), now=NOW) == 2
    partial.refresh_from_db()
    broken.refresh_from_db()
    assert (partial.status, partial.paid_amount) == ("partially_kept", Decimal("50.00"))
    assert (broken.status, broken.paid_amount) == ("broken", Decimal("0.00"))
    assert services.promises_resolve(as_of=DUE + timedelta(days=2), now=NOW) == 0


def test_payments_before_the_promise_or_after_its_date_do_not_count(team, specialist):
    account = owing_account(team)
    pay(account, "300.00", reference="BEFORE", received_at=NOW - timedelta(hours=1))
    made = promise(account, specialist)
    pay(account, "300.00", reference="LATE", received_at=NOW + timedelta(days=8))
    made.refresh_from_db()
    assert made.status == "broken"  # resolved when the late payment posted


def test_promise_grace_days_are_policy(team, specialist):
    PlanPolicy.objects.filter(jurisdiction="US").update(promise_grace_days=3)
    account = owing_account(team)
    made = promise(account, specialist)
    pay(account, "300.00", reference="GRACE", received_at=NOW + timedelta(days=9))
    made.refresh_from_db()
    assert made.status == "kept"


def test_a_new_promise_resolves_an_overdue_one_first(team, specialist):
    account = owing_account(team)
    old = promise(account, specialist)
    later = NOW + timedelta(days=10)
    services.promise_create(
        account=account, amount=Decimal("50.00"), due_date=later.date(), by=specialist, now=later
    )
    old.refresh_from_db()
    assert old.status == "broken"
    assert PromiseToPay.objects.filter(account=account, status="pending").count() == 1


def test_without_an_injected_now_the_pinned_business_date_is_today(team, specialist, settings):
    settings.BUSINESS_DATE = "2030-01-10"
    account = owing_account(team)
    with pytest.raises(ValidationError, match=r"today \(2030-01-10\)"):
        services.promise_create(
            account=account, amount=Decimal("5.00"), due_date=date(2030, 1, 9), by=specialist
        )
