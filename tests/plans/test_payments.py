"""payment_post: idempotency, conflicts, allocation order, partial and over-payments, completion."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Sum

from accounts.models import Stage
from plans import services
from plans.models import Allocation, Installment, Payment, PlanStatus
from plans.services import PaymentConflict
from tests.factories import AccountFactory
from tests.plans.factories import NOW, active_plan, owing_account, pay

pytestmark = pytest.mark.django_db


def allocations(payment):
    return [
        (a.installment.number if a.installment else None, a.component, a.amount)
        for a in payment.allocations.order_by("id")
    ]


def installment(plan, number):
    return Installment.objects.get(plan=plan, number=number)


# --- Idempotency -------------------------------------------------------------------------------
def test_the_same_reference_and_amount_returns_the_stored_payment(team):
    account = owing_account(team)
    first = pay(account, "150.00", reference="BANK-1")
    again = pay(account, "150.00", reference="BANK-1")

    assert (first.created, again.created) == (True, False)
    assert again.payment.pk == first.payment.pk
    assert Payment.objects.count() == 1
    assert Allocation.objects.aggregate(total=Sum("amount"))["total"] == Decimal("150.00")
    account.refresh_from_db()
    assert account.fee_balance == Decimal("150.00")  # taken once


def test_the_same_reference_with_another_amount_is_a_conflict(team):
    account = owing_account(team)
    pay(account, "150.00", reference="BANK-1")
    with pytest.raises(PaymentConflict, match="already posted with the amount 150.00"):
        pay(account, "151.00", reference="BANK-1")
    assert Payment.objects.count() == 1


def test_the_same_reference_on_another_account_is_a_conflict(team):
    pay(owing_account(team), "150.00", reference="BANK-1")
    with pytest.raises(PaymentConflict, match="another account"):
        pay(owing_account(team), "150.00", reference="BANK-1")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("amount", Decimal("0")),
        ("amount", Decimal("-5.00")),
        ("amount", Decimal("10.005")),
        ("reference", "  "),
        ("received_at", NOW.replace(tzinfo=None)),
        ("received_at", NOW + timedelta(days=1)),
    ],
)
def test_bad_input_names_the_field(team, field, value):
    kwargs = {
        "account": owing_account(team),
        "amount": Decimal("10.00"),
        "received_at": NOW,
        "reference": "R",
        "by": None,
        "now": NOW,
    }
    kwargs[field] = value
    with pytest.raises(ValidationError) as excinfo:
        services.payment_post(**kwargs)
    assert list(excinfo.value.message_dict) == [field]
    assert Payment.objects.count() == 0


def test_a_yen_amount_has_no_decimals(team):
    account = AccountFactory(team=team, currency="JPY")
    with pytest.raises(ValidationError, match="JPY"):
        pay(account, "100.50", reference="Y-1")
    assert pay(account, "100", reference="Y-2").created


# --- Without a plan ----------------------------------------------------------------------------
def test_without_a_plan_the_account_is_paid_fee_then_interest_then_principal(team):
    account = owing_account(team)
    posted = pay(account, "1100.00", reference="P-1")

    assert allocations(posted.payment) == [
        (None, "fee", Decimal("300.00")),
        (None, "interest", Decimal("700.00")),
        (None, "principal", Decimal("100.00")),
    ]
    account.refresh_from_db()
    assert (account.fee_balance, account.interest_balance, account.principal_balance) == (
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("8900.00"),
    )
    assert account.past_due_amount == Decimal("100.00")
    assert account.minimum_due == Decimal("0.00")
    assert (account.last_payment_date, account.last_payment_amount) == (
        NOW.date(),
        Decimal("1100.00"),
    )


def test_without_a_plan_what_exceeds_the_balance_is_credit(team):
    account = owing_account(team, principal="50.00", interest="0.00", fees="0.00")
    posted = pay(account, "80.00", reference="P-1")
    assert allocations(posted.payment) == [
        (None, "principal", Decimal("50.00")),
        (None, "credit", Decimal("30.00")),
    ]
    account.refresh_from_db()
    assert account.total_balance == 0
    assert account.past_due_amount == 0


def test_an_older_payment_posted_late_does_not_replace_the_last_payment(team):
    account = owing_account(team)
    pay(account, "10.00", reference="NEW", received_at=NOW)
    pay(account, "20.00", reference="OLD", received_at=NOW - timedelta(days=5))
    account.refresh_from_db()
    assert (account.last_payment_date, account.last_payment_amount) == (
        NOW.date(),
        Decimal("10.00"),
    )


# --- With an active plan -----------------------------------------------------------------------
def test_a_partial_payment_pays_interest_before_principal(team, specialist):
    account = owing_account(team)
    plan = active_plan(account, specialist)
    posted = pay(account, "150.00", reference="P-1")

    assert posted.payment.plan == plan
    assert allocations(posted.payment) == [
        (1, "interest", Decimal("100.00")),
        (1, "principal", Decimal("50.00")),
    ]
    first = installment(plan, 1)
    assert (first.status, first.paid_amount, first.paid_at) == ("partial", Decimal("150.00"), None)
    account.refresh_from_db()
    # Only the plan's principal was owed on the account: 50.00 comes off the fees first.
    assert account.fee_balance == Decimal("250.00")
    assert account.interest_balance == Decimal("700.00")


def test_an_overpayment_rolls_forward_to_the_next_installment(team, specialist):
    account = owing_account(team)
    plan = active_plan(account, specialist)
    pay(account, "150.00", reference="P-1")
    posted = pay(account, "900.00", reference="P-2")

    assert allocations(posted.payment) == [
        (1, "principal", Decimal("738.49")),
        (2, "interest", Decimal("92.12")),
        (2, "principal", Decimal("69.39")),
    ]
    first, second = installment(plan, 1), installment(plan, 2)
    assert (first.status, first.paid_at) == ("paid", NOW)
    assert (second.status, second.paid_amount) == ("partial", Decimal("161.51"))


def test_fees_come_first_on_a_flat_fee_plan(team, specialist):
    account = owing_account(team)
    plan = active_plan(
        account, specialist, method="flat_fee", annual_rate=None, period_fee_rate=Decimal("0.006")
    )
    posted = pay(account, "1000.00", reference="P-1")
    assert allocations(posted.payment) == [
        (1, "fee", Decimal("60.00")),
        (1, "principal", Decimal("833.33")),
        (2, "fee", Decimal("60.00")),
        (2, "principal", Decimal("46.67")),
    ]
    assert plan.apr == Decimal("0.1303")  # PLANS.md: a 0.6 % monthly fee is about 13 % a year


def test_the_down_payment_is_paid_first(team, specialist):
    account = owing_account(team)
    plan = active_plan(account, specialist, down_payment=Decimal("1000.00"))
    posted = pay(account, "1100.00", reference="P-1")
    assert allocations(posted.payment) == [
        (0, "principal", Decimal("1000.00")),
        (1, "interest", Decimal("90.00")),
        (1, "principal", Decimal("10.00")),
    ]
    assert installment(plan, 0).status == "paid"


def test_paying_everything_completes_the_plan_and_keeps_the_rest_as_credit(team, specialist):
    account = owing_account(team)
    plan = active_plan(account, specialist)
    posted = pay(account, "10671.86", reference="ALL")

    assert allocations(posted.payment)[-1] == (None, "credit", Decimal("10.00"))
    plan.refresh_from_db()
    assert plan.status == PlanStatus.COMPLETED
    assert plan.completed_at == NOW
    assert plan.events.last().action == "completed"
    assert not plan.installments.exclude(status="paid").exists()
    account.refresh_from_db()
    assert account.total_balance == 0
    assert account.stage == Stage.PAID  # in full, no concessions: paid off, not settled

    later = pay(account, "5.00", reference="AFTER")
    assert allocations(later.payment) == [(None, "credit", Decimal("5.00"))]
    assert later.payment.plan is None


def test_a_missed_installment_paid_in_full_is_paid(team, specialist):
    account = owing_account(team)
    plan = active_plan(account, specialist)
    Installment.objects.filter(plan=plan, number=1).update(status="missed")
    pay(account, "50.00", reference="P-1")
    assert installment(plan, 1).status == "missed"  # partly paid, still missed
    pay(account, "838.49", reference="P-2")
    assert installment(plan, 1).status == "paid"


def test_a_pending_plan_does_not_take_payments(team, specialist):
    account = owing_account(team)
    plan = active_plan(account, specialist, waived_interest=Decimal("700.00"))
    assert plan.status == PlanStatus.PENDING_APPROVAL
    posted = pay(account, "100.00", reference="P-1")
    assert posted.payment.plan is None
    assert allocations(posted.payment) == [(None, "fee", Decimal("100.00"))]
