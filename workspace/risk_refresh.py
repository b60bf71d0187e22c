"""The risk refresh: an account's own history (payments, broken promises and plans) and its
contactability turned into the inputs of ``accounts.risk.score``, and the tier stored.

It sits in the workspace because it reads plans (payments, promises, plans) as well as accounts.
The nightly run's SQL path (``workspace.nightly``) computes the same inputs in one statement.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.db.models import Count
from django.utils import timezone

from accounts import risk
from accounts.models import Account, ContactPoint
from accounts.risk import RiskHistory, risk_inputs
from plans.models import Payment, Plan, PromiseStatus, PromiseToPay


def risk_histories(account_ids: set[int], *, as_of: date) -> dict[int, RiskHistory]:
    def counts(queryset) -> dict[int, int]:
        return dict(
            queryset.values("account_id").annotate(n=Count("id")).values_list("account_id", "n")
        )

    payments = counts(
        Payment.objects.filter(
            account_id__in=account_ids, received_at__date__gte=as_of - timedelta(days=90)
        )
    )
    promises = counts(
        PromiseToPay.objects.filter(
            account_id__in=account_ids,
            status=PromiseStatus.BROKEN,
            due_date__gte=as_of - timedelta(days=180),
        )
    )
    # A plan that broke counts even after it was rescheduled (its status moves on, not broken_at).
    plans = counts(Plan.objects.filter(account_id__in=account_ids, broken_at__isnull=False))
    return {
        account_id: RiskHistory(
            payments.get(account_id, 0), promises.get(account_id, 0), plans.get(account_id, 0)
        )
        for account_id in account_ids
    }


def account_risk_refresh(*, account: Account, as_of: date, now: datetime | None = None) -> Account:
    """Recompute one account's tier and store the factors (no audit row: derived data)."""
    return accounts_risk_refresh(accounts=[account], as_of=as_of, now=now)[0]


def accounts_risk_refresh(
    *, accounts: Iterable[Account], as_of: date, now: datetime | None = None
) -> list[Account]:
    accounts = list(accounts)
    customer_ids = {a.customer_id for a in accounts}
    contactable = set(
        ContactPoint.objects.contactable()
        .filter(customer_id__in=customer_ids)
        .values_list("customer_id", flat=True)
    )
    now = now or timezone.now()
    histories = risk_histories({a.pk for a in accounts}, as_of=as_of)
    for account in accounts:
        result = risk.score(
            risk_inputs(
                account,
                as_of=as_of,
                contactable=account.customer_id in contactable,
                history=histories[account.pk],
            )
        )
        account.risk_score = result.score
        account.risk_tier = result.tier
        account.risk_factors = result.factors_as_json()
        account.risk_scored_at = now
    Account.objects.bulk_update(
        accounts, ["risk_score", "risk_tier", "risk_factors", "risk_scored_at"], batch_size=2000
    )
    return accounts
