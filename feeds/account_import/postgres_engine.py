# ruff: noqa: S608 -- SQL here is generated from the column spec and model metadata (identifiers
# only); every value from the file or the command line is a bound parameter or stays in the
# staging table.
"""The PostgreSQL engine: COPY into a staging table, then set-based SQL generated from the spec.

The file is streamed with COPY (``core.bulk_copy.copy_from_stream``) into a temporary staging
table and everything after that is set-based SQL generated from the spec: validation (one scan
for the per-cell rules plus one query per cross-row rule), the plan (per customer and account
the file's values, the stored ones and the id each will have — new ids are taken from the
table's sequence here), the writes (a plain ``INSERT … SELECT`` of the new records carrying
their import batch and file line, an ``UPDATE … FROM`` of the changed ones), contact points,
first bucket stays (``delinquency.annotate``, i.e. ``bucket_case``), audit rows for the changes
(``INSERT … SELECT`` building ``changes`` from the staged old and new values), the specialist
assignment (the same greedy least-loaded picks as ``services.accounts_assign_unassigned``,
computed in SQL and written with the insert) and the risk tier (``risk_sql``, a port of
``accounts.risk.score`` over ``accounts.risk.risk_inputs``, also written with the insert;
test_import_accounts checks it against ``workspace.risk_refresh.accounts_risk_refresh``).

What the import creates gets no audit entry: its trail is the ``ImportBatch`` (who, when, the
file's SHA-256) and the batch and line each new customer, account and contact point carries
(``accounts.models.import_trail_fields``). Changes to existing customers and accounts, and a
contact point added to an existing customer, are audited entry by entry as before.

Differences from the portable engine: phones are checked with a cheap SQL pattern (NANP
numbers for US, mobile/landline shapes for CN, generic E.164 otherwise) instead of
``phonenumbers`` — parsing a million numbers in Python costs about a minute — so an odd number
that ``phonenumbers`` rejects (e.g. a 555 area code) can pass here; the contact point's region is
the jurisdiction when the number's country code matches it, else empty. A row with the wrong
number of fields or bad UTF-8 stops COPY, so only the first such row is reported, with
PostgreSQL's physical line number.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import DataError, connection, models, transaction
from django.db.models import F

from accounts import delinquency, masking, risk, services
from accounts.models import (
    OPEN_STAGES,
    Account,
    BucketHistory,
    ContactPoint,
    Customer,
    Jurisdiction,
    Team,
    contactable_sql,
)
from accounts.signals import accounts_reassigned_send
from core.bulk_copy import copy_from_stream
from feeds.account_import.engine import Engine
from feeds.account_import.spec import (
    ACCOUNT_COLUMNS,
    ACCOUNT_FIELDS,
    AUDIT_MASKED,
    BY_NAME,
    COLUMNS,
    CONTACT_POINT_AUDIT_FIELDS,
    CUSTOMER_COLUMNS,
    CUSTOMER_FIELDS,
    PLAN_MEASURED_FIELDS,
    PLAN_STAGE,
    POSITION,
    REQUIRED_MESSAGE,
    Managed,
    RowError,
    SqlCols,
    known_time_zone,
    msg_duplicate_account,
    msg_duplicate_customer,
    msg_no_team,
    msg_other_customer,
    phone_region_sql,
    sql_literal,
    staging_column,
)
from plans.models import WriteOff, WriteOffKind, WriteOffPolicy, WriteOffStatus
from plans.services.writeoff import POLICY_REASON, charge_off_due_sql, new_accounts_charged_off
from workspace.nightly import new_account_priority_sql


def _table(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _insert_sql(
    model: type[models.Model], provided: Mapping[str, str], params: dict[str, Any], prefix: str
) -> tuple[str, str]:
    """(column list, SELECT list) for an INSERT of ``model``: the provided SQL for the named
    fields, the model default (as a bound parameter) or NULL for every other column."""
    names, values = [], []
    for model_field in model._meta.concrete_fields:
        if model_field.primary_key:
            continue
        names.append(connection.ops.quote_name(model_field.column))
        if model_field.name in provided:
            values.append(provided[model_field.name])
            continue
        if getattr(model_field, "auto_now", False) or getattr(model_field, "auto_now_add", False):
            values.append("%(now)s")
            continue
        default = model_field.get_default()
        if default is None:
            values.append("NULL")
            continue
        key = f"{prefix}_{model_field.column}"
        params[key] = model_field.get_db_prep_save(default, connection)
        values.append(f"CAST(%({key})s AS {model_field.db_type(connection)})")
    return ", ".join(names), ", ".join(values)


def _audit_json_value(model: type[models.Model], name: str, expr: str) -> str:
    """SQL for the JSON text auditlog stores for one side of a change (strings; ids for FKs).

    Built as text and parsed once: jsonb_build_* per field costs about twice as much."""
    model_field = model._meta.get_field(name)
    if model_field.many_to_one:
        return f"COALESCE(({expr})::text, 'null')"
    if isinstance(model_field, models.DateField):  # digits and dashes: nothing to escape
        return f"'\"' || COALESCE(to_char({expr}, 'YYYY-MM-DD'), 'None') || '\"'"
    if isinstance(model_field, models.DecimalField):
        return f"'\"' || COALESCE(({expr})::text, 'None') || '\"'"
    text_expr = f"COALESCE({expr}, 'None')"
    if name in AUDIT_MASKED:  # auditlog.diff.mask_str
        text_expr = (
            f"repeat('*', length({text_expr}) / 2) "
            f"|| substr({text_expr}, length({text_expr}) / 2 + 1)"
        )
    return f"to_json({text_expr})::text"


def _audit_changes_sql(model: type[models.Model], names: Iterable[str]) -> str:
    """jsonb {field: [old, new]} of the fields whose old (``o_``) and final (``f_``) differ."""
    pairs = []
    for name in names:
        old, new = f"s.o_{name}", f"s.f_{name}"
        pairs.append(
            f"CASE WHEN {old} IS DISTINCT FROM {new} THEN '\"{name}\": [' || "
            f"{_audit_json_value(model, name, old)} || ', ' || "
            f"{_audit_json_value(model, name, new)} || ']' END"
        )
    return f"('{{' || concat_ws(', ', {', '.join(pairs)}) || '}}')::jsonb"


def risk_sql(
    dpd: str, balance: str, currency: str, paid: str, contactable: str, hardship: str
) -> str:
    """A LATERAL subquery ``rk`` (score, tier, factors) equal to ``risk.score`` over
    ``risk.risk_inputs`` (no promises or plans yet): ``risk.score_sql``, the one SQL form."""
    return risk.score_sql(
        dpd=dpd,
        balance=balance,
        currency=currency,
        payments=f"CASE WHEN COALESCE({paid}, false) THEN 1 ELSE 0 END",
        contactable=contactable,
        hardship=hardship,
    )


def _dpd_sql(delinquent_since: str) -> str:
    return (
        f"CASE WHEN {delinquent_since} IS NULL OR {delinquent_since} >= %(as_of)s THEN 0 "
        f"ELSE %(as_of)s - {delinquent_since} END"
    )


class PostgresEngine(Engine):
    """COPY into a temp table, validate and upsert with set-based SQL (see module docstring)."""

    TEMP_TABLES = (
        "imp_raw",
        "imp_cust",
        "imp_acct",
        "imp_cp_src",
        "imp_cp_w",
        "imp_contactable",
        "imp_assign",
        "imp_wo",
    )

    def run(self) -> None:
        self.cols = SqlCols(self.header)
        self.params: dict[str, Any] = {
            "team_opt": self.team_code,
            "now": self.now,
            "as_of": self.as_of,
        }
        with connection.cursor() as cursor:
            self.cursor = cursor
            # Big sorts and hashes in memory; JIT compiles each statement for about a second
            # and does not pay that back here.
            cursor.execute("SET LOCAL work_mem = '256MB'")
            cursor.execute("SET LOCAL jit = off")
            self.drop_temp_tables()
            errors = self.copy()
            self.timer.lap("copy")
            if not errors:
                errors = self.validate()
                self.timer.lap("validate")
            if errors:
                self.reject(errors)
            else:
                self.apply()
            self.drop_temp_tables()

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> None:
        self.cursor.execute(sql, {**self.params, **(params or {})})

    def fetchall(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple]:
        self.execute(sql, params)
        return self.cursor.fetchall()

    def drop_temp_tables(self) -> None:
        self.cursor.execute("DROP VIEW IF EXISTS imp_rows")
        self.cursor.execute("DROP TABLE IF EXISTS " + ", ".join(self.TEMP_TABLES))

    def temp_table(
        self,
        name: str,
        select: str,
        params: Mapping[str, Any] | None = None,
        analyze: Iterable[str] = (),
    ) -> None:
        """``CREATE TEMP TABLE name AS select``, then ANALYZE (autovacuum never analyzes temp
        tables) of the ``analyze`` columns only: the keys and flags later statements join and
        filter on (statistics of every wide column cost more than they help)."""
        self.execute(f"CREATE TEMP TABLE {name} ON COMMIT DROP AS {select}", params)
        columns = ", ".join(analyze)
        self.execute(f"ANALYZE {name} ({columns})" if columns else f"ANALYZE {name}")

    def copy(self) -> list[RowError]:
        columns = ", ".join(f"{staging_column(n)} text" for n in self.header)
        self.cursor.execute(
            "CREATE TEMP TABLE imp_raw (line bigint GENERATED ALWAYS AS IDENTITY, "
            f"{columns}) ON COMMIT DROP"
        )
        target = ", ".join(staging_column(n) for n in self.header)
        sql = f"COPY imp_raw ({target}) FROM STDIN WITH (FORMAT csv, HEADER true, ENCODING 'UTF8')"
        try:
            with transaction.atomic():  # a savepoint, so the error leaves the transaction usable
                copy_from_stream(self.cursor, sql, self.reader, size=1 << 20)
        except DataError as exc:  # wrong field count, bad encoding, …
            diag = getattr(exc.__cause__, "diag", None)  # psycopg2's error
            where = re.search(r"line (\d+)", (getattr(diag, "context", None) or ""))
            line = int(where.group(1)) if where else 0
            self.result.rows = max(line - 1, 0)
            message = getattr(diag, "message_primary", None) or str(exc).strip()
            return [RowError(line, -1, "row", message)]
        keys = [staging_column(n) for n in ("external_ref", "account_number") if n in self.header]
        self.cursor.execute(f"ANALYZE imp_raw ({', '.join(keys)})" if keys else "ANALYZE imp_raw")
        self.cursor.execute(self.cols.view_sql())
        self.result.rows = self.fetchall("SELECT count(*) FROM imp_raw")[0][0]
        return []

    # -- validation --
    def validate(self) -> list[RowError]:
        cols = self.cols
        self.params["bad_time_zones"] = [
            value
            for (value,) in self.fetchall(f"SELECT DISTINCT {cols('time_zone')} FROM imp_rows r")
            if value is not None and not known_time_zone(value)
        ]
        rules: list[tuple[int, str, str]] = []  # (position, field, message) by rule number
        cases = []
        for position, column in enumerate(COLUMNS):
            if column.name not in self.header and not (column.name == "team" and self.team_code):
                continue
            v = cols(column.name)
            if column.blank:
                whens = [f"WHEN {v} IS NULL THEN NULL::int"]
            else:
                rules.append((position, column.name, REQUIRED_MESSAGE))
                whens = [f"WHEN {v} IS NULL THEN {len(rules) - 1}"]
            for check in column.checks:
                rules.append((position, column.name, check.message))
                whens.append(f"WHEN {check.sql(v, cols)} THEN {len(rules) - 1}")
            cases.append(f"CASE {' '.join(whens)} END")
        errors = [
            RowError(line, *rules[number])
            for line, numbers in self.fetchall(
                f"SELECT line + 1, errs FROM (SELECT r.line, ARRAY[{', '.join(cases)}] AS errs "
                f"FROM imp_rows r {self.team_join()} OFFSET 0) s "
                "WHERE num_nonnulls(VARIADIC errs) > 0"
            )
            for number in numbers
            if number is not None
        ]
        errors += self.duplicate_errors("account_number", ACCOUNT_COLUMNS, msg_duplicate_account)
        errors += self.duplicate_errors("external_ref", CUSTOMER_COLUMNS, msg_duplicate_customer)
        errors += [
            RowError(line, POSITION["account_number"], "account_number", msg_other_customer(ref))
            for line, ref in self.fetchall(
                f"SELECT r.line + 1, c.external_ref FROM imp_rows r "
                f"JOIN {_table(Account)} a ON a.number = {cols('account_number')} "
                f"JOIN {_table(Customer)} c ON c.id = a.customer_id "
                f"WHERE c.external_ref <> {cols('external_ref')}"
            )
        ]
        without_team = [j for j in Jurisdiction.values if j not in self.auto_teams]
        if without_team:
            errors += [
                RowError(line, POSITION["team"], "team", msg_no_team(jurisdiction))
                for line, jurisdiction in self.fetchall(
                    f"SELECT r.line + 1, {cols('jurisdiction')} FROM imp_rows r "
                    f"WHERE {cols('jurisdiction')} = ANY(%(no_team)s::text[]) "
                    f"AND {cols('team')} IS NULL AND {cols('account_number')} IS NOT NULL "
                    f"AND NOT EXISTS (SELECT 1 FROM {_table(Account)} a "
                    f"WHERE a.number = {cols('account_number')})",
                    {"no_team": without_team},
                )
            ]
        return errors

    def team_join(self) -> str:
        return f"LEFT JOIN {_table(Team)} t ON t.code = {self.cols('team')} AND t.is_active"

    def duplicate_errors(
        self, key: str, columns: Iterable[str], message: Callable[[int], str]
    ) -> list[RowError]:
        """Rows repeating ``key`` whose ``columns`` differ from the key's first row."""
        cols = self.cols
        signature = (
            "md5(concat_ws(chr(31), "
            + ", ".join(f"COALESCE({cols(c)}, '')" for c in columns)
            + "))"
        )
        rows = self.fetchall(
            f"WITH d AS (SELECT {cols(key)} AS k FROM imp_rows r WHERE {cols(key)} IS NOT NULL "
            "GROUP BY 1 HAVING count(*) > 1), "
            f"x AS (SELECT r.line, d.k, {signature} AS sig FROM imp_rows r "
            f"JOIN d ON d.k = {cols(key)}), "
            "y AS (SELECT line, sig, first_value(line) OVER w AS first_line, "
            "first_value(sig) OVER w AS first_sig FROM x "
            "WINDOW w AS (PARTITION BY k ORDER BY line)) "
            "SELECT line + 1, first_line + 1 FROM y WHERE sig <> first_sig"
        )
        return [RowError(line, POSITION[key], key, message(first)) for line, first in rows]

    # -- plan --
    def typed(self, column: str) -> str:
        spec = BY_NAME[column]
        return spec.to_sql(self.cols(column), self.cols)

    def plan_table(
        self,
        name: str,
        model: type[models.Model],
        key_field: str,
        key_column: str,
        managed: Iterable[Managed],
        extra_select: str = "",
        extra_join: str = "",
        extra_final: Mapping[str, str] | None = None,
        extra_old: Iterable[str] = (),
        carry: Iterable[str] = (),
    ) -> None:
        """Temp table ``name``: per key the file's final values (``f_``), the stored ones
        (``o_``), the stored ``id`` (NULL for a new record), the id it will have (``nid``: the
        stored one, or the next of the table's sequence, taken here so that every later
        statement joins on it instead of on what an ``INSERT … RETURNING`` gave back), the
        file line it comes from (``line``, its first row) and whether anything differs
        (``changed``)."""
        quote = connection.ops.quote_name

        def column(field_name: str) -> str:
            return quote(model._meta.get_field(field_name).column)

        managed = list(managed)
        new = [f"{self.typed(m.column)} AS n_{m.field}" for m in managed]
        old = [f"o.{column(n)} AS o_{n}" for n in [m.field for m in managed] + list(extra_old)]
        final = {}
        for m in managed:
            expr = f"s.n_{m.field}"
            if m.keep:
                default = model._meta.get_field(m.field).get_default()
                tail = sql_literal(default) if isinstance(default, str) else "NULL"
                expr = f"COALESCE({expr}, o.{column(m.field)}, {tail})"
            elif m.blank_value is not None:
                expr = f"COALESCE({expr}, {sql_literal(m.blank_value)})"
            final[m.field] = expr
        final.update(extra_final or {})
        finals = [f"{expr} AS f_{n}" for n, expr in final.items()]
        compare_new = ", ".join(final.values())
        compare_old = ", ".join(f"o.{column(n)}" for n in final)
        self.temp_table(
            name,
            f"SELECT s.k, {''.join(f's.{c}, ' for c in carry)}o.id, "
            f"COALESCE(o.id, nextval({sql_literal(self.sequence(model))}::regclass)) "
            f"AS nid, s.line, {', '.join(old)}, {', '.join(finals)}, "
            f"(o.id IS NOT NULL AND ({compare_new}) IS DISTINCT FROM ({compare_old})) AS changed "
            f"FROM (SELECT DISTINCT ON (1) {self.cols(key_column)} AS k, r.line + 1 AS line, "
            f"{', '.join(new)}{extra_select} FROM imp_rows r {extra_join} ORDER BY 1, r.line) s "
            f"LEFT JOIN {_table(model)} o ON o.{key_field} = s.k",
            analyze=("k", *carry, "id", "changed"),
        )

    def sequence(self, model: type[models.Model]) -> str:
        """The sequence behind the table's ``id`` (an identity column's, or a serial's)."""
        ((name,),) = self.fetchall(
            "SELECT pg_get_serial_sequence(%(t)s, 'id')", {"t": _table(model)}
        )
        return name

    def lock_existing(self) -> None:
        """Lock the stored rows the file touches, so the old values we audit stay true."""
        cols = self.cols
        self.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM {_table(Customer)} c WHERE c.external_ref IN "
            f"(SELECT {cols('external_ref')} FROM imp_rows r) FOR NO KEY UPDATE) x"
        )
        self.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM {_table(Account)} a WHERE a.number IN "
            f"(SELECT {cols('account_number')} FROM imp_rows r) FOR NO KEY UPDATE) x"
        )

    def plan_contact_points(self) -> None:
        """The file's contact points, and which customers will be contactable afterwards."""
        cols = self.cols
        phone = self.typed("phone")
        self.temp_table(
            "imp_cp_src",
            f"SELECT ref, kind, value, {phone_region_sql('value', 'jur')} AS region, "
            "min(line) AS line FROM ("
            f"SELECT {cols('external_ref')} AS ref, 'phone'::text AS kind, {phone} AS value, "
            f"{cols('jurisdiction')} AS jur, r.line FROM imp_rows r "
            f"WHERE {cols('phone')} IS NOT NULL UNION ALL "
            f"SELECT {cols('external_ref')}, 'email', {self.typed('email')}, '', r.line "
            f"FROM imp_rows r WHERE {cols('email')} IS NOT NULL) u GROUP BY ref, kind, value, jur",
            analyze=("ref", "kind", "value"),
        )
        table = _table(ContactPoint)
        self.temp_table(
            "imp_contactable",
            # A new customer with a point in the file; an existing one with a contactable
            # stored point or a point in the file it does not have yet.
            "SELECT c.k AS ref FROM imp_cust c WHERE c.id IS NULL "
            "AND c.k IN (SELECT ref FROM imp_cp_src) "
            "UNION ALL SELECT c.k FROM imp_cust c WHERE c.id IS NOT NULL AND (EXISTS (SELECT 1 "
            f"FROM {table} x WHERE x.customer_id = c.id AND {contactable_sql('x')}) "
            "OR EXISTS (SELECT 1 FROM imp_cp_src s WHERE s.ref = c.k AND NOT EXISTS (SELECT 1 "
            f"FROM {table} x WHERE x.customer_id = c.id AND x.kind = s.kind "
            "AND x.value = s.value)))",
            analyze=("ref",),
        )

    def plan_write_offs(self) -> None:
        """``imp_wo`` (nid, policy): the new accounts the write-off policy charges off on the
        import's date, as tonight's ``write_off`` step would (``plans.services.writeoff``).
        Charged off here, in the account's own INSERT, the first night after a large load of
        old debt does not rewrite half the portfolio to charge it off (about 300 µs an
        account). An existing account is left to the nightly step, as any account the feed
        updates."""
        policies = WriteOffPolicy.in_force() if new_accounts_charged_off() else []
        self.params.update(
            wo_jurisdiction=[p.jurisdiction for p in policies],
            wo_product=[p.product for p in policies],
            wo_days=[p.days_past_due for p in policies],
            wo_policy=[p.pk for p in policies],
        )
        due = charge_off_due_sql("s.f_delinquent_since", "p.days", "%(as_of)s::date")
        self.temp_table(
            "imp_wo",
            "SELECT s.nid, p.pol AS policy FROM imp_acct s "
            "JOIN unnest(%(wo_jurisdiction)s::text[], %(wo_product)s::text[], "
            "%(wo_days)s::int[], %(wo_policy)s::bigint[]) AS p(jurisdiction, product, days, pol) "
            "ON p.jurisdiction = s.jur AND p.product = s.f_product "
            f"WHERE s.id IS NULL AND {due} "
            "AND s.f_principal_balance + s.f_interest_balance + s.f_fee_balance > 0",
            analyze=("nid",),
        )

    def plan_assignment(self) -> None:
        """Assign new and moved accounts like ``services.accounts_assign_unassigned`` (greedy
        least-loaded), set-based: specialist u's k-th new account gets key (load + k, u), and
        the team's accounts take the smallest keys in order — the same picks as its heap."""
        # Only open accounts are worked (and counted in a specialist's load).
        self.params["open_stages"] = [str(stage) for stage in OPEN_STAGES]
        needs = (
            "(id IS NULL OR (f_team IS DISTINCT FROM o_team "
            "AND o_stage = ANY(%(open_stages)s::text[])))"
        )
        team_ids = [
            t for (t,) in self.fetchall(f"SELECT DISTINCT f_team FROM imp_acct WHERE {needs}")
        ]
        loads = [
            (team.pk, user_id, load)
            for team in Team.objects.filter(pk__in=team_ids)
            for user_id, load in services.specialists_by_load(team)
        ]
        self.temp_table(
            "imp_assign",
            "WITH need AS (SELECT k, f_team AS team_id, row_number() OVER (PARTITION BY f_team "
            f"ORDER BY k) AS n FROM imp_acct WHERE {needs}), "
            "spec AS (SELECT * FROM unnest(%(sp_team)s::bigint[], %(sp_user)s::bigint[], "
            "%(sp_load)s::bigint[]) AS s(team_id, user_id, load)), "
            "sizes AS (SELECT team_id, count(*) AS n FROM need GROUP BY 1), "
            "bounds AS (SELECT s.team_id, ceil(z.n::numeric / count(*))::bigint "
            "+ max(s.load) - min(s.load) AS kmax FROM spec s JOIN sizes z USING (team_id) "
            "GROUP BY s.team_id, z.n), "
            "slots AS (SELECT s.team_id, s.user_id, row_number() OVER (PARTITION BY s.team_id "
            "ORDER BY s.load + g.k, s.user_id) AS n FROM spec s JOIN bounds b USING (team_id) "
            "CROSS JOIN LATERAL generate_series(0, b.kmax) AS g(k)) "
            "SELECT need.k, slots.user_id FROM need JOIN slots USING (team_id, n)",
            {
                "sp_team": [t for t, _, _ in loads],
                "sp_user": [u for _, u, _ in loads],
                "sp_load": [n for _, _, n in loads],
            },
            analyze=("k",),
        )

    def apply(self) -> None:
        cols = self.cols
        self.lock_existing()
        self.plan_table("imp_cust", Customer, "external_ref", "external_ref", CUSTOMER_FIELDS)
        auto = sorted(self.auto_teams.items())
        self.params["auto_jurisdictions"] = [j for j, _ in auto]
        self.params["auto_teams"] = [t for _, t in auto]
        self.plan_table(
            "imp_acct",
            Account,
            "number",
            "account_number",
            ACCOUNT_FIELDS,
            extra_select=f", {cols('external_ref')} AS ref, {cols('jurisdiction')} AS jur, "
            "t.id AS explicit_team, at.team_id AS auto_team",
            extra_join=self.team_join() + " LEFT JOIN unnest(%(auto_jurisdictions)s::text[], "
            "%(auto_teams)s::bigint[]) AS at(jurisdiction, team_id) "
            f"ON at.jurisdiction = {cols('jurisdiction')}",
            extra_final={
                "team": "COALESCE(s.explicit_team, o.team_id, s.auto_team)",
                **{
                    field: f"CASE WHEN o.stage = {sql_literal(PLAN_STAGE)} THEN o.{field} "
                    f"ELSE s.n_{field} END"
                    for field in PLAN_MEASURED_FIELDS
                },
            },
            extra_old=("team", "assigned_to", "customer", "hardship_declared_at", "stage"),
            # The customer's jurisdiction: every row of a customer gives the same (validated).
            carry=("ref", "jur"),
        )
        self.plan_write_offs()
        result = self.result
        (
            result.customers_created,
            result.customers_updated,
            result.accounts_created,
            result.accounts_updated,
            result.accounts_charged_off,
        ) = self.fetchall(
            "SELECT (SELECT count(*) FROM imp_cust WHERE id IS NULL), "
            "(SELECT count(*) FROM imp_cust WHERE changed), "
            "(SELECT count(*) FROM imp_acct WHERE id IS NULL), "
            "(SELECT count(*) FROM imp_acct WHERE changed), "
            "(SELECT count(*) FROM imp_wo)"
        )[0]
        if result.dry_run:
            return
        self.params["batch"] = self.batch.pk if self.batch else None
        self.plan_contact_points()
        self.plan_assignment()
        self.timer.lap("plan")
        self.insert_customers()
        self.update_customers()
        self.insert_accounts()
        self.insert_write_offs()
        self.update_accounts()
        self.timer.lap("upsert")
        self.create_contact_points()
        self.refresh_risk_of_newly_contactable()
        self.timer.lap("contacts")
        self.open_first_stays()
        self.timer.lap("history")
        self.write_audit()
        self.timer.lap("audit")
        team_ids = {
            t
            for (t,) in self.fetchall(
                "SELECT DISTINCT f_team FROM imp_acct "
                "WHERE id IS NULL OR (changed AND f_team IS DISTINCT FROM o_team)"
            )
        }
        # Accounts that moved team got a specialist of their new team in the update: what
        # follows an account (its open callbacks) moves too.
        accounts_reassigned_send(
            i
            for (i,) in self.fetchall(
                "SELECT id FROM imp_acct WHERE changed AND f_team IS DISTINCT FROM o_team"
            )
        )
        # Risk is already set by the insert and update; the service picks up any other
        # unassigned account of the touched teams (normally none).
        self.after_write(team_ids, [], created_ids=[])  # risk and priority in the INSERT

    # -- write --
    # New records are plain INSERTs with the ids taken in the plan (``nid``) and changed ones
    # plain UPDATEs of the rows locked by ``lock_existing``: no ``ON CONFLICT`` (its speculative
    # insertion costs an extra index probe per row) and no ``RETURNING`` table to join back by
    # key. A record another session creates with the same key meanwhile makes the INSERT fail
    # (unique violation): the import then fails with nothing applied, its batch says so, and
    # a rerun sees that record as existing.
    # Each new record carries its batch and file line (``accounts.models.import_trail_fields``).

    def insert_customers(self) -> None:
        provided = {m.field: f"s.f_{m.field}" for m in CUSTOMER_FIELDS}
        provided.update(self.trail())
        names, values = _insert_sql(Customer, provided, self.params, "cust")
        self.execute(
            f"INSERT INTO {_table(Customer)} (id, {names}) SELECT s.nid, {values} "
            "FROM imp_cust s WHERE s.id IS NULL ORDER BY s.nid"
        )

    def update_customers(self) -> None:
        quote = connection.ops.quote_name
        fields = [
            (quote(Customer._meta.get_field(m.field).column), f"s.f_{m.field}")
            for m in CUSTOMER_FIELDS
        ]
        self.execute(
            f"UPDATE {_table(Customer)} o SET "
            + ", ".join(f"{column} = {value}" for column, value in fields)
            + ", updated_at = %(now)s FROM imp_cust s WHERE o.id = s.id AND s.changed"
        )

    @staticmethod
    def trail() -> dict[str, str]:
        return {"import_batch": "%(batch)s", "import_row": "s.line"}

    def account_risk(self) -> str:
        return risk_sql(
            _dpd_sql("s.f_delinquent_since"),
            "s.f_principal_balance + s.f_interest_balance + s.f_fee_balance",
            "s.f_currency",
            "s.f_last_payment_date >= %(as_of)s - 90",
            "ct.ref IS NOT NULL",
            "s.o_hardship_declared_at IS NOT NULL",
        )

    def insert_accounts(self) -> None:
        """New accounts with their team, specialist, risk and queue priority in one statement."""
        provided = {m.field: f"s.f_{m.field}" for m in ACCOUNT_FIELDS}
        provided.update(
            {
                "team": "s.f_team",
                "customer": "c.nid",
                "assigned_to": "asg.user_id",
                "risk_score": "rk.score",
                "risk_tier": "rk.tier",
                "risk_factors": "rk.factors",
                "risk_scored_at": "%(now)s",
                # What tonight's queue step would store: the first night after a large load
                # then rewrites only what the date changes.
                "queue_priority": new_account_priority_sql(
                    tier="rk.tier",
                    delinquent_since="s.f_delinquent_since",
                    stage=sql_literal(Account._meta.get_field("stage").get_default()),
                ),
                "charge_off_date": "CASE WHEN wo.nid IS NOT NULL THEN %(as_of)s::date END",
                **self.trail(),
            }
        )
        names, values = _insert_sql(Account, provided, self.params, "acct")
        self.execute(
            f"INSERT INTO {_table(Account)} (id, {names}) SELECT s.nid, {values} "
            # In id order for the indexes: sorted before the joins (hash joins probing with
            # these rows keep their order), where the rows are narrow; a sort of the finished
            # rows (risk factors and all) spills to disk for a million accounts.
            "FROM (SELECT * FROM imp_acct WHERE id IS NULL ORDER BY nid) s "
            "JOIN imp_cust c ON c.k = s.ref "
            "LEFT JOIN imp_contactable ct ON ct.ref = s.ref "
            "LEFT JOIN imp_wo wo ON wo.nid = s.nid "
            f"LEFT JOIN imp_assign asg ON asg.k = s.k CROSS JOIN {self.account_risk()} "
        )

    def insert_write_offs(self) -> None:
        """The applied policy write-off of each account ``imp_wo`` charges off, measured from
        the file's balances (what the account owes), carrying the batch and line."""
        owed = "s.f_principal_balance + s.f_interest_balance + s.f_fee_balance"
        provided = {
            "account": "wo.nid",
            "kind": sql_literal(WriteOffKind.POLICY.value),
            "status": sql_literal(WriteOffStatus.APPLIED.value),
            "reason": sql_literal(POLICY_REASON),
            "currency": "s.f_currency",
            "principal": "s.f_principal_balance",
            "interest": "s.f_interest_balance",
            "fees": "s.f_fee_balance",
            "total": owed,
            "days_past_due": _dpd_sql("s.f_delinquent_since"),
            "charge_off_date": "%(as_of)s::date",
            "policy": "wo.policy",
            "proposed_at": "%(now)s",
            "decided_at": "%(now)s",
            **self.trail(),
        }
        names, values = _insert_sql(WriteOff, provided, self.params, "wo")
        self.execute(
            f"INSERT INTO {_table(WriteOff)} ({names}) SELECT {values} "
            "FROM imp_wo wo JOIN imp_acct s ON s.nid = wo.nid ORDER BY wo.nid"
        )

    def update_accounts(self) -> None:
        """Changed accounts: the file's values, risk, and a specialist of the new team for an
        account that moved team (``imp_assign``)."""
        quote = connection.ops.quote_name
        fields = [
            (quote(Account._meta.get_field(m.field).column), f"s.f_{m.field}")
            for m in ACCOUNT_FIELDS
        ]
        fields += [
            ("team_id", "s.f_team"),
            (
                "assigned_to_id",
                "CASE WHEN s.o_team IS DISTINCT FROM s.f_team THEN asg.user_id "
                "ELSE s.o_assigned_to END",
            ),
            ("risk_score", "rk.score"),
            ("risk_tier", "rk.tier"),
            ("risk_factors", "rk.factors"),
            ("risk_scored_at", "%(now)s"),
            ("updated_at", "%(now)s"),
        ]
        self.execute(
            f"UPDATE {_table(Account)} o SET "
            + ", ".join(f"{column} = u.v{n}" for n, (column, _) in enumerate(fields))
            + " FROM (SELECT s.id, "
            + ", ".join(f"{value} AS v{n}" for n, (_, value) in enumerate(fields))
            + " FROM imp_acct s LEFT JOIN imp_contactable ct ON ct.ref = s.ref "
            f"LEFT JOIN imp_assign asg ON asg.k = s.k CROSS JOIN {self.account_risk()} "
            "WHERE s.changed) u WHERE o.id = u.id"
        )

    def create_contact_points(self) -> None:
        """The file's phones and emails that the customer does not have yet.

        A new customer's points are plain INSERTs carrying the batch and line (nobody else can
        see that customer yet, so nothing can conflict); an existing customer's go through
        ``ON CONFLICT DO NOTHING`` and into ``imp_cp_w``, for their audit entries and the
        risk of the customer's other accounts."""
        table = _table(ContactPoint)
        provided = {
            "customer": "customer_id",
            "kind": "kind",
            "value": "value",
            "region": "region",
            "label": sql_literal(ContactPoint.Label.MOBILE),
            "is_primary": "is_primary",
            "import_batch": "%(batch)s",
            "import_row": "line",
        }
        names, values = _insert_sql(ContactPoint, provided, self.params, "cp")
        self.execute(
            f"INSERT INTO {table} ({names}) SELECT {values} FROM (SELECT c.nid AS customer_id, "
            "s.kind, s.value, s.region, s.line + 1 AS line, row_number() OVER (PARTITION BY "
            "c.nid, s.kind ORDER BY s.line) = 1 AS is_primary "
            "FROM imp_cp_src s JOIN imp_cust c ON c.k = s.ref WHERE c.id IS NULL) p "
            "ORDER BY customer_id, kind, line"
        )
        created = self.cursor.rowcount
        self.execute(
            "CREATE TEMP TABLE imp_cp_w (id bigint, customer_id bigint, kind text, label text, "
            "value text, region text, is_primary boolean) ON COMMIT DROP"
        )
        self.execute(
            "WITH fresh AS (SELECT c.id AS customer_id, s.kind, s.value, s.region, "
            "s.line + 1 AS line, row_number() OVER (PARTITION BY c.id, s.kind "
            "ORDER BY s.line) AS n FROM imp_cp_src s JOIN imp_cust c ON c.k = s.ref "
            f"WHERE c.id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {table} x "
            "WHERE x.customer_id = c.id AND x.kind = s.kind AND x.value = s.value)), "
            "ranked AS (SELECT fresh.*, n = 1 AND NOT EXISTS (SELECT 1 "
            f"FROM {table} x WHERE x.customer_id = fresh.customer_id AND x.kind = fresh.kind) "
            "AS is_primary FROM fresh), "
            f"ins AS (INSERT INTO {table} ({names}) SELECT {values} FROM ranked "
            "ORDER BY customer_id, kind, line "
            "ON CONFLICT (customer_id, kind, value) DO NOTHING "
            "RETURNING id, customer_id, kind, label, value, region, is_primary) "
            "INSERT INTO imp_cp_w SELECT * FROM ins"
        )
        self.result.contact_points_created = created + self.cursor.rowcount

    def refresh_risk_of_newly_contactable(self) -> None:
        """Accounts the file did not change whose customer (an existing one) just became
        reachable."""
        table = _table(Account)
        rk = risk_sql(
            _dpd_sql("b.delinquent_since"),
            "b.principal_balance + b.interest_balance + b.fee_balance",
            "b.currency",
            "b.last_payment_date >= %(as_of)s - 90",
            f"EXISTS (SELECT 1 FROM {_table(ContactPoint)} x WHERE x.customer_id = b.customer_id "
            f"AND {contactable_sql('x')})",
            "b.hardship_declared_at IS NOT NULL",
        )
        self.execute(
            f"UPDATE {table} a SET risk_score = rk.score, risk_tier = rk.tier, "
            "risk_factors = rk.factors, risk_scored_at = %(now)s "
            f"FROM {table} b CROSS JOIN {rk} WHERE a.id = b.id "
            "AND b.customer_id IN (SELECT customer_id FROM imp_cp_w) "
            "AND b.id NOT IN (SELECT nid FROM imp_acct WHERE id IS NULL OR changed)"
        )

    def open_first_stays(self) -> None:
        """First bucket stay of each new account, by ``delinquency.annotate`` (bucket_case).

        It carries no trail of its own: it is the first stay of an account that carries its
        batch and line, opened on the batch's business date in the same transaction."""
        (first_id,) = self.fetchall("SELECT min(nid) FROM imp_acct WHERE id IS NULL")[0]
        if first_id is None:
            return
        # The accounts this batch created, as a range scan of the table's newest ids (a join
        # with the plan's ids, estimated blind, became a million index probes).
        created = Account.objects.filter(id__gte=first_id, import_batch_id=self.params["batch"])
        query = (
            delinquency.annotate(created, as_of=self.as_of)
            .annotate(balance=F("principal_balance") + F("interest_balance") + F("fee_balance"))
            .values("id", "bucket_code", "dpd", "balance")
        )
        sql, params = query.query.sql_with_params()
        quote = connection.ops.quote_name
        columns = {
            "account": "q.id",
            "bucket": "q.bucket_code",
            "entered_on": "%s",
            "entry_balance": "q.balance",
            "entry_days_past_due": "q.dpd",
        }
        names = ", ".join(quote(BucketHistory._meta.get_field(n).column) for n in columns)
        names += ", " + quote(BucketHistory._meta.get_field("exited_to").column)
        self.cursor.execute(
            f"INSERT INTO {_table(BucketHistory)} ({names}) "
            f"SELECT {', '.join(columns.values())}, '' FROM ({sql}) q ORDER BY q.id",
            (self.as_of, *params),
        )

    def write_audit(self) -> None:
        """One UPDATE entry per changed customer and account, one CREATE entry per contact
        point added to an existing customer; what the batch created has none (its trail is
        the batch and line it carries)."""
        mask = masking.MASK
        account_repr = (
            f"CASE WHEN length(s.f_number) <= 4 THEN repeat({sql_literal(mask)}, "
            "length(s.f_number)) ELSE repeat("
            f"{sql_literal(mask)}, length(s.f_number) - 4) || right(s.f_number, 4) END"
        )
        customer_fields = [m.field for m in CUSTOMER_FIELDS]
        account_fields = [m.field for m in ACCOUNT_FIELDS] + ["customer", "team", "assigned_to"]
        targets = (
            (Customer, "imp_cust", "s.f_name", customer_fields, "", ""),
            (
                Account,
                "imp_acct",
                account_repr,
                account_fields,
                ", s.o_customer AS f_customer, CASE WHEN s.f_team IS DISTINCT FROM "
                "s.o_team THEN asg.user_id ELSE s.o_assigned_to END AS f_assigned_to",
                " LEFT JOIN imp_assign asg ON asg.k = s.k",
            ),
        )
        self.params["audit_extra"] = _json(self.additional_data)
        self.write_contact_point_audit()
        for model, plan, object_repr, names, extra, join in targets:
            provided = {
                "content_type": str(ContentType.objects.get_for_model(model).pk),
                "object_pk": "s.id::text",
                "object_id": "s.id",
                "object_repr": object_repr,
                "action": str(LogEntry.Action.UPDATE),
                "changes_text": "''",
                "changes": _audit_changes_sql(model, names),
                "actor": "NULL",
                "timestamp": "%(now)s",
                "additional_data": "%(audit_extra)s::jsonb",
            }
            columns, values = _insert_sql(LogEntry, provided, self.params, "log")
            self.execute(
                f"INSERT INTO {_table(LogEntry)} ({columns}) SELECT {values} "
                f"FROM (SELECT s.*{extra} FROM {plan} s{join} WHERE s.changed) s ORDER BY s.id"
            )

    def write_contact_point_audit(self) -> None:
        """One CREATE entry per contact point the import created, as the portable engine writes
        it (``CONTACT_POINT_AUDIT_FIELDS``, the value masked; named by kind and id only)."""
        kinds = dict(ContactPoint.Kind.choices)
        kind_label = (
            "CASE w.kind "
            + " ".join(
                f"WHEN {sql_literal(k)} THEN {sql_literal(str(v))}" for k, v in kinds.items()
            )
            + " ELSE w.kind END"
        )
        sides = {  # o_: before (nothing), f_: as created
            "customer": ("NULL::bigint", "w.customer_id"),
            "kind": ("NULL::text", "w.kind"),
            "label": ("NULL::text", "w.label"),
            "value": ("NULL::text", "w.value"),
            "region": ("NULL::text", "w.region"),
            "is_primary": (
                "NULL::text",
                "CASE WHEN w.is_primary THEN 'True' ELSE 'False' END",
            ),
        }
        columns_sql = ", ".join(
            f"{old} AS o_{name}, {new} AS f_{name}" for name, (old, new) in sides.items()
        )
        provided = {
            "content_type": str(ContentType.objects.get_for_model(ContactPoint).pk),
            "object_pk": "s.id::text",
            "object_id": "s.id",
            "object_repr": "s.repr",
            "action": str(LogEntry.Action.CREATE),
            "changes_text": "''",
            "changes": _audit_changes_sql(ContactPoint, CONTACT_POINT_AUDIT_FIELDS),
            "actor": "NULL",
            "timestamp": "%(now)s",
            "additional_data": "%(audit_extra)s::jsonb",
        }
        columns, values = _insert_sql(LogEntry, provided, self.params, "cplog")
        self.execute(
            f"INSERT INTO {_table(LogEntry)} ({columns}) SELECT {values} FROM (SELECT w.id, "
            f"{kind_label} || ' #' || w.id AS repr, {columns_sql} FROM imp_cp_w w) s "
            "ORDER BY s.id"
        )


def _json(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)
