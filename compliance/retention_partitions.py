"""Retention by partition: a month of evidence past its period leaves as a whole (PostgreSQL).

``compliance.retention`` clears the content of a closed account's records once its period has
passed and keeps the rows. On PostgreSQL the contact log and the decisions are partitioned by
month (``core.partitions``), and a month whose every row is past its period leaves as a whole:
``DETACH`` and ``DROP`` of its partition, which costs nothing like deleting millions of rows
one by one (and leaves no bloat behind). The same policy decides, with the same definitions
(``retention._Policy``): 12 CFR 1006.100 keeps records three years after the last
communication; 《商业银行信用卡业务监督管理办法》第68条 at least two; more if the settings or the
jurisdiction's profile say so.

A month's partition (``[start, end)``, never the default one) is dropped when, on ``as_of``:

- it ends before the latest cutoff of any jurisdiction (a later one cannot be all past);
- every row in it belongs to a closed account without a contact or compliance check since
  its jurisdiction's cutoff (``_Policy.closed_accounts``): one open account, or one row of an
  account still within its period, keeps the whole month; and
- no row refers to one of its rows that must keep referring. Foreign keys to these tables are
  not database constraints (``contacts.models.ContactLog``), so this check is what keeps every
  reference pointing at a row:

  - evidence is never changed, so a later correction in a kept month, or a kept contact-log
    entry that passed one of its decisions, keeps the month (the contact log goes first,
    newest month first, so an entry dropped in the same run no longer holds anything);
  - a working record (a promise, dispute, complaint, callback and its events, reminder,
    follow-up or inbound message made in one of its contacts or decisions) of an account that
    is itself closed and past its period is *released*: when the month goes, its reference is
    cleared (a follow-up, whose only field is the entry, is deleted), one audit entry per row.
    The record stays; the contact it named has left under the same policy. Such a record of
    any other account (or of none) keeps the month.

A kept month is reported with what holds it: rows and accounts still within their period or,
for a month no row keeps, references per table (looked up only then: some scan a table). A
dropped month writes one django-auditlog entry (actor empty; table, partition, range, rows,
accounts, evidence files, references released, the years and citation of each jurisdiction
present), in the transaction that drops it and releases its references; its evidence files are
deleted from storage before that commits (as ``retention`` does). ``dry_run`` reports the same
verdicts and changes nothing; a second run drops nothing. Nothing happens on SQLite, whose
tables are not partitioned.

A race the check leaves open, knowingly: a row written after the check and before the drop
that refers to a row of the month. Nothing writes to an account closed and silent for years
(a new contact would make it within its period), so none is expected.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime

from auditlog.models import LogEntry
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.files.storage import Storage
from django.db import connection, models, transaction
from django.db.models import Count, Q
from django.utils import timezone

from compliance.models import ComplianceDecision
from compliance.retention import CHUNK, CITATIONS, _Policy
from contacts.models import CallbackEvent, ContactLog
from core.business_calendar import business_date
from core.partitions import Partition, partition_drop, partitions_list

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Evidence:
    model: type[models.Model]
    column: str  # the partition key
    setting: str  # key of settings.SETTLE_RETENTION_YEARS


#: In this order: the contact log refers to decisions, never the other way round.
EVIDENCE = (
    Evidence(ContactLog, "occurred_at", "contact"),
    Evidence(ComplianceDecision, "created_at", "decision"),
)
EVIDENCE_MODELS = {e.model: e.column for e in EVIDENCE}
#: How a working record that refers to evidence reaches its account (default: ``account``).
ACCOUNT_PATHS: dict[type[models.Model], str] = {CallbackEvent: "callback__account"}


@dataclass
class Verdict:
    """What one month's partition holds and whether it may go."""

    partition: Partition
    rows: int = 0
    accounts: int = 0
    files: int = 0
    #: Rows (and their accounts) of open accounts or accounts still within their period.
    kept_rows: int = 0
    kept_accounts: int = 0
    #: "table.column" → rows outside the partition that refer to one of its rows and keep it.
    references: dict[str, int] = field(default_factory=dict)
    #: "table.column" → working records of accounts past their period whose reference goes.
    released: dict[str, int] = field(default_factory=dict)
    dropped: bool = False

    @property
    def droppable(self) -> bool:
        return not self.kept_rows and not self.references

    def reason(self) -> str:
        if self.droppable:
            released = "".join(f"; releases {n} {name}" for name, n in self.released.items())
            return "every row past its period, nothing keeps it" + released
        held = []
        if self.kept_rows:
            held.append(
                f"{self.kept_rows} rows of {self.kept_accounts} accounts open or within the period"
            )
        held += [f"referred to by {n} {name}" for name, n in self.references.items()]
        return "; ".join(held)


