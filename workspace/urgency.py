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
- a hardship review due: an active hardship arrangement whose review date has come;
- the customer replied: an SMS or email from the customer (an inbound contact-log entry, written
  by ``outreach.inbound``) with no contact logged by a member of staff on the account since;
- a legal date: an open step of the account's legal case (a hearing, a filing, an enforcement
  application) due within ``legal.services.LEGAL_DATE_DAYS`` days or overdue. Only supervisors'
  queues hold accounts in legal (``workspace.queue.queue_scope``).
Each reason is one set of rows (``_reasons``) read two ways: as an ``Exists`` per account (the
live queue annotates these flags on the rows of the page it shows, and the nightly run folds the
same expressions into ``Account.queue_priority``), and as the ids of the accounts it names
(``urgent_account_ids``: the queue's urgent head, found from the reasons' own small tables).
"""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.db.models import Case, Exists, OuterRef, Q, QuerySet, Value, When
from django.db.models.expressions import Combinable

from contacts.models import CallbackTask, ContactLog
from legal.models import LegalStep
from legal.services import LEGAL_DATE_DAYS
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
LEGAL_DATE_POINTS = 450  # a court's date does not move
CUSTOMER_REPLIED_POINTS = 400  # the customer is waiting for an answer
PROMISE_DUE_TODAY_POINTS = 300
INSTALLMENT_MISSED_POINTS = 250
BROKEN_PROMISE_POINTS = 200
SETTLEMENT_EXPIRING_POINTS = 150
HARDSHIP_REVIEW_POINTS = 100
BROKEN_PROMISE_RECENT_DAYS = 14

#: flag name → points, in the order the queue shows the reasons.
URGENCY_POINTS = {
    "callback_due": CALLBACK_DUE_POINTS,
    "legal_date": LEGAL_DATE_POINTS,
    "customer_replied": CUSTOMER_REPLIED_POINTS,
    "promise_due": PROMISE_DUE_TODAY_POINTS,
    "installment_missed": INSTALLMENT_MISSED_POINTS,
    "promise_broken": BROKEN_PROMISE_POINTS,
    "settlement_expiring": SETTLEMENT_EXPIRING_POINTS,
    "hardship_review": HARDSHIP_REVIEW_POINTS,
}


def settlement_expiring_days() -> int:
    return int(settings.SETTLE_SETTLEMENT_EXPIRING_DAYS)


def unanswered_replies() -> QuerySet:
    """The customers' SMS and email replies no member of staff has answered: no contact
    logged by a user (a call, a message, an inbound call they took) on the account at or after
    the reply. Read from the replies' own partial index (``contactlog_replies``)."""
    answered = ContactLog.objects.filter(
        account=OuterRef("account"), user__isnull=False, occurred_at__gte=OuterRef("occurred_at")
    )
    return (
        ContactLog.objects.filter(
            direction=ContactLog.Direction.INBOUND,
            channel__in=(ContactLog.Channel.SMS, ContactLog.Channel.EMAIL),
        )
        .filter(~Exists(answered))
        .order_by()
    )


def _reasons(as_of: date) -> dict[str, tuple[QuerySet, str]]:
    """Each reason as the rows that make it hold, and the path from those rows to the account."""
    promises = PromiseToPay.objects.order_by()
    expiring_by = as_of + timedelta(days=settlement_expiring_days())
    return {
        "callback_due": (CallbackTask.objects.due(as_of).order_by(), "account"),
        "legal_date": (
            LegalStep.objects.filter(
                done_on__isnull=True,
                due_on__lte=as_of + timedelta(days=LEGAL_DATE_DAYS),
                case__closed_at__isnull=True,
            ).order_by(),
            "case__account",
        ),
        "customer_replied": (unanswered_replies(), "account"),
        "promise_due": (promises.filter(status=PromiseStatus.PENDING, due_date=as_of), "account"),
        "installment_missed": (
            Installment.objects.filter(
                unpaid_past_due(as_of), plan__status=PlanStatus.ACTIVE
            ).order_by(),
            "plan__account",
        ),
        "promise_broken": (
            promises.filter(
                status=PromiseStatus.BROKEN,
                due_date__gte=as_of - timedelta(days=BROKEN_PROMISE_RECENT_DAYS),
            ),
            "account",
        ),
        "settlement_expiring": (
            Settlement.objects.filter(
                status=SettlementStatus.OFFERED,
                expires_on__gte=as_of,
                expires_on__lte=expiring_by,
            ).order_by(),
            "account",
        ),
        "hardship_review": (
            HardshipArrangement.objects.filter(
                status=HardshipStatus.ACTIVE, review_on__lte=as_of
            ).order_by(),
            "account",
        ),
    }


def urgency_flags(as_of: date) -> dict[str, Exists]:
    """The reasons for the account in the outer query, as ``Exists`` expressions."""
    return {
        name: Exists(rows.filter(**{path: OuterRef("pk")}))
        for name, (rows, path) in _reasons(as_of).items()
    }


def urgent_account_ids(as_of: date, accounts: QuerySet) -> QuerySet:
    """The ids of those of ``accounts`` with at least one reason: one query, a union of one
    small query per reason that starts from the reason's own rows (callbacks due, promises,
    missed installments, …), never from the accounts, so it costs what is urgent today."""
    scope = accounts.order_by().values("pk")
    parts = [
        rows.filter(**{f"{path}__in": scope}).values_list(f"{path}_id", flat=True)
        for rows, path in _reasons(as_of).values()
    ]
    return parts[0].union(*parts[1:])


def urgency_points(flags: dict[str, Q | Exists | Combinable]) -> Combinable:
    """The points of the reasons that hold, summed; ``flags`` as from ``urgency_flags`` or
    ``Q(flag=True)`` over flags already annotated."""
    total: Combinable = Value(0)
    for name, points in URGENCY_POINTS.items():
        total = total + Case(When(flags[name], then=Value(points)), default=Value(0))
    return total
