"""Data retention: what is removed from closed accounts' records once their period has passed.

The policy (README, "Retention"):

- Only closed accounts (settled, written off, closed: any stage outside ``OPEN_STAGES``); an
  open account keeps everything.
- The period runs from the account's last contact or compliance check (its latest contact-log
  ``occurred_at`` or decision ``created_at``): 12 CFR 1006.100(a) keeps records until three
  years after the last communication or attempted communication; 《商业银行信用卡业务监督管理办法》
  第68条 keeps collection records at least two years.
- Years per kind from ``settings.SETTLE_RETENTION_YEARS`` (``contact``, ``decision``,
  ``reveal``), never fewer than the jurisdiction profile's ``retention_years`` (or
  ``STATUTORY_YEARS`` without an active profile).

What goes and what stays. The contact log and the decisions are append-only evidence, so their
rows are never deleted one by one; only their content is cleared (``AppendOnlyQuerySet.redact``,
the one change they allow), and ``redacted_at`` says when (on PostgreSQL a whole month of them
leaves later, once every row in it is past its period: ``compliance.retention_partitions``):

- a contact-log entry loses its free text (message sent, notes) and its evidence file
  (recording, scan: deleted from storage); who, when, channel, outcome, disposition, reason and
  the decision it passed stay;
- a compliance decision loses the message text in its ``inputs``; the text's SHA-256, the
  verdict, the violations and every other input stay;
- a personal-data reveal record (also written for each opening of an evidence file) is deleted:
  its only purpose, showing who saw whose data, has lapsed with the period.

Every change writes one django-auditlog entry (actor empty; ``additional_data["retention"]``
names the kind, the years, the citation, the account's last activity and the date applied)
saying what was removed: sizes, never the content.

``retention_apply`` works in chunks of ``CHUNK`` rows, one transaction each, and a second run
finds nothing left. Evidence files are deleted before their chunk commits: a crash leaves rows
naming files already gone, which the rerun clears (deleting a missing file is harmless), never a
file that no row names any more. ``dry_run`` counts exactly what a run would change and changes
nothing.
"""

from __future__ import annotations

import logging
import operator
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import reduce
from typing import Any

from auditlog.models import LogEntry
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.storage import Storage
from django.db import models, transaction
from django.db.models import Count, Exists, F, Func, Max, Min, OuterRef, Q
from django.db.models.fields.json import KT
from django.db.models.functions import Length
from django.utils import timezone

from accounts.models import OPEN_STAGES, Account, Jurisdiction, PersonalDataReveal
from compliance.models import ComplianceDecision, JurisdictionProfile
from contacts.models import ContactLog
from core.business_calendar import business_date, start_of_business_day

logger = logging.getLogger(__name__)

#: The shortest periods the law sets, for a jurisdiction without an active profile.
STATUTORY_YEARS = {"US": 3, "CN": 2}
CITATIONS = {"US": "12 CFR 1006.100", "CN": "《商业银行信用卡业务监督管理办法》第68条"}
CHUNK = 1000  # rows changed per transaction
ACCOUNT_BATCH = 500  # accounts whose rows are looked up together


@dataclass(frozen=True)
class Kind:
    code: str
    label: str
    setting: str  # key of settings.SETTLE_RETENTION_YEARS


CONTACT_TEXTS = Kind("contact_texts", "contact-log texts (message sent, notes)", "contact")
EVIDENCE_FILES = Kind("evidence_files", "contact evidence files (recordings, scans)", "contact")
DECISION_MESSAGES = Kind("decision_messages", "message texts in compliance decisions", "decision")
REVEALS = Kind("reveals", "personal-data reveal and evidence-access records", "reveal")
KINDS = (CONTACT_TEXTS, EVIDENCE_FILES, DECISION_MESSAGES, REVEALS)


@dataclass
class KindReport:
    kind: Kind
    years: dict[str, int]
    count: int = 0
    oldest: datetime | None = None

    def add(self, when: datetime) -> None:
        self.count += 1
        self.oldest = when if self.oldest is None else min(self.oldest, when)


@dataclass
class RetentionReport:
    as_of: date
    dry_run: bool
    kinds: dict[str, KindReport] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(k.count for k in self.kinds.values())

    def lines(self) -> list[str]:
        verb = "would remove (dry run: nothing changed)" if self.dry_run else "removed"
        rows = [
            f"Retention as of {self.as_of}: {verb}",
            f"  {'kind':<52} {'records':>8}  {'oldest':<10}  kept (years)",
        ]
        for report in self.kinds.values():
            oldest = report.oldest.date().isoformat() if report.oldest else "-"
            years = ", ".join(f"{code} {n}" for code, n in report.years.items())
            rows.append(f"  {report.kind.label:<52} {report.count:>8}  {oldest:<10}  {years}")
        return rows


