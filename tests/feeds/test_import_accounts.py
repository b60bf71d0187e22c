"""``import_accounts``: the same tests run on SQLite (Python path) and PostgreSQL (COPY path)."""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import date, timedelta
from pathlib import Path

import pytest
from auditlog.models import LogEntry
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.test import override_settings
from django.utils import timezone

from accounts.aging import days_past_due
from accounts.models import Account, BucketHistory, ContactPoint, Customer, ImportBatch, Team, User
from accounts.services import phone_zones_resolve
from plans.models import WriteOff, WriteOffKind, WriteOffPolicy, WriteOffStatus
from plans.services import write_offs_apply_policy
from plans.services.writeoff import POLICY_REASON
from workspace.nightly import queue_priority_expression
from workspace.risk_refresh import accounts_risk_refresh
from workspace.timeline import account_timeline

BUSINESS_DATE = "2025-06-30"
COLUMNS = [
    "external_ref",
    "name",
    "national_id",
    "jurisdiction",
    "time_zone",
    "language",
    "phone",
    "email",
    "account_number",
    "currency",
    "principal_balance",
    "interest_balance",
    "fee_balance",
    "past_due_amount",
    "minimum_due",
    "delinquent_since",
]


def row(**overrides: str) -> dict[str, str]:
    base = {
        "external_ref": "C1",
        "name": "Jane Roe",
        "national_id": "123-45-6789",
        "jurisdiction": "US",
        "time_zone": "America/New_York",
        "language": "en",
        "phone": "(415) 555-0123",
        "email": "Jane.Roe@Example.com",
        "account_number": "4000001",
        "currency": "USD",
        "principal_balance": "1000.00",
        "interest_balance": "50.5",
        "fee_balance": "0",
        "past_due_amount": "200.00",
        "minimum_due": "35.00",
        "delinquent_since": "2025-05-16",  # 45 days past due on the business date: M2
    }
    return {**base, **overrides}


GOOD_ROWS = [
    row(),
    row(account_number="4000002", delinquent_since="", principal_balance="300"),
    row(
        external_ref="C2",
        name="John Doe",
        national_id="987-65-4321",
        phone="+1 212 555 0199",
        email="john@example.org",
        account_number="4000003",
        delinquent_since="2025-03-22",
    ),
    row(
        external_ref="C3",
        name="王芳",
        national_id="310101199001011234",
        jurisdiction="CN",
        time_zone="Asia/Shanghai",
        language="zh-hans",
        phone="138 0013 8000",
        email="wang@example.cn",
        account_number="6200001",
        currency="CNY",
        delinquent_since="2025-06-20",
    ),
    row(
        external_ref="C4",
        name="Ann Lee",
        national_id="",
        phone="",
        email="",
        account_number="4000004",
        delinquent_since="2024-12-01",
    ),
]


def write_csv(
    directory: Path,
    rows: list[dict[str, str]],
    columns: list[str] | None = None,
    name: str = "feed.csv",
) -> Path:
    columns = columns or list(rows[0])
    path = directory / name
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def run(path: Path, *args: str) -> str:
    out = io.StringIO()
    call_command(
        "import_accounts", str(path), "--no-progress", *args, stdout=out, stderr=io.StringIO()
    )
    return out.getvalue()


def run_rejected(path: Path, *args: str) -> str:
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was changed"):
        call_command(
            "import_accounts", str(path), "--no-progress", *args, stdout=io.StringIO(), stderr=err
        )
    return err.getvalue()


def table_counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Customer, Account, ContactPoint, BucketHistory, LogEntry)
    }


@pytest.fixture(autouse=True)
def _business_date(settings):
    settings.BUSINESS_DATE = BUSINESS_DATE


@pytest.fixture
def teams() -> dict[str, Team]:
    us = Team.objects.create(code="us-east", name="US East", jurisdiction="US")
    cn = Team.objects.create(code="cn-sh", name="Shanghai", jurisdiction="CN")
    group = Group.objects.get(name="specialist")
    for i in range(2):
        user = User.objects.create_user(username=f"spec{i}", password="x", team=us)
        user.groups.add(group)
    return {"us": us, "cn": cn}


