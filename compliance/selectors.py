"""Reads behind the compliance gate, shaped for the contact log's indexes.

The contact log grows to tens of millions of rows; both reads below are range scans on its
``(customer, occurred_at)`` and ``(account, occurred_at)`` indexes, never a scan of the table.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db.models import F, OuterRef, QuerySet, Subquery

from accounts.models import Account
from compliance.evidence import AnyOf
from contacts.models import ContactLog

#: Outcomes that make a contact a communication for the 1006.18(e) first-contact test.
COMMUNICATED_OUTCOMES = ("conversation", "delivered")


def contact_log_window(customer_ids: Iterable[int], since: datetime, until: datetime) -> QuerySet:
    """The debtors' logged contacts in [since, until) as tuples (id, customer_id, account_id,
    channel, direction, outcome, disposition, occurred_at, consent_to_call_until); index
    (customer, occurred_at)."""
    return (
        ContactLog.objects.filter(
            AnyOf(F("customer_id"), list(customer_ids)),
            occurred_at__gte=since,
            occurred_at__lt=until,
        )
        .order_by()
        .values_list(
            "id",
            "customer_id",
            "account_id",
            "channel",
            "direction",
            "outcome",
            "disposition",
            "occurred_at",
            "consent_to_call_until",
        )
    )


def first_communications(account_ids: Iterable[int]) -> QuerySet:
    """(account_id, first outbound conversation or delivery, or None) per account.

    One query; per account an ordered scan of the (account, occurred_at) index that stops at
    the first matching row, so an account with a long history costs a few heap reads, not
    all of them.
    """
    first = (
        ContactLog.objects.filter(
            account_id=OuterRef("pk"),
            direction="outbound",
            outcome__in=COMMUNICATED_OUTCOMES,
        )
        .order_by("occurred_at")
        .values("occurred_at")[:1]
    )
    return (
        Account.objects.filter(AnyOf(F("pk"), list(account_ids)))
        .order_by()
        .annotate(first=Subquery(first))
        .values_list("pk", "first")
    )