@dataclass
class PartitionReport:
    as_of: date
    dry_run: bool
    verdicts: list[Verdict] = field(default_factory=list)

    @property
    def dropped(self) -> list[Verdict]:
        return [v for v in self.verdicts if v.dropped]

    def lines(self) -> list[str]:
        verb = "would drop (dry run: nothing changed)" if self.dry_run else "dropped"
        rows = [f"Partitions past the retention period as of {self.as_of}: {verb}"]
        if not self.verdicts:
            rows.append("  none")
        for v in self.verdicts:
            action = "drop" if v.droppable else "keep"
            rows.append(
                f"  {v.partition.name:<44} {v.rows:>9} rows {v.accounts:>7} accounts  "
                f"{action}: {v.reason()}"
            )
        return rows


def partitions_retire(
    *, as_of: date | None = None, dry_run: bool = False, now: datetime | None = None
) -> PartitionReport:
    """Drop (or, with ``dry_run``, judge) the months of evidence past their period on ``as_of``
    (default: the business date); see the module docstring. Idempotent."""
    as_of = as_of or business_date()
    now = now or timezone.now()
    report = PartitionReport(as_of=as_of, dry_run=dry_run)
    if connection.vendor != "postgresql":
        return report
    policy = _Policy(as_of)
    # Ranges of the months dropped (or, in a dry run, that would be) so far in this run: their
    # rows hold nothing any more.
    gone: dict[type[models.Model], list[tuple[datetime, datetime]]] = {}
    for evidence in EVIDENCE:
        latest_cutoff = max(policy.cutoffs[evidence.setting].values())
        months = [
            p
            for p in partitions_list(evidence.model._meta.db_table)
            if p.end is not None and p.end <= latest_cutoff
        ]
        for partition in reversed(months):  # newest first: corrections refer back in time
            verdict = _verdict(policy, evidence, partition, gone)
            report.verdicts.append(verdict)
            if not verdict.droppable:
                continue
            assert partition.start is not None and partition.end is not None
            gone.setdefault(evidence.model, []).append((partition.start, partition.end))
            if not dry_run:
                _drop(policy, evidence, verdict, now)
    for line in report.lines():
        logger.info(line)
    return report


def _rows(evidence: Evidence, start: datetime | None, end: datetime | None) -> models.QuerySet:
    """The rows of one month: a range on the partition key, so only its partition is read."""
    return evidence.model._default_manager.filter(
        **{f"{evidence.column}__gte": start, f"{evidence.column}__lt": end}
    )


def _references(model: type[models.Model]) -> list[tuple[type[models.Model], models.Field]]:
    """Every foreign key (or one-to-one) to ``model``, in any app."""
    return [
        (other, f)
        for other in apps.get_models()
        for f in other._meta.concrete_fields
        if f.is_relation and f.related_model is model and (f.many_to_one or f.one_to_one)
    ]


def _verdict(
    policy: _Policy,
    evidence: Evidence,
    partition: Partition,
    gone: dict[type[models.Model], list[tuple[datetime, datetime]]],
) -> Verdict:
    rows = _rows(evidence, partition.start, partition.end)
    counted = {"rows": Count("pk"), "accounts": Count("account", distinct=True)}
    verdict = Verdict(partition, **rows.aggregate(**counted))
    if evidence.model is ContactLog:
        verdict.files = rows.exclude(attachment="").count()
    if not verdict.rows:
        return verdict
    kept = rows.exclude(account__in=policy.closed_accounts(evidence.setting)).aggregate(**counted)
    verdict.kept_rows, verdict.kept_accounts = kept["rows"], kept["accounts"]
    if verdict.kept_rows:
        # Kept anyway: spare the reference lookups, some of which scan a table (a reminder's
        # contact and decision are not indexed, to keep the hot write path lean).
        return verdict
    for other, fk, referring, releasable in _referring(policy, evidence, partition):
        name = f"{other._meta.db_table}.{fk.column}"
        if other in EVIDENCE_MODELS:
            column = EVIDENCE_MODELS[other]
            ranges = [*gone.get(other, [])]
            if other is evidence.model:
                assert partition.start is not None and partition.end is not None
                ranges.append((partition.start, partition.end))
            for start, end in ranges:
                referring = referring.exclude(Q(**{f"{column}__gte": start, f"{column}__lt": end}))
        elif n := releasable.count():
            verdict.released[name] = n
            referring = referring.exclude(pk__in=releasable.values("pk"))
        if n := referring.count():
            verdict.references[name] = n
    return verdict