@pytest.mark.django_db
def test_a_good_file_creates_everything_and_spreads_the_work(tmp_path, teams):
    output = run(write_csv(tmp_path, GOOD_ROWS))

    assert "Customers: 4 created, 0 updated; accounts: 5 created, 0 updated" in output
    assert Customer.objects.count() == 4
    jane = Customer.objects.get(external_ref="C1")
    assert (jane.name, jane.jurisdiction, jane.time_zone) == ("Jane Roe", "US", "America/New_York")
    assert Customer.objects.get(external_ref="C4").national_id == ""

    account = Account.objects.get(number="4000001")
    assert account.customer == jane and account.team == teams["us"]
    assert str(account.interest_balance) == "50.50"
    assert account.delinquent_since == date(2025, 5, 16)
    assert account.risk_scored_at is not None and account.risk_factors
    assert Account.objects.get(number="6200001").team == teams["cn"]  # by jurisdiction

    points = set(ContactPoint.objects.values_list("customer__external_ref", "kind", "value"))
    assert points == {
        ("C1", "phone", "+14155550123"),
        ("C1", "email", "jane.roe@example.com"),
        ("C2", "phone", "+12125550199"),
        ("C2", "email", "john@example.org"),
        ("C3", "phone", "+8613800138000"),
        ("C3", "email", "wang@example.cn"),
    }
    assert ContactPoint.objects.get(value="+14155550123").label == "mobile"
    assert ContactPoint.objects.get(value="+8613800138000").region == "CN"

    stays = dict(BucketHistory.objects.values_list("account__number", "bucket"))
    assert stays == {
        "4000001": "M2",
        "4000002": "M0",
        "4000003": "M4",
        "6200001": "M1",
        "4000004": "M6",
    }
    stay = BucketHistory.objects.get(account__number="4000001")
    assert stay.entered_on == date(2025, 6, 30) and stay.entry_days_past_due == 45
    assert str(stay.entry_balance) == "1050.50" and stay.exited_on is None

    us_loads = sorted(
        Account.objects.filter(team=teams["us"]).values_list("assigned_to", flat=True)
    )
    specialists = list(User.objects.filter(team=teams["us"]).values_list("id", flat=True))
    assert sorted(us_loads.count(s) for s in specialists) == [2, 2]
    assert Account.objects.get(number="6200001").assigned_to is None  # no CN specialist

    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.APPLIED
    assert (batch.rows, batch.customers_created, batch.accounts_created) == (5, 4, 5)


@pytest.mark.django_db
def test_the_accounts_a_feed_creates_carry_tonights_queue_priority(tmp_path, teams):
    """So the first nightly run after a large load rewrites only what the date changes."""
    run(write_csv(tmp_path, GOOD_ROWS))
    as_of = date.fromisoformat(BUSINESS_DATE)
    expected = dict(
        Account.objects.annotate(p=queue_priority_expression(as_of)).values_list("number", "p")
    )
    stored = dict(Account.objects.values_list("number", "queue_priority"))
    assert stored == expected
    assert len(set(stored.values())) > 2  # buckets and tiers tell them apart


@pytest.mark.django_db
def test_what_an_import_creates_is_traced_to_its_batch_and_line_not_audited(tmp_path, teams):
    path = write_csv(tmp_path, GOOD_ROWS)

    run(path, "--by", "ops-jane")

    batch = ImportBatch.objects.get()
    assert batch.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert batch.started_by == "ops-jane" and batch.finished_at is not None
    # Line 1 is the header; a customer's line is its first row's.
    assert dict(Customer.objects.values_list("external_ref", "import_row")) == {
        "C1": 2,
        "C2": 4,
        "C3": 5,
        "C4": 6,
    }
    assert dict(Account.objects.values_list("number", "import_row")) == {
        "4000001": 2,
        "4000002": 3,
        "4000003": 4,
        "6200001": 5,
        "4000004": 6,
    }
    assert set(ContactPoint.objects.values_list("value", "import_row")) == {
        ("+14155550123", 2),
        ("jane.roe@example.com", 2),
        ("+12125550199", 4),
        ("john@example.org", 4),
        ("+8613800138000", 5),
        ("wang@example.cn", 5),
    }
    for model in (Customer, Account, ContactPoint):
        assert set(model.objects.values_list("import_batch", flat=True)) == {batch.pk}
    # The case timeline shows the trail where an auditor reads an account's history.
    account = Account.objects.get(number="4000002")
    (event,) = [e for e in account_timeline(account) if e.kind == "import"]
    assert event.title == f"Created by import batch #{batch.pk}, line 3"
    assert event.detail == f"feed.csv · SHA-256 {batch.sha256}" and event.by == "ops-jane"
    # The batch is the audit record of what it created: no entry per record.
    assert not LogEntry.objects.filter(
        content_type__in=ContentType.objects.get_for_models(
            Customer, Account, ContactPoint
        ).values()
    ).exists()


