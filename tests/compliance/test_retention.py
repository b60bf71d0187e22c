"""The retention policy (``compliance.retention``, ``manage.py retention``).

A US portfolio on 2026-11-20 with the default periods (3 years; the US profile says 3, the CN one
2): what is on a closed account whose last contact or check is older than the period goes; a
newer closed account and an open account keep everything; the dry run counts exactly what the
run then removes; the second run removes nothing.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from accounts.models import PersonalDataReveal
from compliance.models import ComplianceDecision
from compliance.retention import retention_apply
from compliance.tasks import retention_apply_task
from config.celery import app
from contacts.models import ContactLog
from tests.compliance.factories import ContactLogFactory
from tests.factories import AccountFactory
from workspace.timeline import account_timeline

pytestmark = pytest.mark.django_db

AS_OF = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
LONG_AGO = datetime(2023, 6, 1, 15, 0, tzinfo=UTC)  # more than 3 years before AS_OF
RECENTLY = datetime(2024, 6, 15, 15, 0, tzinfo=UTC)  # between 2 and 3 years
OLDER = datetime(2022, 3, 4, 15, 0, tzinfo=UTC)
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 32
MESSAGE = "Jane, 250 USD is due on Friday. This is a debt collector."


@pytest.fixture(autouse=True)
def _pinned(settings, tmp_path):
    settings.BUSINESS_DATE = AS_OF.date().isoformat()
    settings.MEDIA_ROOT = tmp_path / "media"
    with time_machine.travel(AS_OF, tick=False):
        yield


def _contact(account, at: datetime, **fields) -> ContactLog:
    with time_machine.travel(at, tick=False):
        return ContactLogFactory(account=account, occurred_at=at, **fields)


def _decision(account, at: datetime) -> ComplianceDecision:
    with time_machine.travel(at, tick=False):
        return ComplianceDecision.objects.create(
            account=account,
            customer=account.customer,
            channel="sms",
            at=at,
            allowed=True,
            jurisdiction=account.customer.jurisdiction,
            inputs={
                "message": MESSAGE,
                "message_sha256": "9f2c",
                "candidate_time_zones": ["America/New_York"],
                "counted_calls": 2,
            },
            purpose="contact_log",
        )


def _reveal(account, user, at: datetime, fields=("national_id",)) -> PersonalDataReveal:
    with time_machine.travel(at, tick=False):
        return PersonalDataReveal.objects.create(
            user=user, customer=account.customer, account=account, fields=list(fields)
        )


@pytest.fixture
def portfolio(team, specialist):
    """Four accounts: closed and silent for over 3 years (everything goes), closed but contacted
    2.4 years ago, open with old contacts, and closed in China, contacted 2.4 years ago."""
    gone = AccountFactory(team=team, stage="closed")
    first = _contact(
        gone,
        OLDER,
        message=MESSAGE,
        notes="Customer cried; lost her job.",
        attachment=SimpleUploadedFile("call.wav", WAV),
        disposition="hardship",
        user=specialist,
    )
    second = _contact(gone, LONG_AGO, notes="Left a voicemail.")
    plain = _contact(gone, LONG_AGO - (LONG_AGO - OLDER) / 2)  # nothing to remove
    decision = _decision(gone, LONG_AGO)
    reveal = _reveal(gone, specialist, LONG_AGO)
    access = _reveal(gone, specialist, OLDER, fields=(f"attachment:{first.pk}",))

    recent = AccountFactory(team=team, stage="settled")
    _contact(recent, OLDER, message=MESSAGE, attachment=SimpleUploadedFile("old.wav", WAV))
    _contact(recent, RECENTLY, notes="Paid in full.")
    _decision(recent, OLDER)
    _reveal(recent, specialist, OLDER)

    open_ = AccountFactory(team=team, stage="late")
    _contact(open_, OLDER, message=MESSAGE, attachment=SimpleUploadedFile("open.wav", WAV))
    _decision(open_, OLDER)
    _reveal(open_, specialist, OLDER)

    chinese = AccountFactory(
        team=team,
        stage="written_off",
        customer__jurisdiction="CN",
        customer__time_zone="Asia/Shanghai",
    )
    _contact(chinese, RECENTLY, message="请尽快还款。")
    return {
        "gone": gone,
        "first": first,
        "second": second,
        "plain": plain,
        "decision": decision,
        "reveal": reveal,
        "access": access,
        "recent": recent,
        "open": open_,
        "chinese": chinese,
    }


def _state() -> dict:
    """Everything retention may touch, to compare whole."""
    return {
        "contacts": list(
            ContactLog.objects.order_by("id").values_list(
                "id", "message", "notes", "attachment", "redacted_at"
            )
        ),
        "decisions": list(
            ComplianceDecision.objects.order_by("id").values_list("id", "inputs", "redacted_at")
        ),
        "reveals": list(PersonalDataReveal.objects.order_by("id").values_list("id", flat=True)),
        "audit": LogEntry.objects.count(),
        "files": sorted(str(p.name) for p in Path(_media()).rglob("*.wav")),
    }


def _media() -> str:
    from django.conf import settings

    return str(settings.MEDIA_ROOT)


def _counts(report) -> dict[str, int]:
    return {code: kind.count for code, kind in report.kinds.items()}


def test_a_dry_run_reports_what_would_go_and_changes_nothing(portfolio):
    before = _state()

    report = retention_apply(dry_run=True)

    assert _state() == before
    assert _counts(report) == {
        "contact_texts": 2,  # the first entry (message, notes) and the second (notes)
        "evidence_files": 1,
        "decision_messages": 1,
        "reveals": 2,  # a reveal and an opening of the evidence file
    }
    assert report.kinds["contact_texts"].oldest == OLDER
    assert report.kinds["evidence_files"].oldest == OLDER
    assert report.kinds["decision_messages"].oldest == LONG_AGO
    assert report.kinds["reveals"].oldest == OLDER
    assert report.kinds["contact_texts"].years == {"US": 3, "CN": 3}
    assert "would remove (dry run: nothing changed)" in report.lines()[0]


def test_a_run_removes_exactly_what_is_past_its_period_and_audits_it(portfolio):
    file_name = portfolio["first"].attachment.name
    assert Path(_media(), file_name).exists()
    before = _state()
    dry = retention_apply(dry_run=True)

    report = retention_apply()

    assert _counts(report) == _counts(dry)
    first = ContactLog.objects.get(pk=portfolio["first"].pk)
    assert (first.message, first.notes, first.attachment.name) == ("", "", "")
    assert first.redacted_at == AS_OF
    # The record of the contact itself stays.
    assert (first.channel, first.outcome, first.disposition, first.occurred_at) == (
        "call",
        "no_answer",
        "hardship",
        OLDER,
    )
    assert not Path(_media(), file_name).exists()
    second = ContactLog.objects.get(pk=portfolio["second"].pk)
    assert (second.notes, second.redacted_at) == ("", AS_OF)
    assert ContactLog.objects.get(pk=portfolio["plain"].pk).redacted_at is None
    decision = ComplianceDecision.objects.get(pk=portfolio["decision"].pk)
    assert decision.inputs == {
        "message": "",
        "message_sha256": "9f2c",
        "candidate_time_zones": ["America/New_York"],
        "counted_calls": 2,
    }
    assert decision.redacted_at == AS_OF and decision.allowed is True
    assert not PersonalDataReveal.objects.filter(
        pk__in=[portfolio["reveal"].pk, portfolio["access"].pk]
    ).exists()

    # Nothing else changed: the recent, the open and the Chinese accounts keep everything.
    after = _state()
    changed_contacts = {row[0] for row in set(after["contacts"]) - set(before["contacts"])}
    assert changed_contacts == {portfolio["first"].pk, portfolio["second"].pk}
    changed_decisions = {row[0] for row in after["decisions"]} - {
        row[0] for row in after["decisions"] if row in before["decisions"]
    }
    assert changed_decisions == {portfolio["decision"].pk}
    assert set(before["reveals"]) - set(after["reveals"]) == {
        portfolio["reveal"].pk,
        portfolio["access"].pk,
    }
    assert len(after["files"]) == len(before["files"]) - 1

    # One audit entry per record, saying what went and why, never the content itself.
    entries = LogEntry.objects.filter(additional_data__has_key="retention")
    assert entries.count() == 5
    entry = entries.get(
        content_type=ContentType.objects.get_for_model(ContactLog), object_id=first.pk
    )
    assert entry.action == LogEntry.Action.UPDATE and entry.actor is None
    assert entry.changes == {
        "message": [f"[{len(MESSAGE)} characters removed]", ""],
        "notes": ["[29 characters removed]", ""],
        "attachment": [f"[evidence file removed: {len(WAV)} bytes]", ""],
    }
    retention = entry.additional_data["retention"]
    assert retention["kinds"] == ["contact_texts", "evidence_files"]
    assert (retention["years"], retention["citation"]) == (3, "12 CFR 1006.100")
    assert retention["last_activity"] == LONG_AGO.isoformat()
    assert retention["as_of"] == "2026-11-20"
    deleted = entries.get(object_id=portfolio["reveal"].pk, action=LogEntry.Action.DELETE)
    assert deleted.changes["fields"] == ["national_id", "None"]
    assert "remote_addr" not in deleted.changes
    audit = json.dumps([e.changes for e in entries], ensure_ascii=False)
    assert MESSAGE not in audit and "lost her job" not in audit
    # The case timeline says why the text is gone.
    event = next(e for e in account_timeline(portfolio["gone"]) if e.ref == first.pk)
    assert event.detail == "Text removed under the retention policy on 2026-11-20."


def test_a_second_run_removes_nothing(portfolio):
    retention_apply()
    after_first = _state()

    report = retention_apply()

    assert report.total == 0
    assert _state() == after_first
    assert retention_apply(dry_run=True).total == 0


def test_a_shorter_setting_never_goes_below_the_profile(portfolio, settings):
    settings.SETTLE_RETENTION_YEARS = {"contact": 2, "decision": 2, "reveal": 2}

    report = retention_apply(dry_run=True)

    # China's profile says 2 years: its contact 2.4 years ago is now past. The US profile
    # keeps 3, so the US account contacted 2.4 years ago keeps its old texts and file.
    assert report.kinds["contact_texts"].years == {"US": 3, "CN": 2}
    assert _counts(report)["contact_texts"] == 3
    retention_apply()
    assert ContactLog.objects.get(account=portfolio["chinese"]).message == ""
    assert ContactLog.objects.filter(account=portfolio["recent"]).exclude(message="").exists()


def test_the_contact_log_allows_no_other_change():
    with pytest.raises(PermissionError):
        ContactLog.objects.all().redact(at=AS_OF, outcome="conversation")
    with pytest.raises(PermissionError):
        ContactLog.objects.all().update(message="")
    with pytest.raises(PermissionError):
        ComplianceDecision.objects.all().redact(at=AS_OF, allowed=False)


def test_the_command_prints_the_report(portfolio):
    out = io.StringIO()
    call_command("retention", "--dry-run", "--as-of", "2026-11-20", stdout=out)

    text = out.getvalue()
    assert "Retention as of 2026-11-20: would remove (dry run: nothing changed)" in text
    assert "contact evidence files (recordings, scans)" in text
    line = next(row for row in text.splitlines() if "compliance decisions" in row)
    assert line.split()[-6:] == ["1", "2023-06-01", "US", "3,", "CN", "3"]
    assert ContactLog.objects.exclude(message="").count() == 4  # nothing changed


def test_the_beat_task_runs_daily_and_applies_the_policy(portfolio):
    app.loader.import_default_modules()
    schedule = PeriodicTask.objects.get(task="compliance.tasks.retention_apply_task")
    assert (schedule.crontab.minute, schedule.crontab.hour) == ("30", "3")
    assert schedule.task in app.tasks

    result = retention_apply_task()

    assert result == {
        "as_of": "2026-11-20",
        "contact_texts": 2,
        "evidence_files": 1,
        "decision_messages": 1,
        "reveals": 2,
        "partitions_dropped": [],  # its rows are in the default partition, never dropped
    }


def test_small_chunks_remove_the_same(portfolio, monkeypatch):
    from compliance import retention

    dry = retention_apply(dry_run=True)
    monkeypatch.setattr(retention, "CHUNK", 1)
    monkeypatch.setattr(retention, "ACCOUNT_BATCH", 1)

    assert _counts(retention_apply()) == _counts(dry)
    assert retention_apply(dry_run=True).total == 0
