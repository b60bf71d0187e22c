"""``evidence_insert``: decisions and contact-log entries stored in bulk, ids in row order."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from compliance.evidence import (
    _column_text,
    _copy_data,
    _copy_json,
    _copy_text,
    _is_json,
    _json_encode,
    evidence_insert,
)
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


# --- The COPY text, a column at a time, is what it was a field at a time ------------------


def copy_data_field_by_field(ids, rows, fields, tail):
    """How ``_copy`` built the COPY text before it went a column at a time: ``_copy_json`` or
    ``_copy_text`` for each field of each row, the defaults' texts appended to each line."""
    ending = "".join("\t" + text for text in tail)
    lines = [
        "\t".join(
            [
                str(new_id),
                *(
                    (_copy_json(f, row[name]) if _is_json(f) else _copy_text(f, row[name]))
                    for name, f in fields
                ),
            ]
        )
        + ending
        for new_id, row in zip(ids, rows, strict=True)
    ]
    lines.append("")
    return "\n".join(lines)


class Kind(models.TextChoices):
    LETTER = "letter", "Letter"
    ODD = "a\tb\\c", "Odd"


class Level(models.IntegerChoices):
    LOW = 1, "Low"


NEW_YORK = ZoneInfo("America/New_York")
NESTED = {
    "message": AWKWARD,
    "list": [1, 2.5, True, False, None, "你好", {"deep": ["\t", "\\", "\r\n", "é"]}],
    "empty": {},
    "zero": 0,
}
COLUMNS = {
    "text": (
        models.TextField(),
        ["plain", AWKWARD, "", "\\N", "carriage\rreturn", "你好", "ends with \\"],
    ),
    "text_and_null": (models.TextField(null=True), ["plain", None, AWKWARD, ""]),
    "choices": (models.CharField(max_length=20), [Kind.LETTER, Kind.ODD, Kind.LETTER]),
    "choices_and_text": (models.CharField(max_length=20), [Kind.ODD, "sms", "a\nb"]),
    "ids": (models.IntegerField(), [1, 0, -5, 10**12]),
    "ids_and_null": (models.IntegerField(null=True), [None, 7, None]),
    "all_null": (models.IntegerField(null=True), [None, None]),
    "int_choices": (models.IntegerField(), [Level.LOW, 3]),
    "flags": (models.BooleanField(), [True, False, True]),
    "flags_and_null": (models.BooleanField(null=True), [None, False, True]),
    "money": (
        models.DecimalField(max_digits=14, decimal_places=2),
        [Decimal("1.50"), Decimal("-0.00"), Decimal("12345.6"), Decimal("100")],
    ),
    "money_and_null": (
        models.DecimalField(max_digits=14, decimal_places=2, null=True),
        [None, Decimal("0.01")],
    ),
    "days": (models.DateField(null=True), [date(2026, 11, 24), None, date(2000, 1, 1)]),
    "times": (
        models.DateTimeField(null=True),
        [AT, None, datetime(2026, 3, 8, 2, 30, tzinfo=NEW_YORK), AT.replace(microsecond=5)],
    ),
    # Naive: as Django prepares it (made aware in the current time zone, with a warning).
    "naive_times": (models.DateTimeField(), [AT, datetime(2026, 11, 23, 15, 0)]),  # noqa: DTZ001
    "json": (models.JSONField(), [NESTED, [], {}, "a string", 3, 1.25, True, [AWKWARD]]),
    "json_and_null": (models.JSONField(null=True), [NESTED, None, {"k": None}]),
    "json_django_encoder": (
        models.JSONField(encoder=DjangoJSONEncoder),
        [{"amount": Decimal("1.50"), "on": date(2026, 11, 24), "at": AT}, {"n": [NESTED]}],
    ),
}


NAIVE = "ignore:DateTimeField .* received a naive datetime:RuntimeWarning"


@pytest.mark.filterwarnings(NAIVE)
@pytest.mark.parametrize("column", COLUMNS)
def test_a_column_is_written_as_each_value_was(column):
    f, values = COLUMNS[column]
    encode = _json_encode(f) if _is_json(f) else None

    assert _column_text(f, list(values), encode) == [_copy_text(f, v) for v in values]


@pytest.mark.filterwarnings(NAIVE)
def test_the_whole_copy_text_is_what_it_was_field_by_field():
    size = max(len(values) for _, values in COLUMNS.values())
    rows = [
        {name: values[i % len(values)] for name, (_, values) in COLUMNS.items()}
        for i in range(size)
    ]
    fields = [(name, f) for name, (f, _) in COLUMNS.items()]
    columns = [(name, f, _json_encode(f) if _is_json(f) else None) for name, f in fields]
    ids = [101 + i for i in range(size)]
    tail = ["\\N", "2026-11-23T15:00:00+00:00", "f"]

    assert _copy_data(ids, rows, columns, tail) == copy_data_field_by_field(ids, rows, fields, tail)


@pytest.mark.parametrize(
    ("f", "value", "text"),
    [
        (models.TextField(null=True), None, "\\N"),
        (models.TextField(), "a\tb\nc\\d\re", "a\\tb\\nc\\\\d\\re"),
        (models.CharField(max_length=20), Kind.ODD, "a\\tb\\\\c"),
        (models.BooleanField(), True, "t"),
        (models.BooleanField(), False, "f"),
        (models.IntegerField(), Level.LOW, "1"),
        (models.DecimalField(max_digits=14, decimal_places=2), Decimal("1.50"), "1.50"),
        (models.DateField(), date(2026, 11, 24), "2026-11-24"),
        (models.DateTimeField(), AT, "2026-11-23T15:00:00+00:00"),
        (
            models.DateTimeField(),
            datetime(2026, 3, 8, 3, 30, tzinfo=NEW_YORK),
            "2026-03-08T03:30:00-04:00",
        ),
        (models.JSONField(null=True), None, "\\N"),
        (models.JSONField(), {"k": ["你\n", None]}, '{"k": ["\\\\u4f60\\\\n", null]}'),
        (
            models.JSONField(encoder=DjangoJSONEncoder),
            {"amount": Decimal("1.50")},
            '{"amount": "1.50"}',
        ),
    ],
)
def test_tricky_values_are_written_as_copy_reads_them(f, value, text):
    encode = _json_encode(f) if _is_json(f) else None

    assert _column_text(f, [value], encode) == [text]
    assert _copy_text(f, value) == text
