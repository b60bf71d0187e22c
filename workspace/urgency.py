"""Why a case is urgent today: the one rule shared by the live queue and the nightly priority.

These reasons put a case in front, each worth points (COMPLIANCE.md has nothing to say here;
these are the department's choices):
- a callback that is due: open, and due today or earlier (``CallbackTask.objects.due``; it
  stays in front until someone calls, and a logged conversation of its owner completes it);
- a pending promise to pay due today;
- a plan installment missed: the active plan has an installment unpaid after its due date
  (``plans.reage.unpaid_past_due``, the rule that re-ages the account);
- a promise broken in the last ``BROKEN_PROMISE_RECENT_DAYS`` days;
- a settlement offer expiring: offered, and its last day is within
  ``SETTLE_SETTLEMENT_EXPIRING_DAYS`` (default 7) from today;
- a hardship review due: an active hardship arrangement whose review date has come.
Each is an ``Exists`` over the plans and contacts tables: the live queue annotates these flags
on the page it shows, and the nightly run folds the same expressions into
``Account.queue_priority`` with the rarely-changing inputs, so the two cannot drift.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.db.models import Case, Exists, OuterRef, Q, Value, When
from django.db.models.expressions import Combinable

from contacts.models import CallbackTask
from plans.models import (
    HardshipArrangement,
    HardshipStatus,
    Installment,
    PlanStatus,
    PromiseStatus,
    PromiseToPay,
    Settlement,
    SettlementStatus,
)
from plans.reage import unpaid_past_due

CALLBACK_DUE_POINTS = 500
PROMISE_DUE_TODAY_POINTS = 300
INSTALLMENT_MISSED_POINTS = 250
BROKEN_PROMISE_POINTS = 200
SETTLEMENT_EXPIRING_POINTS = 150
HARDSHIP_REVIEW_POINTS = 100
BROKEN_PROMISE_RECENT_DAYS = 14

#: flag name → points, in the order the queue shows the reasons.
URGENCY_POINTS = {
    "callback_due": CALLBACK_DUE_POINTS,
    "promise_due": PROMISE_DUE_TODAY_POINTS,
    "installment_missed": INSTALLMENT_MISSED_POINTS,
    "promise_broken": BROKEN_PROMISE_POINTS,
    "settlement_expiring": SETTLEMENT_EXPIRING_POINTS,
    "hardship_review": HARDSHIP_REVIEW_POINTS,
}


def settlement_expiring_days() -> int:
    return int(settings.SETTLE_SETTLEMENT_EXPIRING_DAYS)


def urgency_flags(as_of: date) -> dict[str, Exists]:
    """The reasons for the account in the outer query, as ``Exists`` expressions."""
    promises = PromiseToPay.objects.filter(account=OuterRef("pk"))
    expiring_by = as_of + timedelta(days=settlement_expiring_days())
    return {
        "callback_due": Exists(CallbackTask.objects.due(as_of).filter(account=OuterRef("pk"))),
        "promise_due": Exists(promises.filter(status=PromiseStatus.PENDING, due_date=as_of)),
        "installment_missed": Exists(
            Installment.objects.filter(
                unpaid_past_due(as_of),
                plan__account=OuterRef("pk"),
                plan__status=PlanStatus.ACTIVE,
            )
        ),
        "promise_broken": Exists(
            promises.filter(
                status=PromiseStatus.BROKEN,
                due_date__gte=as_of - timedelta(days=BROKEN_PROMISE_RECENT_DAYS),
            )
        ),
        "settlement_expiring": Exists(
            Settlement.objects.filter(
                account=OuterRef("pk"),
                status=SettlementStatus.OFFERED,
                expires_on__gte=as_of,
                expires_on__lte=expiring_by,
            )
        ),
        "hardship_review": Exists(
            HardshipArrangement.objects.filter(
                account=OuterRef("pk"), status=HardshipStatus.ACTIVE, review_on__lte=as_of
            )
        ),
    }


def urgency_points(flags: dict[str, Q | Exists | Combinable]) -> Combinable:
    """The points of the reasons that hold, summed; ``flags`` as from ``urgency_flags`` or
    ``Q(flag=True)`` over flags already annotated."""
    total: Combinable = Value(0)
    for name, points in URGENCY_POINTS.items():
        total = total + Case(When(flags[name], then=Value(points)), default=Value(0))
    return total
