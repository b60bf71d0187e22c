"""No path that sends or logs an outbound contact skips the compliance gate.

A static guard finds every module that writes contact-log rows and requires it to call the
gate; then one test per path that exists today (``POST /accounts/{id}/contacts/``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from compliance.models import ComplianceDecision
from contacts.models import ContactLog
from tests.factories import AccountFactory, ContactPointFactory

ROOT = Path(__file__).resolve().parents[2]
#: Writes of contact-log rows: the model, its manager, or its table in raw SQL.
WRITES = re.compile(
    r"ContactLog\s*\(|ContactLog\.objects\.(?:create|bulk_create|get_or_create)"
    r"|evidence_insert\(\s*ContactLog\b|contacts_contactlog"
)
GATE = re.compile(r"\bcontact_(?:authorize|check|check_bulk)\s*\(")
#: Modules allowed to write rows without the gate, and why.
NOT_OUTBOUND = {
    "workspace/demo.py": "loads past contacts as history (source=history); nothing is sent",
    "contacts/models.py": "defines the model (class ContactLog(...))",
    "outreach/inbound.py": "logs what the customer sent (inbound); its answers are logged by"
    " outreach.services.solicited_log after the gate's solicited_decision",
}
#: Modules that write the rows of contacts their only caller passed through the gate:
#: writer → that caller, which must call the gate itself.
GATED_BY_CALLER = {
    "outreach/reminders/evidence.py": "outreach/reminders/sending.py",
}


def _app_modules():
    for path in sorted(ROOT.glob("*/**/*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith((".venv/", "tests/")) or "/migrations/" in relative:
            continue
        yield relative, path.read_text(encoding="utf-8")


def test_every_module_that_logs_contacts_passes_the_gate():
    writers = {name for name, text in _app_modules() if WRITES.search(text)}
    ungated = sorted(
        name
        for name in writers - set(NOT_OUTBOUND)
        if not GATE.search(Path(ROOT, GATED_BY_CALLER.get(name, name)).read_text(encoding="utf-8"))
    )

    assert ungated == [], f"these modules log contacts without compliance.services: {ungated}"


def test_the_guard_sees_the_known_writers():
    writers = {name for name, text in _app_modules() if WRITES.search(text)}

    assert {"workspace/demo.py", "outreach/services.py", *GATED_BY_CALLER} <= writers


def test_a_writer_gated_by_its_caller_is_imported_by_that_caller_only():
    for writer, caller in GATED_BY_CALLER.items():
        package, _, module = writer.removesuffix(".py").replace("/", ".").rpartition(".")
        imports = re.compile(
            rf"^\s*(?:from|import)\s+{re.escape(package)}\.{module}\b"
            rf"|^\s*from\s+{re.escape(package)}\s+import\s+.*\b{module}\b",
            re.MULTILINE,
        )
        importers = sorted(name for name, text in _app_modules() if imports.search(text))

        assert importers == [caller], f"{writer} must be used by {caller} only: {importers}"


# --- POST /api/v1/accounts/{id}/contacts/ ---------------------------------------------------


@pytest.mark.django_db
def test_blocked_outbound_call_is_a_422_logs_nothing_and_keeps_the_decision(api, specialist, team):
    account = AccountFactory(team=team, customer__time_zone="America/New_York")
    phone = ContactPointFactory(customer=account.customer, value="+12125550100")

    response = api.as_user(specialist).post(
        f"/api/v1/accounts/{account.pk}/contacts/",
        {
            "channel": "call",
            "direction": "outbound",
            "occurred_at": "2026-04-07T22:30:00-04:00",
            "contact_point": phone.pk,
            "outcome": "no_answer",
        },
        format="json",
    )

    assert response.status_code == 422, response.json()
    body = response.json()
    assert body["allowed"] is False
    assert [v["rule"] for v in body["violations"]] == ["contact_window"]
    assert body["next_allowed_at"] == "2026-04-08T08:00:00-04:00"
    assert not ContactLog.objects.filter(account=account).exists()
    decision = ComplianceDecision.objects.get(account=account)
    assert (decision.allowed, decision.purpose, decision.checked_by) == (
        False,
        "contact_log",
        specialist,
    )


@pytest.mark.django_db
def test_allowed_outbound_call_is_logged_with_its_decision(api, specialist, team):
    account = AccountFactory(team=team, customer__time_zone="America/New_York")
    phone = ContactPointFactory(customer=account.customer, value="+12125550100")

    response = api.as_user(specialist).post(
        f"/api/v1/accounts/{account.pk}/contacts/",
        {
            "channel": "call",
            "direction": "outbound",
            "occurred_at": "2026-04-07T10:00:00-04:00",
            "contact_point": phone.pk,
            "outcome": "no_answer",
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    entry = ContactLog.objects.get(account=account)
    decision = ComplianceDecision.objects.get(account=account)
    assert decision.allowed
    assert entry.decision_id == decision.pk
