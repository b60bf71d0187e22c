"""The examiner's export (``manage.py evidence_export``): the period's contact-log and decision
rows, checksums that match, and a verification that a changed byte breaks."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from compliance.evidence_export import evidence_export
from compliance.models import ComplianceDecision
from tests.compliance.factories import ContactLogFactory
from tests.factories import AccountFactory, ContactPointFactory, TeamFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
FIRST, LAST = "2026-11-01", "2026-11-15"
INSIDE = datetime(2026, 11, 10, 15, 30, tzinfo=UTC)
NOTES = 'Said "call me Monday",\nthen hung up; 她说周一再打。'


@pytest.fixture(autouse=True)
def _pinned(settings):
    settings.BUSINESS_DATE = NOW.date().isoformat()
    with time_machine.travel(NOW, tick=False):
        yield


def _decision(account, at: datetime, **fields) -> ComplianceDecision:
    with time_machine.travel(at, tick=False):
        return ComplianceDecision.objects.create(
            account=account,
            customer=account.customer,
            channel="call",
            at=at,
            allowed=fields.pop("allowed", True),
            jurisdiction=account.customer.jurisdiction,
            inputs={"message": "", "message_sha256": "ab12"},
            purpose="contact_log",
            **fields,
        )


@pytest.fixture
def rows(specialist):
    east = specialist.team
    west = TeamFactory(code="us-west")
    ours = AccountFactory(team=east, number="4111222233334444")
    theirs = AccountFactory(team=west, number="4999888877776666")
    phone = ContactPointFactory(customer=ours.customer, value="+12125550142")
    allowed = _decision(ours, INSIDE)
    blocked = _decision(
        ours,
        INSIDE,
        allowed=False,
        violations=[
            {"rule": "contact_window", "citation": "1006.6(b)(1)(i)", "message": "Too early"},
            {"rule": "call_frequency", "citation": "1006.14(b)(2)", "message": "8th call"},
        ],
    )
    return {
        "in": [
            ContactLogFactory(
                account=ours,
                occurred_at=INSIDE,
                contact_point=phone,
                user=specialist,
                notes=NOTES,
                decision=allowed,
                outcome="conversation",
            ),
            # The first and the last instant of the period, and another team's.
            ContactLogFactory(account=ours, occurred_at=datetime(2026, 11, 1, tzinfo=UTC)),
            ContactLogFactory(
                account=theirs, occurred_at=datetime(2026, 11, 15, 23, 59, 59, tzinfo=UTC)
            ),
        ],
        "out": [
            ContactLogFactory(
                account=ours, occurred_at=datetime(2026, 10, 31, 23, 59, 59, tzinfo=UTC)
            ),
            ContactLogFactory(account=theirs, occurred_at=datetime(2026, 11, 16, tzinfo=UTC)),
        ],
        "decisions_in": [allowed, blocked, _decision(theirs, INSIDE)],
        "decisions_out": [_decision(ours, datetime(2026, 11, 16, 0, 0, 1, tzinfo=UTC))],
        "ours": ours,
        "phone": phone,
    }


def _export(out: Path, *extra: str) -> str:
    stdout = io.StringIO()
    call_command(
        "evidence_export", "--from", FIRST, "--to", LAST, "--out", str(out), *extra, stdout=stdout
    )
    return stdout.getvalue()


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_files_hold_the_period_and_match_their_manifest(rows, tmp_path):
    out = tmp_path / "export"
    printed = _export(out)

    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["period"]["from"] == FIRST and manifest["period"]["to"] == LAST
    assert manifest["teams"] == "all"
    files = {f["name"]: f for f in manifest["files"]}
    assert set(files) == {"contact_log.csv", "compliance_decisions.csv"}
    sums = dict(
        reversed(line.split("  ")) for line in (out / "SHA256SUMS").read_text().splitlines()
    )
    assert sums == {
        "contact_log.csv": files["contact_log.csv"]["sha256"],
        "compliance_decisions.csv": files["compliance_decisions.csv"]["sha256"],
        "manifest.json": _sha256(out / "manifest.json"),
    }
    for name, entry in files.items():
        assert _sha256(out / name) == entry["sha256"]
        assert (out / name).stat().st_size == entry["bytes"]
        assert len(_read(out / name)) == entry["rows"]
        assert f"{name}: {entry['rows']} rows, sha256 {entry['sha256']}" in printed

    contacts = _read(out / "contact_log.csv")
    assert [int(r["id"]) for r in contacts] == [
        rows["in"][1].pk,
        rows["in"][0].pk,
        rows["in"][2].pk,
    ]  # by time
    assert not {e.pk for e in rows["out"]} & {int(r["id"]) for r in contacts}
    first = next(r for r in contacts if int(r["id"]) == rows["in"][0].pk)
    assert first["account_number"] == "4111222233334444"  # in full, for the examiner
    assert first["contact_point_masked"] == rows["phone"].masked_value
    assert "+12125550142" not in (out / "contact_log.csv").read_text()
    assert first["notes"] == NOTES  # quotes, commas, a line break and Chinese survive
    assert first["occurred_at"] == "2026-11-10T15:30:00+00:00"
    assert (first["user"], first["decision_allowed"], first["team"]) == ("sam", "true", "us-east")

    decisions = _read(out / "compliance_decisions.csv")
    assert sorted(int(r["id"]) for r in decisions) == sorted(d.pk for d in rows["decisions_in"])
    blocked = next(r for r in decisions if int(r["id"]) == rows["decisions_in"][1].pk)
    assert blocked["allowed"] == "false"
    assert blocked["rules"] == "contact_window;call_frequency"
    assert json.loads(blocked["violations"])[0]["citation"] == "1006.6(b)(1)(i)"
    assert blocked["message_sha256"] == "ab12"


def test_a_team_keeps_only_its_accounts(rows, tmp_path):
    out = tmp_path / "east"
    _export(out, "--team", "us-east")

    assert json.loads((out / "manifest.json").read_text())["teams"] == ["us-east"]
    assert {r["team"] for r in _read(out / "contact_log.csv")} == {"us-east"}
    assert len(_read(out / "contact_log.csv")) == 2
    assert len(_read(out / "compliance_decisions.csv")) == 2


def test_verify_passes_and_a_changed_byte_breaks_it(rows, tmp_path):
    out = tmp_path / "export"
    _export(out)
    stdout = io.StringIO()
    call_command("evidence_export", "--verify", str(out), stdout=stdout)
    assert "every file matches" in stdout.getvalue()

    data = bytearray((out / "contact_log.csv").read_bytes())
    position = data.index(b"4111222233334444")
    data[position] = ord("5")  # one digit of one account number
    (out / "contact_log.csv").write_bytes(bytes(data))

    with pytest.raises(CommandError) as failed:
        call_command("evidence_export", "--verify", str(out))
    assert "contact_log.csv: SHA-256 differs from the manifest" in str(failed.value)
    assert "contact_log.csv: SHA-256 differs from SHA256SUMS" in str(failed.value)


def test_a_manifest_edited_to_match_a_changed_file_still_fails(rows, tmp_path):
    out = tmp_path / "export"
    _export(out)
    with (out / "compliance_decisions.csv").open("a", encoding="utf-8", newline="") as handle:
        handle.write("999,forged\r\n")
    manifest = json.loads((out / "manifest.json").read_text())
    for entry in manifest["files"]:
        if entry["name"] == "compliance_decisions.csv":
            entry.update(
                sha256=_sha256(out / entry["name"]),
                bytes=(out / entry["name"]).stat().st_size,
                rows=entry["rows"] + 1,
            )
    (out / "manifest.json").write_text(json.dumps(manifest))

    with pytest.raises(CommandError) as failed:
        call_command("evidence_export", "--verify", str(out))
    problems = str(failed.value)
    assert "manifest.json: SHA-256 differs from SHA256SUMS" in problems
    assert "compliance_decisions.csv: SHA-256 differs from SHA256SUMS" in problems


def test_the_export_is_readable_by_its_owner_only(rows, tmp_path):
    out = tmp_path / "export"
    _export(out)

    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    for path in out.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name


def test_bad_requests_are_refused(rows, tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "old.csv").write_text("x")
    with pytest.raises(CommandError, match="not empty"):
        _export(tmp_path / "full")
    with pytest.raises(CommandError, match="ends"):
        call_command("evidence_export", "--from", LAST, "--to", FIRST, "--out", str(tmp_path / "x"))
    with pytest.raises(CommandError, match="no such team"):
        _export(tmp_path / "y", "--team", "nowhere")
    with pytest.raises(CommandError, match="--out"):
        call_command("evidence_export", "--from", FIRST, "--to", LAST)


def test_rows_are_streamed_in_a_constant_number_of_queries(rows, tmp_path):
    def queries(out: Path) -> int:
        with CaptureQueriesContext(connection) as captured:
            evidence_export(date_from=INSIDE.date(), date_to=INSIDE.date(), out_dir=out)
        return len(captured)

    few = queries(tmp_path / "few")
    for _ in range(30):
        ContactLogFactory(account=rows["ours"], occurred_at=INSIDE)
    assert queries(tmp_path / "many") == few


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_both_files_come_from_one_snapshot(rows, tmp_path):
    """Outside a transaction (as the command runs) the export reads in one REPEATABLE READ,
    read-only transaction."""
    levels = []

    def record(execute, sql, params, many, context):
        if sql.startswith("SET TRANSACTION"):
            levels.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        files = evidence_export(date_from=INSIDE.date(), date_to=INSIDE.date(), out_dir=tmp_path)

    assert levels == ["SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"]
    assert [f.rows for f in files] == [1, 3]