def _referring(
    policy: _Policy, evidence: Evidence, partition: Partition
) -> list[tuple[type[models.Model], models.Field, models.QuerySet, models.QuerySet]]:
    """Per foreign key to the evidence: the rows that refer to one of the month's rows, and
    those of them that are working records of accounts past their period (see the module
    docstring; none for evidence)."""
    ids = _rows(evidence, partition.start, partition.end).values("pk")
    past = policy.closed_accounts(evidence.setting)
    found = []
    for other, fk in _references(evidence.model):
        referring = other._default_manager.filter(**{f"{fk.name}__in": ids})
        if other in EVIDENCE_MODELS:
            releasable = referring.none()
        else:
            path = ACCOUNT_PATHS.get(other, "account")
            releasable = referring.filter(**{f"{path}__in": past})
        found.append((other, fk, referring, releasable))
    return found


def _drop(policy: _Policy, evidence: Evidence, verdict: Verdict, now: datetime) -> None:
    """Drop the month's partition with its audit entry, in one transaction."""
    partition = verdict.partition
    assert partition.start is not None and partition.end is not None
    rows = _rows(evidence, partition.start, partition.end)
    jurisdictions = sorted(
        set(rows.values_list("account__customer__jurisdiction", flat=True).distinct())
    )
    files: list[str] = []
    storage: Storage | None = None
    if evidence.model is ContactLog:
        storage = ContactLog._meta.get_field("attachment").storage
        files = list(rows.exclude(attachment="").values_list("attachment", flat=True))
    releases = [
        (other, fk, list(releasable.values_list("pk", fk.attname)))
        for other, fk, _, releasable in _referring(policy, evidence, partition)
        if other not in EVIDENCE_MODELS
    ]
    entries = [
        _release_entry(other, fk, pk, target, partition, policy, now)
        for other, fk, rows_ in releases
        for pk, target in rows_
    ]
    entry = LogEntry(
        content_type=ContentType.objects.get_for_model(evidence.model),
        object_pk=partition.name,
        object_repr=f"{partition.name} ({partition.start:%Y-%m})",
        action=LogEntry.Action.DELETE,
        changes={
            "rows": [str(verdict.rows), "0"],
            "evidence_files": [str(len(files)), "0"],
        },
        changes_text="",
        actor=None,
        timestamp=now,
        additional_data={
            "retention": {
                "kinds": ["partition"],
                "table": partition.table,
                "partition": partition.name,
                "from": partition.start.isoformat(),
                "to": partition.end.isoformat(),
                "rows": verdict.rows,
                "accounts": verdict.accounts,
                "evidence_files": len(files),
                "released": {
                    f"{other._meta.db_table}.{fk.column}": len(rows_)
                    for other, fk, rows_ in releases
                    if rows_
                },
                "years": {code: policy.years[evidence.setting][code] for code in jurisdictions},
                "citations": {code: CITATIONS.get(code, "") for code in jurisdictions},
                "as_of": policy.as_of.isoformat(),
                "reason": "every row belongs to a closed account whose retention period after "
                "its last contact or compliance check has passed; no row outside the "
                "partition refers to one of its rows",
            }
        },
    )
    with transaction.atomic():
        for other, fk, rows_ in releases:
            for start in range(0, len(rows_), CHUNK):
                pks = [pk for pk, _ in rows_[start : start + CHUNK]]
                if fk.null:
                    other._default_manager.filter(pk__in=pks).update(**{fk.attname: None})
                else:  # a follow-up: nothing left of it without its entry
                    other._default_manager.filter(pk__in=pks).delete()
        LogEntry.objects.bulk_create([entry, *entries], batch_size=CHUNK)
        if storage is not None:
            for name in files:  # before the commit, as retention does
                storage.delete(name)
        partition_drop(partition)
    verdict.dropped = True
    logger.info("retention dropped %s: %s rows", partition.name, verdict.rows)


def _release_entry(
    model: type[models.Model],
    fk: models.Field,
    pk: int,
    target: int,
    partition: Partition,
    policy: _Policy,
    now: datetime,
) -> LogEntry:
    """One working record's reference cleared (or, for a follow-up, the record deleted)."""
    return LogEntry(
        content_type=ContentType.objects.get_for_model(model),
        object_pk=str(pk),
        object_id=pk,
        object_repr=f"{model._meta.verbose_name} {pk}"[:255],
        action=LogEntry.Action.UPDATE if fk.null else LogEntry.Action.DELETE,
        changes={fk.name: [str(target), "None"]},
        changes_text="",
        actor=None,
        timestamp=now,
        additional_data={
            "retention": {
                "kinds": ["partition_reference"],
                "partition": partition.name,
                "as_of": policy.as_of.isoformat(),
                "reason": "the row it referred to left with its month's partition; the account "
                "is closed and past its retention period",
            }
        },
    )