@pytest.mark.django_db
def test_a_second_feed_audits_its_changes_and_traces_what_it_adds(tmp_path, teams):
    run(write_csv(tmp_path, GOOD_ROWS))
    first = ImportBatch.objects.get()
    rows = [dict(r) for r in GOOD_ROWS]
    rows[2]["name"] = "John A. Doe"  # changes customer C2 (line 4)
    rows[2]["phone"] = "+1 212 555 0100"  # a new phone for an existing customer
    rows.append(row(external_ref="C5", name="Eve Poe", account_number="4000005", email=""))
    rows.append(row(account_number="4000006"))  # a new account of the existing C1 (line 8)

    run(write_csv(tmp_path, rows, name="feed2.csv"))

    second = ImportBatch.objects.exclude(pk=first.pk).get()
    john = Customer.objects.get(external_ref="C2")
    assert (john.import_batch, john.import_row) == (first, 4)  # created by the first feed
    entry = LogEntry.objects.get_for_object(john).get()
    assert entry.action == LogEntry.Action.UPDATE
    assert entry.changes == {"name": ["John Doe", "John A. Doe"]}
    assert entry.additional_data == {"import_batch": second.pk, "file": "feed2.csv"}
    added = ContactPoint.objects.get(value="+12125550100")
    assert (added.import_batch, added.import_row) == (second, 4)
    assert LogEntry.objects.get_for_object(added).get().action == LogEntry.Action.CREATE
    eve = Customer.objects.get(external_ref="C5")
    assert (eve.import_batch, eve.import_row) == (second, 7)
    assert not LogEntry.objects.get_for_object(eve).exists()
    account = Account.objects.get(number="4000006")
    assert (account.import_batch, account.import_row) == (second, 8)
    assert not LogEntry.objects.get_for_object(account).exists()
    assert BucketHistory.objects.filter(account=account).count() == 1


@pytest.mark.django_db
def test_importing_the_same_file_again_changes_nothing(tmp_path, teams):
    path = write_csv(tmp_path, GOOD_ROWS)
    run(path)
    before = table_counts()
    stamps = dict(Account.objects.values_list("number", "updated_at"))

    output = run(path)

    assert "Customers: 0 created, 0 updated; accounts: 0 created, 0 updated" in output
    assert table_counts() == before
    assert dict(Account.objects.values_list("number", "updated_at")) == stamps
    assert list(ImportBatch.objects.values_list("status", flat=True)) == ["applied"] * 2


@pytest.mark.django_db
def test_a_changed_balance_updates_with_one_audit_row(tmp_path, teams):
    run(write_csv(tmp_path, GOOD_ROWS))
    rows = [dict(r) for r in GOOD_ROWS]
    rows[0]["principal_balance"] = "1250.5"
    last_entry = LogEntry.objects.order_by("-pk").values_list("pk", flat=True).first()

    output = run(write_csv(tmp_path, rows, name="feed2.csv"))

    assert "Customers: 0 created, 0 updated; accounts: 0 created, 1 updated" in output
    account = Account.objects.get(number="4000001")
    assert str(account.principal_balance) == "1250.50"
    entries = list(LogEntry.objects.filter(pk__gt=last_entry))
    assert len(entries) == 1
    entry = entries[0]
    assert entry.action == LogEntry.Action.UPDATE
    assert entry.content_type == ContentType.objects.get_for_model(Account)
    assert entry.object_id == account.pk
    assert entry.changes == {"principal_balance": ["1000.00", "1250.50"]}
    assert entry.additional_data["file"] == "feed2.csv"
    assert BucketHistory.objects.filter(account=account).count() == 1


@pytest.mark.django_db
def test_a_bad_file_reports_every_bad_row_and_changes_nothing(tmp_path, teams):
    run(write_csv(tmp_path, GOOD_ROWS))  # something to leave untouched
    before = table_counts()
    bad = [
        row(account_number="5000001", principal_balance="12.345"),  # line 2: bad money
        row(account_number="5000002", delinquent_since="2024-02-30"),  # line 3: bad date
        row(external_ref="C9", account_number="5000003", jurisdiction="UK"),  # line 4
        row(external_ref="C10", account_number="5000004", time_zone="Mars/Olympus"),  # 5
        row(external_ref="C11", account_number="5000005", name=""),  # line 6: missing name
        row(external_ref="C12", account_number="5000006", phone="12345"),  # line 7
        row(external_ref="C13", account_number="5000007", name="Fine Row"),  # line 8: good
        row(
            external_ref="C14",
            account_number="5000008",
            currency="usd",
            fee_balance="-1",
            email="not-an-email",
        ),  # line 9: three errors
    ]

    errors = run_rejected(write_csv(tmp_path, bad, name="bad.csv")).splitlines()

    assert errors == [
        "line 2: principal_balance: must be a non-negative amount with at most 2 decimal places",
        "line 3: delinquent_since: must be a date as YYYY-MM-DD",
        "line 4: jurisdiction: must be one of US, CN",
        "line 5: time_zone: is not an IANA time zone",
        "line 6: name: is required",
        "line 7: phone: is not a valid phone number",
        "line 9: email: is not a valid email address",
        "line 9: currency: must be a 3-letter ISO 4217 code in capitals",
        "line 9: fee_balance: must be a non-negative amount with at most 2 decimal places",
    ]
    assert table_counts() == before
    assert not Customer.objects.filter(external_ref="C13").exists()
    batch = ImportBatch.objects.get(file_name="bad.csv")
    assert batch.status == ImportBatch.Status.REJECTED
    assert batch.errors == errors and batch.customers_created == 0 and batch.rows == 8


