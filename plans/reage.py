"""Re-ageing: how delinquent an account on a plan is. One rule, in its Python and SQL forms.

While a plan is active the account's delinquency is measured against the plan, not the
original debt (API.md, "The life of a case"; Fineract's re-age, card issuers' workout re-age):
``delinquent_since`` is the due date of the oldest plan installment still unpaid after its due
date, or empty while every installment due so far is paid. DPD stays derived from
``delinquent_since`` (``accounts.aging``), so the queue, buckets, risk and roll rates follow.

The stored date is kept current by the plan services (activation, each payment, the end of the
plan) and by the nightly ``plans_reage`` for installments that fall past due overnight; the
date before the first re-age is kept on the account as ``original_delinquent_since``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db.models import F, Min, OuterRef, Q, Subquery

from plans.models import Installment, PlanStatus


def is_past_due(due_date: date, as_of: date) -> bool:
    """An installment is past due from the day after its due date (``unpaid_past_due``)."""
    return due_date < as_of


def plan_delinquent_since(unpaid_due_dates: Iterable[date], as_of: date) -> date | None:
    """The oldest due date of an unpaid plan installment that is past due on ``as_of``."""
    return min((due for due in unpaid_due_dates if is_past_due(due, as_of)), default=None)


def unpaid_past_due(as_of: date) -> Q:
    """Installments (of any plan) unpaid after their due date, as ``plan_delinquent_since``
    counts them (``is_past_due`` in SQL)."""
    return Q(paid_amount__lt=F("amount"), due_date__lt=as_of)


def plan_delinquent_since_subquery(as_of: date, account_ref: str = "pk") -> Subquery:
    """``plan_delinquent_since`` of the account's active plan, for an ``Account`` queryset."""
    oldest = (
        Installment.objects.filter(
            unpaid_past_due(as_of),
            plan__account=OuterRef(account_ref),
            plan__status=PlanStatus.ACTIVE,
        )
        .order_by()
        .values("plan__account")
        .annotate(oldest=Min("due_date"))
        .values("oldest")[:1]
    )
    return Subquery(oldest)