def retention_years(setting: str) -> dict[str, int]:
    """Years to keep per jurisdiction: the setting, or the profile's period if that is longer."""
    profiles = dict(
        JurisdictionProfile.objects.filter(is_active=True).values_list("code", "retention_years")
    )
    configured = settings.SETTLE_RETENTION_YEARS[setting]
    return {
        code: max(configured, profiles.get(code, STATUTORY_YEARS[code]))
        for code in Jurisdiction.values
    }


def retention_apply(
    *, as_of: date | None = None, dry_run: bool = False, now: datetime | None = None
) -> RetentionReport:
    """Remove (or, with ``dry_run``, count) what is past its period on ``as_of`` (default: the
    business date); see the module docstring. Idempotent."""
    as_of = as_of or business_date()
    now = now or timezone.now()
    policy = _Policy(as_of)
    report = RetentionReport(
        as_of=as_of,
        dry_run=dry_run,
        kinds={kind.code: KindReport(kind, policy.years[kind.setting]) for kind in KINDS},
    )
    if dry_run:
        _count(policy, report)
    else:
        _contacts_redact(policy, report, now)
        _decisions_redact(policy, report, now)
        _reveals_delete(policy, report, now)
    for line in report.lines():
        logger.info(line)
    return report


# --- What is past its period ---------------------------------------------------------------
TEXTS = ~Q(message="") | ~Q(notes="")  # on a contact-log entry
FILES = ~Q(attachment="")


class _Policy:
    """The cutoff instants per setting and jurisdiction for one ``as_of``, and what they select."""

    def __init__(self, as_of: date) -> None:
        self.as_of = as_of
        self.years = {setting: retention_years(setting) for setting in {k.setting for k in KINDS}}
        self.cutoffs = {
            setting: {
                code: start_of_business_day(_years_before(as_of, n)) for code, n in years.items()
            }
            for setting, years in self.years.items()
        }

    def closed_accounts(self, setting: str) -> models.QuerySet[Account]:
        """Closed accounts without a contact or compliance check since their cutoff."""
        past = []
        for code, cutoff in self.cutoffs[setting].items():
            contacted = ContactLog.objects.filter(account=OuterRef("pk"), occurred_at__gte=cutoff)
            checked = ComplianceDecision.objects.filter(
                account=OuterRef("pk"), created_at__gte=cutoff
            )
            past.append(Q(customer__jurisdiction=code) & ~Exists(contacted) & ~Exists(checked))
        return Account.objects.exclude(stage__in=OPEN_STAGES).filter(reduce(operator.or_, past))

    def contacts(self, account_ids: list[int] | None = None) -> models.QuerySet[ContactLog]:
        """Entries of those accounts (or of ``account_ids``, taken from them) that still hold a
        text or an evidence file."""
        accounts = self.closed_accounts("contact") if account_ids is None else account_ids
        return ContactLog.objects.filter(account__in=accounts).filter(TEXTS | FILES)

    def decisions(
        self, account_ids: list[int] | None = None
    ) -> models.QuerySet[ComplianceDecision]:
        """Decisions of those accounts (or of ``account_ids``, taken from them) whose inputs
        still hold a message text."""
        accounts = self.closed_accounts("decision") if account_ids is None else account_ids
        return (
            ComplianceDecision.objects.filter(account__in=accounts)
            .annotate(message_chars=Length(KT("inputs__message")))
            .filter(message_chars__gt=0)
        )

    def reveals(self) -> models.QuerySet[PersonalDataReveal]:
        """Reveals of a customer whose accounts are all closed, none contacted or checked since
        the cutoff, made before it."""
        past = []
        for code, cutoff in self.cutoffs["reveal"].items():
            accounts = Account.objects.filter(customer=OuterRef("customer"))
            contacted = ContactLog.objects.filter(
                customer=OuterRef("customer"), occurred_at__gte=cutoff
            )
            checked = ComplianceDecision.objects.filter(
                customer=OuterRef("customer"), created_at__gte=cutoff
            )
            past.append(
                Q(customer__jurisdiction=code, revealed_at__lt=cutoff)
                & Exists(accounts)
                & ~Exists(accounts.filter(stage__in=OPEN_STAGES))
                & ~Exists(contacted)
                & ~Exists(checked)
            )
        return PersonalDataReveal.objects.filter(reduce(operator.or_, past))


