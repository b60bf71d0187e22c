"""What a customer can afford (PLANS.md "Limits and affordability"), counting what they already
pay on their other accounts. The one definition the plan options, the builder's preview, plan
submission and settlement offers all use.

Disposable income is the customer's declared income less expenses, less the monthly
equivalent of what Settle already expects from them on their *other* accounts in the same
currency (a customer may hold several cards and loans): the installments of their open plans
(active or waiting for approval) and of their open settlement offers. An installment is
affordable when it is at most that disposable income times the jurisdiction's share, per
period of its frequency. A customer who has declared no income and expenses gets no verdict
(``None``), never a refusal.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Max

from accounts.models import Account
from core.money import display_places
from plans.affordability import installment_budget, monthly_equivalent
from plans.models import (
    OPEN_PLAN_STATUSES,
    OPEN_SETTLEMENT_STATUSES,
    ZERO,
    Installment,
    PlanPolicy,
    Settlement,
)
from plans.schedule import Frequency
from plans.settlement import settlement_schedule


@dataclass(frozen=True)
class Budget:
    """The customer's budget as the plan builder, the API and the approval reasons show it."""

    declared: Decimal | None  # income − expenses as declared; None when not declared
    commitments: Decimal  # monthly, on the customer's other accounts in the currency
    share: Decimal

    @property
    def disposable(self) -> Decimal | None:
        return None if self.declared is None else self.declared - self.commitments

    def per_period(self, frequency: str, currency: str) -> Decimal | None:
        """The largest affordable installment per period of ``frequency`` (rounded down)."""
        return installment_budget(
            self.disposable, self.share, Frequency(frequency), display_places(currency)
        )

    def affordable(self, installment: Decimal, frequency: str, currency: str) -> bool | None:
        budget = self.per_period(frequency, currency)
        return None if budget is None else installment <= budget


def other_commitments(account: Account) -> Decimal:
    """Monthly equivalent of the installments Settle expects from the account's customer on
    their other accounts in the account's currency: the largest regular installment of each
    open plan and of each open settlement offer (monthly)."""
    plans = (
        Installment.objects.filter(
            plan__account__customer_id=account.customer_id,
            plan__currency=account.currency,
            plan__status__in=OPEN_PLAN_STATUSES,
            number__gte=1,
        )
        .exclude(plan__account_id=account.pk)
        .values("plan_id", "plan__frequency")
        .annotate(largest=Max("amount"))
        .order_by()
    )
    settlements = (
        Settlement.objects.filter(
            account__customer_id=account.customer_id,
            currency=account.currency,
            status__in=OPEN_SETTLEMENT_STATUSES,
        )
        .exclude(account_id=account.pk)
        .values_list("amount", "installment_count", "first_due_date")
    )
    monthly = [
        monthly_equivalent(row["largest"], Frequency(row["plan__frequency"])) for row in plans
    ]
    monthly += [
        max(due.amount for due in settlement_schedule(amount, n, first, account.currency))
        for amount, n, first in settlements
    ]
    return sum(monthly, ZERO)


def customer_budget(account: Account, policy: PlanPolicy | None = None) -> Budget:
    customer = account.customer
    policy = policy or PlanPolicy.for_jurisdiction(customer.jurisdiction)
    declared = customer.disposable_income
    return Budget(
        declared=declared,
        commitments=ZERO if declared is None else other_commitments(account),
        share=policy.affordability_share,
    )
