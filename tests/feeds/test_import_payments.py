"""manage.py import_payments: a good file posts everything once; a bad one posts nothing."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db.models import Sum

from plans.models import Allocation, Payment
from tests.factories import AccountFactory
from tests.plans.factories import NOW, active_plan, owing_account, pay

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def write(tmp_path, text, name="payments.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def run(path):
    call_command("import_payments", str(path))


def test_a_good_file_posts_every_row(tmp_path, team, specialist, capsys):
    first, second = owing_account(team, number="ACC-1"), owing_account(team, number="ACC-2")
    plan = active_plan(second, specialist)
    path = write(
        tmp_path,
        "reference,account_number,amount,received_at\n"
        "F-1,ACC-1,100.00,2026-11-20\n"
        "F-2, ACC-2 ,888.49,2026-11-21T10:00:00+08:00\n"
        "\n",
    )
    run(path)

    assert "2 rows; 2 payment(s) posted, 0 duplicate(s) skipped" in capsys.readouterr().out
    one = Payment.objects.get(reference="F-1")
    assert one.received_at == datetime(2026, 11, 20, tzinfo=UTC)
    assert (one.source, one.source_detail) == ("file", "payments.csv:2")
    two = Payment.objects.get(reference="F-2")
    assert two.received_at == datetime(2026, 11, 21, 2, 0, tzinfo=UTC)
    assert two.plan == plan
    assert plan.installments.get(number=1).status == "paid"
    first.refresh_from_db()
    assert first.fee_balance == Decimal("200.00")


def test_importing_the_same_file_twice_posts_nothing_the_second_time(tmp_path, team, capsys):
    owing_account(team, number="ACC-1")
    path = write(
        tmp_path, "reference,account_number,amount,received_at\nF-1,ACC-1,100.00,2026-11-20\n"
    )
    run(path)
    run(path)
    output = capsys.readouterr().out
    assert "line 2: reference F-1 was already posted; skipped" in output
    assert Payment.objects.count() == 1
    assert Allocation.objects.aggregate(t=Sum("amount"))["t"] == Decimal("100.00")


def test_a_repeated_identical_row_is_a_duplicate(tmp_path, team, capsys):
    owing_account(team, number="ACC-1")
    path = write(
        tmp_path,
        "received_at,amount,reference,account_number\n"
        "2026-11-20,100.00,F-1,ACC-1\n"
        "2026-11-20,100.00,F-1,ACC-1\n",
    )
    run(path)
    assert "line 3: reference F-1 repeats line 2; skipped" in capsys.readouterr().out
    assert Payment.objects.count() == 1


def test_a_bad_file_reports_every_bad_row_and_posts_nothing(tmp_path, team, capsys):
    owing_account(team, number="ACC-1")
    AccountFactory(team=team, number="YEN-1", currency="JPY")
    pay(owing_account(team, number="ACC-3"), "50.00", reference="OLD-1")
    path = write(
        tmp_path,
        "reference,account_number,amount,received_at\n"
        "G-1,ACC-1,100.00,2026-11-20\n"  # good, but nothing may be posted
        ",ACC-1,100.00,2026-11-20\n"
        "G-3,NOPE,100.00,2026-11-20\n"
        "G-4,ACC-1,-5,2026-11-20\n"
        "G-5,ACC-1,1.234,2026-11-20\n"
        'G-6,ACC-1,"1,000.00",2026-11-20\n'
        "G-7,ACC-1,10.00,2026-11-20T10:00:00\n"
        "G-8,ACC-1,10.00,yesterday\n"
        "G-9,ACC-1,10.00,2026-12-24\n"
        "G-10,YEN-1,10.50,2026-11-20\n"
        "G-1,ACC-1,101.00,2026-11-20\n"
        "OLD-1,ACC-3,60.00,2026-11-20\n"
        "G-13,ACC-1\n",
    )
    with pytest.raises(CommandError, match="12 error"):
        run(path)
    assert list(Payment.objects.values_list("reference", flat=True)) == ["OLD-1"]
    assert capsys.readouterr().err.splitlines() == [
        "line 3: reference: required",
        "line 4: account_number: unknown account",
        "line 5: amount: not a positive amount like 1234.50",
        "line 6: amount: more decimal places than USD allows",
        "line 7: amount: not a positive amount like 1234.50",
        "line 8: received_at: needs a UTC offset, e.g. 2026-12-05T10:30:00+08:00",
        "line 9: received_at: not an ISO 8601 date or time",
        "line 10: received_at: in the future",
        "line 11: amount: more decimal places than JPY allows",
        "line 12: reference: G-1 is on line 2 with another account or amount",
        "line 13: reference: OLD-1 was already posted with another account or amount (50.00)",
        "line 14: row: 2 values for 4 columns",
    ]


def test_the_errors_name_line_and_field(tmp_path, team, capsys):
    owing_account(team, number="ACC-1")
    path = write(
        tmp_path,
        "reference,account_number,amount,received_at\n"
        "G-1,ACC-1,100.00,2026-11-20\n"
        "G-2,NOPE,abc,2026-11-20T10:00:00\n"
        "G-1,ACC-1,101.00,2026-11-20\n",
    )
    with pytest.raises(CommandError):
        run(path)
    errors = capsys.readouterr().err.splitlines()
    assert errors == [
        "line 3: account_number: unknown account",
        "line 3: amount: not a positive amount like 1234.50",
        "line 3: received_at: needs a UTC offset, e.g. 2026-12-05T10:30:00+08:00",
        "line 4: reference: G-1 is on line 2 with another account or amount",
    ]


def test_a_bad_header_is_reported_as_line_1(tmp_path):
    path = write(tmp_path, "reference,account,amount\nX,1,2\n")
    with pytest.raises(CommandError):
        run(path)


def test_the_header_errors_are_specific(tmp_path, capsys):
    path = write(tmp_path, "reference,account,amount\nX,1,2\n")
    with pytest.raises(CommandError):
        run(path)
    assert capsys.readouterr().err.splitlines() == [
        "line 1: account: unknown column",
        "line 1: account_number: missing required column",
        "line 1: received_at: missing required column",
    ]


def test_a_dry_run_posts_nothing(tmp_path, team, capsys):
    owing_account(team, number="ACC-1")
    path = write(
        tmp_path, "reference,account_number,amount,received_at\nF-1,ACC-1,100.00,2026-11-20\n"
    )
    call_command("import_payments", str(path), "--dry-run")
    assert "1 payment(s) would be posted" in capsys.readouterr().out
    assert not Payment.objects.exists()


def test_a_missing_file_is_an_error(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        run(tmp_path / "absent.csv")


def test_a_conflict_while_posting_rolls_the_whole_file_back(tmp_path, team, monkeypatch):
    from feeds import payments
    from plans.services import PaymentConflict

    owing_account(team, number="ACC-1")
    real_post = payments.payment_post
    calls = []

    def post_then_conflict(**kwargs):
        calls.append(kwargs["reference"])
        if len(calls) == 2:  # e.g. the same reference posted through the API meanwhile
            raise PaymentConflict("Reference F-2 was already posted with the amount 1.00.")
        return real_post(**kwargs)

    monkeypatch.setattr(payments, "payment_post", post_then_conflict)
    path = write(
        tmp_path,
        "reference,account_number,amount,received_at\n"
        "F-1,ACC-1,100.00,2026-11-20\n"
        "F-2,ACC-1,50.00,2026-11-20\n",
    )
    with pytest.raises(CommandError):
        run(path)
    assert not Payment.objects.exists()
