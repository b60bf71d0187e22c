"""The portable engine (SQLite, the demo): rows are parsed with ``csv`` and checked with the
spec's Python rules, then written with bulk queries; assignment and risk go through
``services.accounts_assign_unassigned`` and ``workspace.risk_refresh.accounts_risk_refresh``."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from auditlog.diff import mask_str
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import models

from accounts import delinquency
from accounts.models import Account, BucketHistory, ContactPoint, Customer, Jurisdiction
from feeds.account_import.engine import Engine, chunks
from feeds.account_import.spec import (
    ACCOUNT_COLUMNS,
    ACCOUNT_FIELDS,
    AUDIT_MASKED,
    COLUMNS,
    CONTACT_POINT_AUDIT_FIELDS,
    CUSTOMER_COLUMNS,
    CUSTOMER_FIELDS,
    PLAN_MEASURED_FIELDS,
    PLAN_STAGE,
    POSITION,
    REQUIRED_MESSAGE,
    TWO_PLACES,
    Managed,
    Row,
    RowError,
    msg_duplicate_account,
    msg_duplicate_customer,
    msg_no_team,
    msg_other_customer,
)
from plans.models import WriteOff, WriteOffPolicy
from plans.services.writeoff import (
    charge_off_due,
    new_accounts_charged_off,
    policy_for,
    policy_write_off,
)

_Traced = TypeVar("_Traced", Customer, Account, ContactPoint)


def audit_text(value: Any) -> Any:
    """A value as auditlog's diff writes it (``smart_str``; foreign keys stay ids)."""
    if value is None:
        return "None"
    if isinstance(value, Decimal):
        return str(value.quantize(TWO_PLACES))
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


