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


AWKWARD = "back\\slash\ttab\nnew line\r\n\\.\n\\N 你好 'quote' \"double\""


@pytest.mark.django_db
@pytest.mark.parametrize("copy_min_rows", [1, 10**9], ids=["copy", "insert"])
def test_awkward_text_and_json_are_stored_exactly_whichever_statement_is_used(
    monkeypatch, copy_min_rows
):
    monkeypatch.setattr("compliance.evidence.COPY_MIN_ROWS", copy_min_rows)
    accounts = [AccountFactory() for _ in range(3)]
    inputs = {"message": AWKWARD, "nested": {"k": [AWKWARD, None, 1.5, True]}, "none": None}
    decision_ids = evidence_insert(
        ComplianceDecision, [_decision(a, allowed=False, inputs=inputs) for a in accounts]
    )
    entry_ids = evidence_insert(
        ContactLog,
        [
            {
                "account_id": a.pk,
                "customer_id": a.customer_id,
                "contact_point_id": None,
                "channel": ContactLog.Channel.SMS,  # a TextChoices member: stored as its value
                "direction": ContactLog.Direction.OUTBOUND,
                "occurred_at": AT,
                "outcome": ContactLog.Outcome.DELIVERED,
                "message": AWKWARD,
                "source": ContactLog.Source.SYSTEM,
                "decision_id": pk,
                "notes": f"Reminder {n}",
            }
            for n, (a, pk) in enumerate(zip(accounts, decision_ids, strict=True))
        ],
    )

    assert decision_ids == sorted(decision_ids)
    decisions = ComplianceDecision.objects.in_bulk(decision_ids)
    assert [decisions[pk].account_id for pk in decision_ids] == [a.pk for a in accounts]
    assert all(decisions[pk].inputs == inputs for pk in decision_ids)
    assert decisions[decision_ids[0]].next_allowed_at is None
    assert decisions[decision_ids[0]].checked_by_id is None
    entries = ContactLog.objects.in_bulk(entry_ids)
    assert [entries[pk].notes for pk in entry_ids] == ["Reminder 0", "Reminder 1", "Reminder 2"]
    assert [entries[pk].decision_id for pk in entry_ids] == decision_ids
    entry = entries[entry_ids[0]]
    assert entry.message == AWKWARD
    assert (entry.channel, entry.direction, entry.source) == ("sms", "outbound", "system")
    assert entry.occurred_at == AT
    assert entry.user_id is None and entry.disposition == "" and entry.created_at is not None


@pytest.mark.django_db
def test_any_of_filters_by_a_list_of_ids():
    from django.db.models import F

    from compliance.evidence import AnyOf

    accounts = [AccountFactory() for _ in range(4)]
    wanted = {accounts[0].pk, accounts[2].pk}
    found = type(accounts[0]).objects.filter(AnyOf(F("pk"), wanted))
    assert set(found.values_list("pk", flat=True)) == wanted
    assert not type(accounts[0]).objects.filter(AnyOf(F("pk"), [])).exists()