@pytest.mark.django_db
def test_a_missing_required_column_and_an_unknown_one_are_reported_once(tmp_path, teams):
    columns = [c for c in COLUMNS if c != "currency"] + ["colour"]
    rows = [{**row(), "colour": "blue"}, {**row(account_number="4000009"), "colour": "red"}]
    before = table_counts()

    errors = run_rejected(write_csv(tmp_path, rows, columns)).splitlines()

    assert errors == ["line 1: currency: missing required column", "line 1: colour: unknown column"]
    assert table_counts() == before
    assert ImportBatch.objects.get().status == ImportBatch.Status.REJECTED


@pytest.mark.django_db
def test_duplicate_keys_must_agree(tmp_path, teams):
    rows = [
        row(),
        row(),  # line 3: an identical repeat is harmless
        row(principal_balance="999.00"),  # line 4: same account, other data
        row(account_number="4000002", name="Jane R."),  # line 5: same customer, other name
    ]

    errors = run_rejected(write_csv(tmp_path, rows)).splitlines()

    assert errors == [
        "line 4: account_number: same account number as line 2 with different values",
        "line 5: external_ref: same external_ref as line 2 with different customer data",
    ]
    assert Customer.objects.count() == 0


@pytest.mark.django_db
def test_identical_repeats_import_once(tmp_path, teams):
    output = run(write_csv(tmp_path, [row(), row(), row(account_number="4000002")]))

    assert "Customers: 1 created, 0 updated; accounts: 2 created, 0 updated" in output
    assert ContactPoint.objects.count() == 2


@pytest.mark.django_db
def test_an_account_of_another_customer_and_an_unknown_team_are_refused(tmp_path, teams):
    run(write_csv(tmp_path, [row()]))
    columns = [*COLUMNS, "team"]
    rows = [
        {**row(external_ref="C2", name="John Doe"), "team": ""},
        {**row(external_ref="C3", account_number="4000010"), "team": "nope"},
        {**row(external_ref="C4", account_number="4000011"), "team": "cn-sh"},
    ]

    errors = run_rejected(write_csv(tmp_path, rows, columns, name="other.csv")).splitlines()

    assert errors == [
        "line 2: account_number: account already belongs to customer C1",
        "line 3: team: is not an active team code",
        "line 4: team: team serves another jurisdiction",
    ]


@pytest.mark.django_db
def test_an_unknown_team_option_rejects_the_file(tmp_path, teams):
    errors = run_rejected(write_csv(tmp_path, [row()]), "--team", "nope").splitlines()

    assert errors == ["--team: 'nope' is not an active team code"]
    assert Customer.objects.count() == 0
    assert ImportBatch.objects.get().status == ImportBatch.Status.REJECTED


@pytest.mark.django_db
def test_team_option_and_optional_columns(tmp_path, teams):
    other = Team.objects.create(code="us-west", name="US West", jurisdiction="US")
    columns = [*COLUMNS, "product", "credit_limit", "date_of_birth", "last_payment_amount"]
    rows = [
        {
            **row(),
            "product": "personal_loan",
            "credit_limit": "5000",
            "date_of_birth": "1980-02-29",
            "last_payment_amount": "",
        }
    ]

    run(write_csv(tmp_path, rows, columns), "--team", "us-west")

    account = Account.objects.get()
    assert account.team == other and account.product == "personal_loan"
    assert str(account.credit_limit) == "5000.00" and account.last_payment_amount is None
    assert account.customer.date_of_birth == date(1980, 2, 29)