class PortableEngine(Engine):
    """csv + the spec's Python checks, then bulk writes (the demo and test database)."""

    def run(self) -> None:
        rows, errors = self.parse()
        self.timer.lap("parse")
        existing_accounts = self.existing_accounts({r.values["account_number"] for r in rows})
        errors += self.cross_row_errors(rows, existing_accounts)
        self.timer.lap("validate")
        if errors:
            self.reject(errors)
            return
        self.apply(rows, existing_accounts)

    def parse(self) -> tuple[list[_Parsed], list[RowError]]:
        text_stream = io.TextIOWrapper(
            io.BufferedReader(self.reader), encoding="utf-8-sig", newline=""
        )
        records = csv.reader(text_stream)
        rows: list[_Parsed] = []
        errors: list[RowError] = []
        line = 1
        try:
            next(records, None)
            for line, record in enumerate(records, start=2):
                self.result.rows += 1
                if len(record) != len(self.header):
                    errors.append(
                        RowError(
                            line,
                            -1,
                            "row",
                            f"expected {len(self.header)} fields, found {len(record)}",
                        )
                    )
                    continue
                raw: dict[str, str | None] = {
                    name: (value.strip(" \t") or None)
                    for name, value in zip(self.header, record, strict=True)
                }
                raw["team"] = raw.get("team") or self.team_code
                rows.append(self.parse_row(line, raw, errors))
        except UnicodeDecodeError:
            errors.append(RowError(line + 1, -1, "row", "the file is not UTF-8 text"))
        except csv.Error as exc:
            errors.append(RowError(line + 1, -1, "row", str(exc)))
        return rows, errors

    def parse_row(self, line: int, raw: Row, errors: list[RowError]) -> _Parsed:
        """Check and convert one row; a bad row is kept (with ``ok`` False) because the
        cross-row rules still need its raw keys."""
        values: dict[str, Any] = {}
        ok = True
        for position, column in enumerate(COLUMNS):
            value = raw.get(column.name)
            if value is None:
                if not column.blank:
                    errors.append(RowError(line, position, column.name, REQUIRED_MESSAGE))
                    ok = False
                values[column.name] = None
                continue
            bad = next((c for c in column.checks if c.python(value, raw, self.context)), None)
            if bad is not None:
                errors.append(RowError(line, position, column.name, bad.message))
                ok = False
                continue
            values[column.name] = column.to_python(value, raw)
        return _Parsed(line, raw, values, ok)

    def existing_accounts(self, numbers: set[str | None]) -> dict[str, Account]:
        wanted = sorted(n for n in numbers if n)
        found: dict[str, Account] = {}
        for chunk in chunks(wanted, 900):
            for account in Account.objects.filter(number__in=chunk).select_related("customer"):
                found[account.number] = account
        return found

    def cross_row_errors(
        self, rows: list[_Parsed], existing: Mapping[str, Account]
    ) -> list[RowError]:
        errors: list[RowError] = []
        first_account: dict[str, _Parsed] = {}
        first_customer: dict[str, _Parsed] = {}
        for row in rows:
            number, ref = row.raw.get("account_number"), row.raw.get("external_ref")
            if number:
                first = first_account.setdefault(number, row)
                if first is not row and first.signature(ACCOUNT_COLUMNS) != row.signature(
                    ACCOUNT_COLUMNS
                ):
                    errors.append(
                        RowError(
                            row.line,
                            POSITION["account_number"],
                            "account_number",
                            msg_duplicate_account(first.line),
                        )
                    )
            if ref:
                first = first_customer.setdefault(ref, row)
                if first is not row and first.signature(CUSTOMER_COLUMNS) != row.signature(
                    CUSTOMER_COLUMNS
                ):
                    errors.append(
                        RowError(
                            row.line,
                            POSITION["external_ref"],
                            "external_ref",
                            msg_duplicate_customer(first.line),
                        )
                    )
            account = existing.get(number or "")
            if account is not None and ref and account.customer.external_ref != ref:
                errors.append(
                    RowError(
                        row.line,
                        POSITION["account_number"],
                        "account_number",
                        msg_other_customer(account.customer.external_ref),
                    )
                )
            jurisdiction = row.raw.get("jurisdiction")
            if (
                account is None
                and number
                and not row.raw.get("team")
                and jurisdiction in Jurisdiction.values
                and jurisdiction not in self.auto_teams
            ):
                errors.append(
                    RowError(row.line, POSITION["team"], "team", msg_no_team(jurisdiction))
                )
        return errors

    def apply(self, rows: list[_Parsed], existing_accounts: dict[str, Account]) -> None:
        customers = self.plan_customers(rows)
        accounts = self.plan_accounts(rows, existing_accounts)
        new_customers = [c for c, _ in customers if c._import_created]
        new_accounts = [a for a, _ in accounts if a._import_created]
        charge_offs = self.plan_write_offs(new_accounts)
        result = self.result
        result.customers_created = len(new_customers)
        result.customers_updated = len(customers) - len(new_customers)
        result.accounts_created = len(new_accounts)
        result.accounts_updated = len(accounts) - len(new_accounts)
        result.accounts_charged_off = len(charge_offs)
        self.timer.lap("plan")
        if result.dry_run:
            return
        Customer.objects.bulk_create(new_customers, batch_size=500)
        changed = [c for c, _ in customers if not c._import_created]
        if changed:
            fields = [m.field for m in CUSTOMER_FIELDS] + ["updated_at"]
            Customer.objects.bulk_update(changed, fields, batch_size=500)
        by_ref = self.customers_by_ref
        for account, _ in accounts:
            account.customer_id = by_ref[account._import_ref].pk
        Account.objects.bulk_create(new_accounts, batch_size=500)
        WriteOff.objects.bulk_create(charge_offs, batch_size=500)  # their accounts have ids now
        moved = [a for a, _ in accounts if not a._import_created]
        if moved:
            fields = [m.field for m in ACCOUNT_FIELDS] + ["team", "assigned_to", "updated_at"]
            Account.objects.bulk_update(moved, fields, batch_size=500)
        self.timer.lap("upsert")
        contact_customers = self.create_contact_points(rows, by_ref)
        self.open_first_stays(new_accounts)
        self.write_audit(customers, accounts)
        self.timer.lap("history_contacts_audit")
        team_ids = {a.team_id for a, changes in accounts if a._import_created or "team" in changes}
        risk_ids = {a.pk for a, _ in accounts}
        for chunk in chunks(sorted(contact_customers), 900):
            risk_ids.update(
                Account.objects.filter(customer_id__in=chunk).values_list("id", flat=True)
            )
        self.after_write(team_ids, list(risk_ids), created_ids=[a.pk for a in new_accounts])

    customers_by_ref: dict[str, Customer]

    def plan_customers(self, rows: list[_Parsed]) -> list[tuple[Customer, dict[str, list]]]:
        """(customer, audit changes) for each new or changed customer; attributes already set."""
        firsts: dict[str, _Parsed] = {}
        for row in rows:
            firsts.setdefault(row.values["external_ref"], row)
        existing: dict[str, Customer] = {}
        for chunk in chunks(sorted(firsts), 900):
            existing.update(
                (c.external_ref, c) for c in Customer.objects.filter(external_ref__in=chunk)
            )
        self.customers_by_ref = {}
        planned = []
        for ref, row in firsts.items():
            customer = existing.get(ref) or self.traced(Customer(), row.line)
            changes = _assign(customer, CUSTOMER_FIELDS, row.values, self.now)
            self.customers_by_ref[ref] = customer
            if customer.pk is None or changes:
                planned.append((customer, changes))
        return planned

    def plan_accounts(
        self, rows: list[_Parsed], existing: Mapping[str, Account]
    ) -> list[tuple[Account, dict[str, list]]]:
        firsts: dict[str, _Parsed] = {}
        for row in rows:
            firsts.setdefault(row.values["account_number"], row)
        planned = []
        for number, row in firsts.items():
            account = existing.get(number) or self.traced(Account(), row.line)
            on_plan = account.pk is not None and account.stage == PLAN_STAGE
            managed = [
                m for m in ACCOUNT_FIELDS if not (on_plan and m.field in PLAN_MEASURED_FIELDS)
            ]
            changes = _assign(account, managed, row.values, self.now)
            code = row.values.get("team")
            if code:
                team_id = self.context.teams[code].pk
            elif account.pk is not None:
                team_id = account.team_id
            else:
                team_id = self.auto_teams[row.values["jurisdiction"]]
            if account.team_id != team_id:
                changes["team"] = [account.team_id if account.pk else None, team_id]
                if account.pk is not None and account.assigned_to_id is not None:
                    changes["assigned_to"] = [account.assigned_to_id, None]
                account.team_id = team_id
                account.assigned_to_id = None
            account._import_ref = row.values["external_ref"]
            if account.pk is None or changes:
                planned.append((account, changes))
        return planned

    def plan_write_offs(self, new_accounts: list[Account]) -> list[WriteOff]:
        """The applied policy write-offs of the new accounts already past their write-off
        policy's days past due, as tonight's ``write_off`` step would make them; each account
        gets its charge-off date (see ``PostgresEngine.plan_write_offs``)."""
        if not new_accounts_charged_off():
            return []
        policies = WriteOffPolicy.in_force()
        planned = []
        for account in new_accounts:
            jurisdiction = self.customers_by_ref[account._import_ref].jurisdiction
            policy = policy_for(policies, jurisdiction, account.product)
            if (
                policy is None
                or account.total_balance <= 0
                or not charge_off_due(account.delinquent_since, self.as_of, policy.days_past_due)
            ):
                continue
            account.charge_off_date = self.as_of
            write_off = policy_write_off(account, policy, as_of=self.as_of, now=self.now)
            write_off.import_batch = self.batch
            write_off.import_row = account.import_row
            planned.append(write_off)
        return planned

    def traced(self, instance: _Traced, line: int) -> _Traced:
        """A new record carries its batch and file line instead of an audit entry
        (``accounts.models.import_trail_fields``)."""
        instance.import_batch = self.batch
        instance.import_row = line
        return instance

    def create_contact_points(self, rows: list[_Parsed], by_ref: Mapping[str, Customer]) -> set:
        """The file's phones and emails the customer does not have yet; returns the existing
        customers that got one (their other accounts' risk may change)."""
        wanted: dict[tuple[int, str, str], tuple[str, int]] = {}
        for row in rows:
            customer_id = by_ref[row.values["external_ref"]].pk
            phone = row.values.get("phone")
            if phone:
                key = (customer_id, ContactPoint.Kind.PHONE, phone[0])
                wanted.setdefault(key, (phone[1], row.line))
            email = row.values.get("email")
            if email:
                wanted.setdefault((customer_id, ContactPoint.Kind.EMAIL, email), ("", row.line))
        customer_ids = sorted({key[0] for key in wanted})
        have: set[tuple[int, str, str]] = set()
        for chunk in chunks(customer_ids, 900):
            have.update(
                ContactPoint.objects.filter(customer_id__in=chunk).values_list(
                    "customer_id", "kind", "value"
                )
            )
        kinds_had = {(c, k) for c, k, _ in have}
        points = []
        for (customer_id, kind, value), (region, line) in wanted.items():
            if (customer_id, kind, value) in have:
                continue
            primary = (customer_id, kind) not in kinds_had
            kinds_had.add((customer_id, kind))
            point = ContactPoint(
                customer_id=customer_id,
                kind=kind,
                value=value,
                region=region,
                phone_time_zones=ContactPoint.zones_of(kind, value),  # bulk_create skips save
                label=ContactPoint.Label.MOBILE,
                is_primary=primary,
            )
            points.append(self.traced(point, line))
        ContactPoint.objects.bulk_create(points, batch_size=500)
        self.result.contact_points_created = len(points)
        new_customers = {c.pk for c in by_ref.values() if c._import_created}
        # A point added to an existing customer changes that customer: audited as before.
        self.added_points = [p for p in points if p.customer_id not in new_customers]
        return {p.customer_id for p in self.added_points}

    def open_first_stays(self, accounts: list[Account]) -> None:
        buckets = delinquency.configured_buckets()
        stays = []
        for account in accounts:
            dpd = delinquency.days_past_due(account.delinquent_since, self.as_of)
            stays.append(
                BucketHistory(
                    account_id=account.pk,
                    bucket=delinquency.bucket_for(dpd, buckets).code,
                    entered_on=self.as_of,
                    entry_balance=account.total_balance,
                    entry_days_past_due=dpd,
                )
            )
        BucketHistory.objects.bulk_create(stays, batch_size=500)

    def write_audit(self, customers: list, accounts: list) -> None:
        """An UPDATE entry per changed customer and account and a CREATE entry per contact
        point added to an existing customer; what the batch created has none (its trail is
        the batch and line it carries)."""
        entries = []
        for model, planned in ((Customer, customers), (Account, accounts)):
            content_type = ContentType.objects.get_for_model(model)
            for instance, changes in planned:
                if instance._import_created:
                    continue
                entries.append(
                    LogEntry(
                        content_type=content_type,
                        object_pk=str(instance.pk),
                        object_id=instance.pk,
                        object_repr=str(instance),
                        action=LogEntry.Action.UPDATE,
                        changes=changes,
                        changes_text="",
                        actor=None,
                        timestamp=self.now,
                        additional_data=self.additional_data,
                    )
                )
        points_type = ContentType.objects.get_for_model(ContactPoint)
        for point in getattr(self, "added_points", []):
            changes = {}
            for name in CONTACT_POINT_AUDIT_FIELDS:
                field = ContactPoint._meta.get_field(name)
                value = getattr(point, field.attname)
                if field.many_to_one:  # ids stay numbers, as auditlog writes them
                    changes[name] = [None, value]
                    continue
                old, new = "None", audit_text(value)
                if name in AUDIT_MASKED:  # auditlog masks both sides
                    old, new = mask_str(old), mask_str(new)
                changes[name] = [old, new]
            entries.append(
                LogEntry(
                    content_type=points_type,
                    object_pk=str(point.pk),
                    object_id=point.pk,
                    object_repr=f"{point.get_kind_display()} #{point.pk}",
                    action=LogEntry.Action.CREATE,
                    changes=changes,
                    changes_text="",
                    actor=None,
                    timestamp=self.now,
                    additional_data=self.additional_data,
                )
            )
        LogEntry.objects.bulk_create(entries, batch_size=500)


@dataclass
class _Parsed:
    line: int
    raw: Row
    values: dict[str, Any]
    ok: bool

    def signature(self, columns: Iterable[str]) -> tuple[str | None, ...]:
        return tuple(self.raw.get(name) for name in columns)


def _assign(
    instance: models.Model, managed: Iterable[Managed], values: Mapping[str, Any], now: datetime
) -> dict[str, list]:
    """Set the file's values on ``instance``; return auditlog-style {field: [old, new]}."""
    created = instance.pk is None
    instance._import_created = created
    changes: dict[str, list] = {}
    for spec in managed:
        new = values.get(spec.column)
        old = None if created else getattr(instance, spec.field)
        if new is None and spec.keep:
            if not created:
                continue
            new = instance._meta.get_field(spec.field).get_default()
        if new is None and spec.blank_value is not None:
            new = spec.blank_value
        if not created and old == new:
            continue
        old_text, new_text = audit_text(old), audit_text(new)
        if old_text != new_text:
            if spec.field in AUDIT_MASKED:
                old_text, new_text = mask_str(old_text), mask_str(new_text)
            changes[spec.field] = [old_text, new_text]
        setattr(instance, spec.field, new)
    if changes and not created:
        instance.updated_at = now
    return changes