def _count(policy: _Policy, report: RetentionReport) -> None:
    for kind, queryset, when in (
        (CONTACT_TEXTS, policy.contacts().filter(TEXTS), "occurred_at"),
        (EVIDENCE_FILES, policy.contacts().filter(FILES), "occurred_at"),
        (DECISION_MESSAGES, policy.decisions(), "created_at"),
        (REVEALS, policy.reveals(), "revealed_at"),
    ):
        found = queryset.aggregate(n=Count("pk"), oldest=Min(when))
        report.kinds[kind.code].count = found["n"]
        report.kinds[kind.code].oldest = found["oldest"]


# --- Removing ------------------------------------------------------------------------------
def _contacts_redact(policy: _Policy, report: RetentionReport, now: datetime) -> None:
    """Clear the texts and delete the evidence files of the entries past their period."""
    storage: Storage = ContactLog._meta.get_field("attachment").storage
    content_type = ContentType.objects.get_for_model(ContactLog)
    fields = ("channel", "occurred_at", "outcome", "message_chars", "notes_chars", "attachment")
    for rows in _chunks_by_account(
        policy,
        "contact",
        lambda ids: policy.contacts(ids).annotate(
            message_chars=Length("message"), notes_chars=Length("notes")
        ),
        "account_id",
        "customer__jurisdiction",
        *fields,
    ):
        clocks = _last_activity("account_id", {r["account_id"] for r in rows})
        entries, files = [], []
        for row in rows:
            changes: dict[str, list] = {}
            kinds = []
            for name in ("message", "notes"):
                if row[f"{name}_chars"]:
                    changes[name] = [f"[{row[f'{name}_chars']} characters removed]", ""]
            if changes:
                kinds.append(CONTACT_TEXTS)
            if row["attachment"]:
                changes["attachment"] = [_file_removed(storage, row["attachment"]), ""]
                files.append(row["attachment"])
                kinds.append(EVIDENCE_FILES)
            for kind in kinds:
                report.kinds[kind.code].add(row["occurred_at"])
            channel = ContactLog.Channel(row["channel"]).label
            name = f"{channel} {row['occurred_at']:%Y-%m-%d %H:%M} {row['outcome']}"  # as str()
            entries.append(
                _audit_entry(
                    content_type, row, name, LogEntry.Action.UPDATE, changes, kinds, policy,
                    clocks.get(row["account_id"]), now,
                )
            )  # fmt: skip
        with transaction.atomic():
            for file_name in files:  # before the commit: see the module docstring
                storage.delete(file_name)
            ContactLog.objects.filter(id__in=[r["id"] for r in rows]).redact(
                at=now, message="", notes="", attachment=""
            )
            LogEntry.objects.bulk_create(entries)


class _MessageCleared(Func):
    """The decision's ``inputs`` with its ``message`` set to "", computed in SQL per row."""

    template = "jsonb_set(%(expressions)s, '{message}', '\"\"'::jsonb)"
    output_field = models.JSONField()

    def as_sqlite(self, compiler, connection, **extra):
        template = "json_set(%(expressions)s, '$.message', '')"
        return super().as_sql(compiler, connection, template=template, **extra)


def _decisions_redact(policy: _Policy, report: RetentionReport, now: datetime) -> None:
    """Clear the message text from the inputs of the decisions past their period."""
    content_type = ContentType.objects.get_for_model(ComplianceDecision)
    fields = ("channel", "at", "allowed", "created_at", "message_chars")
    for rows in _chunks_by_account(
        policy, "decision", policy.decisions, "account_id", "customer__jurisdiction", *fields
    ):
        clocks = _last_activity("account_id", {r["account_id"] for r in rows})
        entries = []
        for row in rows:
            report.kinds[DECISION_MESSAGES.code].add(row["created_at"])
            name = str(ComplianceDecision(**{f: row[f] for f in ("channel", "at", "allowed")}))
            changes = {"inputs": [f"[message of {row['message_chars']} characters removed]", ""]}
            entries.append(
                _audit_entry(
                    content_type, row, name, LogEntry.Action.UPDATE, changes,
                    [DECISION_MESSAGES], policy, clocks.get(row["account_id"]), now,
                )
            )  # fmt: skip
        with transaction.atomic():
            ComplianceDecision.objects.filter(id__in=[r["id"] for r in rows]).redact(
                at=now, inputs=_MessageCleared(F("inputs"))
            )
            LogEntry.objects.bulk_create(entries)


