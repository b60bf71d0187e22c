"""``evidence_insert``: decisions and contact-log entries stored in bulk, ids in row order."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from compliance.evidence import evidence_insert
from compliance.models import ComplianceDecision
from contacts.models import ContactLog
from tests.factories import AccountFactory

AT = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def _decision(account, *, allowed, inputs):
    return {
        "account_id": account.pk,
        "customer_id": account.customer_id,
        "contact_point_id": None,
        "channel": "sms",
        "at": AT,
        "allowed": allowed,
        "violations": [] if allowed else [{"rule": "contact_window", "citation": "x"}],
        "next_allowed_at": None,
        "jurisdiction": "US",
        "inputs": inputs,
        "checked_by_id": None,
        "purpose": "reminder",
    }


@pytest.mark.django_db
def test_it_returns_the_new_ids_in_the_order_of_the_rows():
    accounts = [AccountFactory() for _ in range(5)]
    rows = [
        _decision(a, allowed=i % 2 == 0, inputs={"n": i, "message": f"m{i}"})
        for i, a in enumerate(accounts)
    ]

    ids = evidence_insert(ComplianceDecision, rows)

    stored = ComplianceDecision.objects.in_bulk(ids)
    assert [stored[pk].account_id for pk in ids] == [a.pk for a in accounts]
    assert [stored[pk].inputs["n"] for pk in ids] == [0, 1, 2, 3, 4]
    assert [stored[pk].allowed for pk in ids] == [True, False, True, False, True]
    assert stored[ids[1]].violations == [{"rule": "contact_window", "citation": "x"}]
    assert all(stored[pk].created_at is not None for pk in ids)
    assert evidence_insert(ComplianceDecision, []) == []


@pytest.mark.django_db
def test_columns_not_given_take_the_model_defaults():
    account = AccountFactory()

    [pk] = evidence_insert(
        ContactLog,
        [
            {
                "account_id": account.pk,
                "customer_id": account.customer_id,
                "channel": "sms",
                "direction": "outbound",
                "occurred_at": AT,
                "outcome": "delivered",
                "message": "Hello 你好",
            }
        ],
    )

    entry = ContactLog.objects.get(pk=pk)
    assert entry.source == ContactLog.Source.SPECIALIST  # the field's default
    assert entry.disposition == ""
    assert entry.decision_id is None
    assert entry.message == "Hello 你好"
    assert entry.created_at is not None