@pytest.mark.django_db
def test_moving_an_account_to_another_team_reassigns_it(tmp_path, teams):
    run(write_csv(tmp_path, [row()]))
    first_specialist = Account.objects.get().assigned_to_id
    west = Team.objects.create(code="us-west", name="US West", jurisdiction="US")
    agent = User.objects.create_user(username="west1", password="x", team=west)
    agent.groups.add(Group.objects.get(name="specialist"))

    run(write_csv(tmp_path, [{**row(), "team": "us-west"}], [*COLUMNS, "team"]))

    account = Account.objects.get()
    assert account.team == west and account.assigned_to == agent
    entry = LogEntry.objects.get_for_object(account).filter(action=LogEntry.Action.UPDATE).get()
    assert entry.changes["team"] == [teams["us"].pk, west.pk]
    assert entry.changes["assigned_to"][0] == first_specialist


@pytest.mark.django_db
def test_a_settled_account_moves_team_without_a_specialist(tmp_path, teams):
    run(write_csv(tmp_path, [row()]))
    Account.objects.update(stage="settled")
    west = Team.objects.create(code="us-west", name="US West", jurisdiction="US")
    agent = User.objects.create_user(username="west1", password="x", team=west)
    agent.groups.add(Group.objects.get(name="specialist"))

    run(write_csv(tmp_path, [{**row(), "team": "us-west"}], [*COLUMNS, "team"]))

    account = Account.objects.get()
    assert account.team == west and account.assigned_to is None


