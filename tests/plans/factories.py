"""Plans test helpers: accounts owing round amounts, and plans built through the services."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from plans import services
from tests.factories import AccountFactory

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
START = date(2026, 12, 1)

# PLANS.md's worked example: 10,000.00 at 12 % a year, 12 monthly installments, 30/360, half up.
WORKED_EXAMPLE = {
    "method": "equal_installment",
    "annual_rate": Decimal("0.12"),
    "installments": 12,
    "start_date": START,
}


def owing_account(team, *, principal="9000.00", interest="700.00", fees="300.00", **extra):
    """An account owing 10,000.00 by default (principal + interest + fees), whose customer can
    afford any plan the tests draft (100,000 income, 3,000 expenses: 48,500 a month at 50 %);
    affordability tests declare their own."""
    extra.setdefault("customer__monthly_income", Decimal("100000.00"))
    extra.setdefault("past_due_amount", Decimal("1200.00"))
    extra.setdefault("minimum_due", Decimal("300.00"))
    return AccountFactory(
        team=team,
        principal_balance=Decimal(principal),
        interest_balance=Decimal(interest),
        fee_balance=Decimal(fees),
        **extra,
    )


def draft_plan(account, by, *, now=NOW, **overrides):
    terms = {**WORKED_EXAMPLE, **overrides}
    return services.plan_create(account=account, by=by, now=now, **terms)


def accepted_plan(account, by, *, now=NOW, **overrides):
    plan = draft_plan(account, by, now=now, **overrides)
    return services.plan_accept(
        plan=plan, channel="recorded_call", accepted_at=now, by=by, reference="REC-1", now=now
    )


def active_plan(account, by, *, now=NOW, **overrides):
    plan = accepted_plan(account, by, now=now, **overrides)
    return services.plan_submit(plan=plan, by=by, now=now)


def pay(account, amount, *, reference, by=None, received_at=None, now=None):
    received_at = received_at or NOW
    return services.payment_post(
        account=account,
        amount=Decimal(amount),
        received_at=received_at,
        reference=reference,
        by=by,
        now=now or max(received_at, NOW),
    )