def _reveals_delete(policy: _Policy, report: RetentionReport, now: datetime) -> None:
    """Delete the reveal records past their period."""
    content_type = ContentType.objects.get_for_model(PersonalDataReveal)
    fields = ("user_id", "account_id", "fields", "channel", "revealed_at")
    for rows in _chunks(policy.reveals(), "customer_id", "customer__jurisdiction", *fields):
        clocks = _last_activity("customer_id", {r["customer_id"] for r in rows})
        entries = []
        for row in rows:
            report.kinds[REVEALS.code].add(row["revealed_at"])
            revealed = ", ".join(row["fields"])
            # What the record said, except the network address it was made from.
            changes = {
                "user": [row["user_id"], None],
                "customer": [row["customer_id"], None],
                "account": [row["account_id"], None],
                "revealed_at": [row["revealed_at"].isoformat(), "None"],
                "fields": [revealed, "None"],
                "channel": [row["channel"], "None"],
            }
            name = f"reveal of {revealed} ({row['revealed_at']:%Y-%m-%d})"
            entries.append(
                _audit_entry(
                    content_type, row, name, LogEntry.Action.DELETE, changes, [REVEALS],
                    policy, clocks.get(row["customer_id"]), now,
                )
            )  # fmt: skip
        with transaction.atomic():
            PersonalDataReveal.objects.filter(id__in=[r["id"] for r in rows]).delete()
            LogEntry.objects.bulk_create(entries)


# --- Helpers -------------------------------------------------------------------------------
def _chunks(queryset: models.QuerySet, *fields: str) -> Iterator[list[dict[str, Any]]]:
    """``id`` and ``fields`` of ``CHUNK`` rows at a time by ascending id. The caller changes each
    chunk in a transaction of its own, after which its rows no longer match."""
    last_id = 0
    while rows := list(
        queryset.filter(id__gt=last_id).order_by("id").values("id", *fields)[:CHUNK]
    ):
        last_id = rows[-1]["id"]
        yield rows


def _chunks_by_account(
    policy: _Policy, setting: str, due: Callable[[list[int]], models.QuerySet], *fields: str
) -> Iterator[list[dict[str, Any]]]:
    """``_chunks`` of ``due(account_ids)`` over the closed accounts past their period, read once
    and taken ``ACCOUNT_BATCH`` at a time, so that each chunk is found through the per-account
    indexes rather than by re-running the accounts' query."""
    accounts = list(policy.closed_accounts(setting).order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(accounts), ACCOUNT_BATCH):
        yield from _chunks(due(accounts[start : start + ACCOUNT_BATCH]), *fields)


def _last_activity(key: str, ids: set[int]) -> dict[int, datetime]:
    """Per account (``account_id``) or customer (``customer_id``): the latest contact or
    compliance check, the instant the period runs from."""
    latest: dict[int, datetime] = {}
    for model, when in ((ContactLog, "occurred_at"), (ComplianceDecision, "created_at")):
        for pk, moment in (
            model.objects.filter(**{f"{key}__in": ids})
            .values(key)
            .annotate(last=Max(when))
            .values_list(key, "last")
        ):
            latest[pk] = max(latest.get(pk, moment), moment)
    return latest


def _file_removed(storage: Storage, name: str) -> str:
    try:
        size = storage.size(name)
    except OSError:
        return "[evidence file removed; it was already missing]"
    return f"[evidence file removed: {size} bytes]"


def _audit_entry(
    content_type: ContentType,
    row: dict[str, Any],
    name: str,
    action: int,
    changes: dict[str, list],
    kinds: list[Kind],
    policy: _Policy,
    last_activity: datetime | None,
    now: datetime,
) -> LogEntry:
    """What retention removed from one record (sizes, never content), and why."""
    jurisdiction = row["customer__jurisdiction"]
    return LogEntry(
        content_type=content_type,
        object_pk=str(row["id"]),
        object_id=row["id"],
        object_repr=name[:255],
        action=action,
        changes=changes,
        changes_text="",
        actor=None,
        timestamp=now,
        additional_data={
            "retention": {
                "kinds": [k.code for k in kinds],
                "years": policy.years[kinds[0].setting][jurisdiction],
                "citation": CITATIONS.get(jurisdiction, ""),
                "last_activity": last_activity.isoformat() if last_activity else None,
                "as_of": policy.as_of.isoformat(),
                "reason": "closed account; its retention period after the last contact or "
                "compliance check has passed",
            }
        },
    )


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year - years, day=28)
