"""Why a case is urgent today: the one rule shared by the live queue and the nightly priority.

Three reasons put a case in front, each worth points (COMPLIANCE.md has nothing to say here;
these are the department's choices):
- a callback that is due: open, and due today or earlier (``CallbackTask.objects.due``; it
  stays in front until someone calls, and a logged conversation of its owner completes it);
- a pending promise to pay due today;
- a promise broken in the last ``BROKEN_PROMISE_RECENT_DAYS`` days.
The live queue annotates these flags on the page it shows; the nightly run folds the same
points into ``Account.queue_priority`` with the rarely-changing inputs.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import Case, Exists, OuterRef, Q, Value, When
from django.db.models.expressions import Combinable

from contacts.models import CallbackTask
from plans.models import PromiseStatus, PromiseToPay

CALLBACK_DUE_POINTS = 500
PROMISE_DUE_TODAY_POINTS = 300
BROKEN_PROMISE_POINTS = 200
BROKEN_PROMISE_RECENT_DAYS = 14

#: flag name → points, in the order the queue shows the reasons.
URGENCY_POINTS = {
    "callback_due": CALLBACK_DUE_POINTS,
    "promise_due": PROMISE_DUE_TODAY_POINTS,
    "promise_broken": BROKEN_PROMISE_POINTS,
}


def urgency_flags(as_of: date) -> dict[str, Exists]:
    """The three reasons for the account in the outer query, as ``Exists`` expressions."""
    promises = PromiseToPay.objects.filter(account=OuterRef("pk"))
    return {
        "callback_due": Exists(CallbackTask.objects.due(as_of).filter(account=OuterRef("pk"))),
        "promise_due": Exists(promises.filter(status=PromiseStatus.PENDING, due_date=as_of)),
        "promise_broken": Exists(
            promises.filter(
                status=PromiseStatus.BROKEN,
                due_date__gte=as_of - timedelta(days=BROKEN_PROMISE_RECENT_DAYS),
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