@pytest.mark.django_db
def test_each_contact_point_added_to_an_existing_customer_is_audited_once(tmp_path, teams):
    run(write_csv(tmp_path, GOOD_ROWS))
    rows = [dict(r) for r in GOOD_ROWS]
    rows[2]["phone"] = "+1 212 555 0100"  # C2 already has +12125550199
    path = write_csv(tmp_path, rows, name="feed2.csv")
    run(path)
    cp_type = ContentType.objects.get_for_model(ContactPoint)
    entries = {e.object_id: e for e in LogEntry.objects.filter(content_type=cp_type)}

    phone = ContactPoint.objects.get(value="+12125550100")
    assert set(entries) == {phone.pk}  # the first feed's points came with their customers
    assert phone.is_primary is False  # C2 had a phone
    entry = entries[phone.pk]
    assert entry.action == LogEntry.Action.CREATE
    assert entry.actor is None
    assert entry.additional_data["file"] == path.name
    assert entry.object_repr == f"Phone #{phone.pk}"
    assert entry.changes["customer"] == [None, phone.customer_id]
    assert entry.changes["kind"] == ["None", "phone"]
    assert entry.changes["is_primary"] == ["None", "False"]
    old, masked = entry.changes["value"]
    assert old == "**ne" and masked.endswith(phone.value[len(phone.value) // 2 :])
    assert phone.value not in masked and "*" in masked

    run(path)  # nothing new: no new entries
    assert LogEntry.objects.filter(content_type=cp_type).count() == len(entries)


@pytest.mark.django_db
def test_an_account_on_a_plan_keeps_its_plan_measured_delinquency(tmp_path, teams):
    """The bank's file still ages the original debt; Settle measures a plan's account against
    the plan (plans.reage), so the file's date is not applied while it is on the plan."""
    run(write_csv(tmp_path, [row(), row(account_number="4000002", external_ref="C2")]))
    Account.objects.update(stage="on_plan", delinquent_since=None)
    Account.objects.filter(number="4000002").update(stage="early")

    rows = [
        row(delinquent_since="2025-04-01", principal_balance="900.00"),
        row(account_number="4000002", external_ref="C2", delinquent_since="2025-04-01"),
    ]
    run(write_csv(tmp_path, rows, name="feed2.csv"))

    on_plan = Account.objects.get(number="4000001")
    assert on_plan.delinquent_since is None
    assert str(on_plan.principal_balance) == "900.00"  # the rest of the row still applies
    assert Account.objects.get(number="4000002").delinquent_since == date(2025, 4, 1)


@pytest.mark.django_db
def test_a_header_only_file_is_applied_with_nothing_to_do(tmp_path, teams):
    path = tmp_path / "empty.csv"
    path.write_text(",".join(COLUMNS) + "\n", encoding="utf-8")

    output = run(path)

    assert "0 rows" in output and ImportBatch.objects.get().status == "applied"


@pytest.mark.django_db
def test_dry_run_counts_without_writing(tmp_path, teams):
    before = table_counts()
    output = run(write_csv(tmp_path, GOOD_ROWS), "--dry-run")

    assert "Customers: 4 created, 0 updated; accounts: 5 created, 0 updated would be" in output
    assert table_counts() == before
    assert not ImportBatch.objects.exists()


@pytest.mark.django_db
def test_a_row_with_the_wrong_number_of_fields_is_refused(tmp_path, teams):
    path = write_csv(tmp_path, [row()])
    with path.open("a", encoding="utf-8") as handle:
        handle.write("C2,John\n")

    errors = run_rejected(path).splitlines()

    assert len(errors) == 1 and errors[0].startswith("line 3: row: ")
    assert Customer.objects.count() == 0


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize("bad_row", [False, True], ids=["good file", "row COPY refuses"])
def test_the_copy_import_works_with_debug_on(tmp_path, teams, monkeypatch, bad_row):
    """DEBUG gives Django's CursorDebugWrapper, whose copy_expert took no read size: every
    PostgreSQL import crashed with a TypeError while DEBUG was on."""
    path = write_csv(tmp_path, GOOD_ROWS)
    if bad_row:
        with path.open("a", encoding="utf-8") as handle:
            handle.write("C2,John\n")
    # On the wrapper, not the ``connection`` proxy: undoing a patch on the proxy would delete
    # the wrapper's attribute (monkeypatch finds no old value in the proxy's own __dict__).
    monkeypatch.setattr(connections[DEFAULT_DB_ALIAS], "force_debug_cursor", True)

    with override_settings(DEBUG=True):
        if bad_row:
            errors = run_rejected(path).splitlines()
        else:
            output = run(path)
        logged = [query["sql"] for query in connection.queries]

    if bad_row:
        assert len(errors) == 1 and errors[0].startswith("line 7: row: ")
        assert Customer.objects.count() == 0
    else:
        assert "Customers: 4 created, 0 updated; accounts: 5 created, 0 updated" in output
        assert Account.objects.count() == 5
    assert any(sql.startswith("COPY imp_raw") for sql in logged)  # logged like any query


def risk_of_all_accounts() -> dict[str, tuple]:
    return {
        a.number: (a.risk_score, a.risk_tier, a.risk_factors)
        for a in Account.objects.order_by("number")
    }


@pytest.mark.django_db
def test_risk_tiers_match_the_risk_service(tmp_path, teams):
    """The PostgreSQL path scores in SQL; it must agree with risk_refresh.accounts_risk_refresh."""
    dpd_dates = [
        "",
        "2025-06-29",
        "2025-06-01",
        "2025-05-31",
        "2025-05-02",
        "2025-05-01",
        "2025-04-01",
        "2025-03-31",
        "2025-01-02",
        "2025-01-01",
        "2024-05-01",
        "2025-07-15",
    ]
    balances = [
        ("999.99", "USD"),
        ("1000", "USD"),
        ("4999.99", "USD"),
        ("5000", "USD"),
        ("20000", "USD"),
        ("6999.99", "CNY"),
        ("7000", "CNY"),
        ("35000", "CNY"),
        ("140000", "CNY"),
        ("1000", "EUR"),
        ("0", "USD"),
        ("19999.99", "USD"),
    ]
    payments = ["", "2025-04-01", "2025-03-31"]  # as_of - 90 counts as recent, - 91 does not
    rows = []
    for i, (since, (balance, currency)) in enumerate(zip(dpd_dates, balances, strict=True)):
        reachable = i % 3 != 0
        rows.append(
            {
                **row(
                    external_ref=f"R{i}",
                    account_number=f"70000{i:02d}",
                    delinquent_since=since,
                    principal_balance=balance,
                    interest_balance="0",
                    fee_balance="0",
                    currency=currency,
                    phone="(415) 555-0123" if reachable else "",
                    email="" if i % 2 else ("r@example.com" if reachable else ""),
                ),
                "last_payment_date": payments[i % 3],
            }
        )
    columns = [*COLUMNS, "last_payment_date"]
    run(write_csv(tmp_path, rows, columns))
    Account.objects.filter(number="7000004").update(hardship_declared_at=timezone.now())
    rows[4]["principal_balance"] = "20001"  # changed: rescored with the hardship
    rows[3]["phone"] = "(415) 555-0199"  # unchanged account, customer becomes reachable
    run(write_csv(tmp_path, rows, columns, name="again.csv"))

    imported = risk_of_all_accounts()
    accounts_risk_refresh(accounts=Account.objects.all(), as_of=date(2025, 6, 30))

    assert imported == risk_of_all_accounts()
    tiers = {tier for _, tier, _ in imported.values()}
    assert tiers == {"good", "general", "high"}
    assert any(f["code"] == "hardship" for f in imported["7000004"][2])
    assert not any(f["code"] == "contactability" for f in imported["7000003"][2])


CHECK_SAMPLES: dict[str, list[str]] = {
    "principal_balance": [
        "0",
        "1",
        "12.3",
        "12.34",
        "12.345",
        ".5",
        "5.",
        "1.2.3",
        "-1",
        "1e3",
        "123456789012",
        "1234567890123",
        "123456789012.99",
        "٣",
        "1,000",
        "NaN",
        "00.10",
    ],
    "delinquent_since": [
        "2024-02-29",
        "2023-02-29",
        "2024-13-01",
        "2024-00-10",
        "2024-04-31",
        "2024-04-30",
        "0000-01-01",
        "0001-01-01",
        "2024-1-01",
        "20240101",
        "2024/01/01",
        "2024-01-01x",
        "9999-12-31",
        "abcd-ef-gh",
        "2024-01-00",
        "1900-02-29",
        "2000-02-29",
        "２０２４-01-01",
    ],
    "currency": ["USD", "usd", "US", "USDD", "ÄÖÜ", "U$D"],
    "email": [
        "a@b.co",
        "a@b",
        "@b.co",
        "a@.co",
        "a@b.",
        "a@@b.co",
        "a b@c.co",
        "a@b@c.co",
        "a@.b.co",
        "a@b..co",
        "x@a.",
        "x@ab",
        "x@a.b.c",
        "A@B.CO",
        "a@b.c\td",
    ],
    "jurisdiction": ["US", "CN", "us", "UK"],
    "name": ["x" * 200, "x" * 201],
    "time_zone": ["Asia/Shanghai", "Mars/Olympus", "UTC", "America", "../etc/passwd"],
}
PHONE_SAMPLES = [
    ("(415) 555-0123", "US"),
    ("+1 212 555 0199", "US"),
    ("1-212-555-0199", "US"),
    ("138 0013 8000", "CN"),
    ("+86 138 0013 8000", "US"),
    ("8613800138000", "CN"),
    ("010 6552 9988", "CN"),
    ("12345", "US"),
    ("(212) 155-0123", "US"),
    ("+44 20 7946 0958", "CN"),
    ("phone", "US"),
    ("+1 212 555 019", "US"),
]


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_sql_checks_agree_with_the_python_checks():
    """Each column rule exists twice (Python for SQLite, SQL for COPY); they must agree."""
    from feeds.account_import.spec import BY_NAME, Context, SqlCols, known_time_zone

    cols = SqlCols(["value", "jurisdiction"])
    samples = [(name, value, "US") for name, values in CHECK_SAMPLES.items() for value in values]
    samples += [("phone", value, jurisdiction) for value, jurisdiction in PHONE_SAMPLES]
    with connection.cursor() as cursor:
        for name, value, jurisdiction in samples:
            column = BY_NAME[name]
            params = {
                "v": value,
                "j": jurisdiction,
                "team_opt": None,
                "bad_time_zones": [value] if not known_time_zone(value) else [],
            }
            row_ = {name: value, "jurisdiction": jurisdiction}
            source = 'FROM (SELECT %(v)s::text AS "value", %(j)s::text AS "jurisdiction") r'
            python_ok = True
            for check in column.checks:
                cursor.execute(f"SELECT {check.sql(cols('value'), cols)} {source}", params)
                sql_bad = cursor.fetchone()[0]
                python_bad = check.python(value, row_, Context())
                assert bool(sql_bad) == python_bad, (name, value, check.message)
                python_ok = python_ok and not python_bad
            if python_ok:
                cursor.execute(f"SELECT {column.to_sql(cols('value'), cols)} {source}", params)
                converted = column.to_python(value, row_)
                if name == "phone":
                    converted = converted[0]
                assert cursor.fetchone()[0] == converted, (name, value)


@pytest.mark.django_db
def test_imported_phone_numbers_get_their_time_zones_once(tmp_path, teams, monkeypatch):
    """Whatever the engine, an applied import has its numbers' zones resolved (the COPY engine
    by the task it queues), so no reminder parses the number again."""
    queued: list[str] = []
    monkeypatch.setattr(
        "feeds.account_import.entry.task_send", lambda name, *args: queued.append(name) or True
    )
    run(write_csv(tmp_path, GOOD_ROWS))
    assert queued == ["workspace.tasks.phone_zones_resolve_task"]

    phone_zones_resolve()  # what the task runs

    zones = dict(ContactPoint.objects.filter(kind="phone").values_list("value", "phone_time_zones"))
    assert zones == {
        "+14155550123": "America/Los_Angeles",
        "+12125550199": "America/New_York",
        "+8613800138000": "Asia/Shanghai",
    }
    emails = ContactPoint.objects.filter(kind="email").values_list("phone_time_zones", flat=True)
    assert set(emails) == {None}

    run_rejected(write_csv(tmp_path, [row(principal_balance="lots")], name="bad.csv"))
    assert queued == ["workspace.tasks.phone_zones_resolve_task"]  # nothing new to resolve


def _past_due(days: int) -> str:
    return (date.fromisoformat(BUSINESS_DATE) - timedelta(days=days)).isoformat()


@pytest.mark.django_db
def test_new_accounts_past_the_write_off_policy_are_charged_off_as_tonight_would(
    tmp_path, teams, admin_user, client
):
    """The feed charges off what it creates past the policy's days past due, with the write-off
    tonight's step would write, so the first night after a load of old debt has none to do."""
    as_of = date.fromisoformat(BUSINESS_DATE)
    policies = {(p.jurisdiction, p.product): p for p in WriteOffPolicy.in_force()}
    us_loan = policies[("US", "personal_loan")].days_past_due  # 120
    cn_card = policies[("CN", "credit_card")].days_past_due  # 180
    cn = {"external_ref": "C9", "jurisdiction": "CN", "time_zone": "Asia/Shanghai"}
    cn |= {"phone": "138 0013 8000", "currency": "CNY", "national_id": "310101199001011234"}
    rows = [
        row(
            account_number="4000101",
            product="personal_loan",
            delinquent_since=_past_due(us_loan - 1),
        ),
        row(account_number="4000102", product="personal_loan", delinquent_since=_past_due(us_loan)),
        row(account_number="4000103", product="credit_card", delinquent_since=_past_due(us_loan)),
        row(
            account_number="4000104",
            product="personal_loan",
            delinquent_since=_past_due(us_loan + 30),
            principal_balance="0",
            interest_balance="0",
        ),
        row(
            **cn,
            account_number="6200101",
            product="credit_card",
            delinquent_since=_past_due(cn_card),
        ),
        row(
            **cn,
            account_number="6200102",
            product="credit_card",
            delinquent_since=_past_due(cn_card + 9),
        ),
    ]

    output = run(write_csv(tmp_path, rows))

    assert "3 of the new ones charged off by the write-off policy" in output
    batch = ImportBatch.objects.get()
    charged = {a.number: a for a in Account.objects.filter(charge_off_date__isnull=False)}
    assert set(charged) == {"4000102", "6200101", "6200102"}
    assert {a.charge_off_date for a in charged.values()} == {as_of}
    write_offs = {w.account.number: w for w in WriteOff.objects.select_related("account")}
    assert set(write_offs) == set(charged)
    for number, write_off in write_offs.items():
        account = charged[number]
        assert (write_off.kind, write_off.status) == (WriteOffKind.POLICY, WriteOffStatus.APPLIED)
        assert write_off.charge_off_date == as_of and write_off.reason == POLICY_REASON
        assert (write_off.principal, write_off.interest, write_off.fees) == (
            account.principal_balance,
            account.interest_balance,
            account.fee_balance,
        )
        assert write_off.total == account.total_balance and write_off.currency == account.currency
        assert write_off.days_past_due == days_past_due(account.delinquent_since, as_of)
        assert (write_off.import_batch_id, write_off.import_row) == (batch.pk, account.import_row)
    assert write_offs["4000102"].policy == policies[("US", "personal_loan")]
    assert write_offs["6200102"].days_past_due == cn_card + 9
    # The batch is their trail, as for the accounts: no audit entry each; the admin shows it.
    assert not LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(WriteOff)
    ).exists()
    client.force_login(admin_user)
    page = client.get(f"/admin/plans/writeoff/{write_offs['6200101'].pk}/change/")
    line = charged["6200101"].import_row
    assert f"batch #{batch.pk}, line {line} of feed.csv" in page.content.decode()
    # Tonight's step finds nothing the feed missed, and the rest stay in collections.
    assert write_offs_apply_policy(as_of=as_of) == 0
    assert WriteOff.objects.count() == 3
    assert set(Account.objects.values_list("stage", flat=True)) == {"early"}


@pytest.mark.django_db
def test_an_existing_account_the_feed_ages_past_the_policy_is_charged_off_that_night(
    tmp_path, teams
):
    """The feed charges off only what it creates; an account it updates is tonight's step's."""
    as_of = date.fromisoformat(BUSINESS_DATE)
    run(write_csv(tmp_path, [row(product="personal_loan", delinquent_since=_past_due(30))]))
    older = row(product="personal_loan", delinquent_since=_past_due(200))

    output = run(write_csv(tmp_path, [older], name="second.csv"))

    assert "charged off" not in output
    assert not WriteOff.objects.exists()
    assert write_offs_apply_policy(as_of=as_of) == 1
    assert Account.objects.get().charge_off_date == as_of
