"""Write-off (charge-off): by policy in the nightly run, or by a supervisor's decision.

The accounting, decided here once: charging off is recognising the loss, not forgiving the debt.
The account **keeps owing its balances** (the customer still owes them and collections may go
on: its stage is unchanged) and gets ``charge_off_date``; the ``WriteOff`` row records what
was charged off (principal, interest, fees, total) on that day. A decision may also say "stop
collecting": then the account moves to the ``written_off`` stage and leaves the queue. Payments
received from the charge-off date on are post-write-off recoveries (``dashboards.facts``);
they are allocated to the balances as any payment is.

Who and what may be written off:
* only an account in a collection stage (early, late, legal, placed) that owes something and
  was not charged off before; a paid, settled, closed or written-off account is refused;
* an account with an open plan (pending approval or active) is left out of the policy run and
  a write-off by decision is refused until the plan ends: the plan re-ages the account, so it
  is not the debt's own delinquency that counts while it runs;
* by policy (``write_offs_apply_policy``): accounts at or past their ``WriteOffPolicy``'s days
  past due (the DPD rule of ``accounts.aging``), set-based, applied at once, audited as the
  system; running it twice charges off nothing twice (``charge_off_date`` is set and one
  applied write-off per account is a constraint);
* by decision: proposed by a specialist, supervisor or admin with a reason
  (``write_off_propose``), applied when a supervisor or admin who is not the proposer approves
  it (``write_off_approve``) within their authority (the plan policy's concession limit for
  the role, as for concessions; admins have none), or rejected (``write_off_reject``). The
  amounts are measured again when it is applied.

Lock order as for every plan write: the account, then the write-off.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import connection, models, transaction
from django.db.models import Case, Exists, F, OuterRef, Q, Value, When
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import aging
from accounts.changes import account_id_ranges
from accounts.models import IN_COLLECTIONS, Account, Role, Stage, User
from accounts.services import account_stage_set, acting_as
from core.business_calendar import business_day_or_today
from plans.models import (
    OPEN_PLAN_STATUSES,
    ZERO,
    Plan,
    PlanStatus,
    WriteOff,
    WriteOffKind,
    WriteOffPolicy,
    WriteOffStatus,
)
from plans.services.errors import ConflictError
from plans.services.inputs import _require_role, locked_with_account
from plans.services.plans import _policy, _reason

POLICY_REASON = "Days past due reached the write-off policy's threshold."
SUPERSEDED_NOTE = "Superseded: the account was charged off by policy."


class WriteOffStateError(ConflictError):
    """A transition asked of a write-off in the wrong state (409 naming the status)."""

    def __init__(self, write_off: WriteOff, message: str) -> None:
        super().__init__(message, status=write_off.status)


# --- The rule ------------------------------------------------------------------------------------
def charge_off_due(delinquent_since: date | None, as_of: date, days: int) -> bool:
    """Whether an account delinquent since ``delinquent_since`` is at or past ``days`` days
    past due on ``as_of`` (``accounts.aging.days_past_due``)."""
    return aging.days_past_due(delinquent_since, as_of) >= days


def charge_off_due_q(as_of: date, days: int, field: str = "delinquent_since") -> Q:
    """``charge_off_due`` in SQL: DPD >= days <=> delinquent_since <= as_of − days (days > 0;
    an empty date is never due), a date comparison that uses the index."""
    return Q(**{f"{field}__lte": as_of - timedelta(days=days)})


def charge_off_due_sql(delinquent_since: str, days: str, as_of: str) -> str:
    """``charge_off_due_q`` as SQL text over SQL expressions, for set-based SQL that does not
    go through the ORM (the account feed's import): the same date comparison."""
    return f"({delinquent_since} <= {as_of} - {days})"


def policy_for(
    policies: list[WriteOffPolicy], jurisdiction: str, product: str
) -> WriteOffPolicy | None:
    """The policy in force for an account of ``product`` of a customer in ``jurisdiction``."""
    return next(
        (p for p in policies if p.jurisdiction == jurisdiction and p.product == product), None
    )


def new_accounts_charged_off() -> bool:
    """Whether the policy can charge off a new account at all: it starts in the default stage,
    which must be a collection stage (it is: ``early``)."""
    return Account._meta.get_field("stage").get_default() in IN_COLLECTIONS


def policy_write_off(
    account: Account, policy: WriteOffPolicy, *, as_of: date, now: datetime
) -> WriteOff:
    """The applied policy write-off of ``account`` on ``as_of``, unsaved: what the nightly
    step's INSERT … SELECT writes for it (``_insert_select``)."""
    write_off = WriteOff(
        account=account,
        kind=WriteOffKind.POLICY,
        status=WriteOffStatus.APPLIED,
        reason=POLICY_REASON,
        stop_collecting=False,
        charge_off_date=as_of,
        policy=policy if policy.pk is not None else None,
        proposed_at=now,
        decided_at=now,
    )
    _measure(write_off, account, as_of)
    return write_off


def write_off_refusal(account: Account, *, open_plan: Plan | None = None) -> str:
    """Why ``account`` may not be charged off ("" when it may)."""
    if account.charge_off_date is not None:
        return _("The account was charged off on %(date)s.") % {"date": account.charge_off_date}
    if open_plan is not None:
        return _(
            "The account has plan %(plan)s, which is %(status)s; a write-off waits for it to end."
        ) % {"plan": open_plan.pk, "status": PlanStatus(open_plan.status).label.lower()}
    if account.stage not in IN_COLLECTIONS:
        return _("The account is %(stage)s; only an account in collections can be written off.") % {
            "stage": account.get_stage_display().lower()
        }
    if account.total_balance <= ZERO:
        return _("The account owes nothing; there is nothing to write off.")
    return ""


def _open_plan(account: Account) -> Plan | None:
    return Plan.objects.filter(account=account, status__in=OPEN_PLAN_STATUSES).first()


def _refuse_unless_eligible(account: Account) -> None:
    refusal = write_off_refusal(account, open_plan=_open_plan(account))
    if refusal:
        raise ConflictError(refusal, account=account.pk)


def _measure(write_off: WriteOff, account: Account, as_of: date) -> None:
    """What the account owes now, to the cent."""
    write_off.currency = account.currency
    write_off.principal = account.principal_balance
    write_off.interest = account.interest_balance
    write_off.fees = account.fee_balance
    write_off.total = account.total_balance
    write_off.days_past_due = aging.days_past_due(account.delinquent_since, as_of)


def _save(write_off: WriteOff, by: User | None, fields: list[str] | None = None) -> None:
    with acting_as(by):
        if fields is None:
            write_off.save()
        else:
            write_off.save(update_fields=[*fields, "updated_at"])


# --- By decision ---------------------------------------------------------------------------------
def open_write_off(account: Account | int) -> WriteOff | None:
    return WriteOff.objects.filter(account=account, status=WriteOffStatus.PROPOSED).first()


@transaction.atomic
def write_off_propose(
    *,
    account: Account,
    by: User,
    reason: str,
    stop_collecting: bool = False,
    now: datetime | None = None,
) -> WriteOff:
    """Propose charging the account off, for a supervisor or admin other than ``by`` to
    approve. Refused (409) for an account that may not be written off or has a proposal."""
    _require_role(
        by, Role.SPECIALIST, Role.SUPERVISOR, Role.ADMIN, message=_("You need a Settle role.")
    )
    now = now or timezone.now()
    reason = _reason(reason)
    account = Account.objects.select_for_update(of=("self",)).get(pk=account.pk)
    _refuse_unless_eligible(account)
    other = open_write_off(account)
    if other is not None:
        raise ConflictError(
            _("Write-off %(id)s is already waiting for a decision on this account.")
            % {"id": other.pk},
            write_off=other.pk,
        )
    write_off = WriteOff(
        account=account,
        kind=WriteOffKind.DECISION,
        status=WriteOffStatus.PROPOSED,
        reason=reason,
        stop_collecting=bool(stop_collecting),
        proposed_by=by,
        proposed_at=now,
    )
    _measure(write_off, account, business_day_or_today(now))
    _save(write_off, by)
    return write_off


def _require_proposed(write_off: WriteOff, doing: str) -> None:
    if write_off.status != WriteOffStatus.PROPOSED:
        raise WriteOffStateError(
            write_off,
            _("Write-off %(id)s is %(status)s; only a proposed write-off can be %(doing)s.")
            % {
                "id": write_off.pk,
                "status": WriteOffStatus(write_off.status).label.lower(),
                "doing": doing,
            },
        )


@transaction.atomic
def write_off_approve(
    *, write_off: WriteOff, by: User, note: str = "", now: datetime | None = None
) -> WriteOff:
    """A supervisor or admin other than the proposer applies the proposed write-off, within
    their authority (the plan policy's concession limit for their role; admins have none)."""
    _require_role(
        by,
        Role.SUPERVISOR,
        Role.ADMIN,
        message=_("Only a supervisor or an admin may approve write-offs."),
    )
    now = now or timezone.now()
    as_of = business_day_or_today(now)
    write_off = locked_with_account(write_off, "account__customer")
    _require_proposed(write_off, _("approved"))
    if by.pk == write_off.proposed_by_id:
        raise PermissionDenied(
            _("You proposed this write-off; another supervisor or an admin must approve it.")
        )
    account = write_off.account
    _refuse_unless_eligible(account)
    _measure(write_off, account, as_of)
    limit = _policy(account).concession_limit(by)
    if limit is not None and write_off.total > limit:
        raise PermissionDenied(
            _(
                "A write-off of %(total)s %(currency)s exceeds your authority of %(limit)s;"
                " an admin must approve it."
            )
            % {"total": write_off.total, "currency": write_off.currency, "limit": limit}
        )
    write_off.decided_by = by
    write_off.decided_at = now
    write_off.decision_note = (note or "").strip()
    _apply(write_off, account, as_of=as_of, by=by)
    return write_off


@transaction.atomic
def write_off_reject(
    *, write_off: WriteOff, by: User, reason: str, now: datetime | None = None
) -> WriteOff:
    """A supervisor or admin (the proposer too: it withdraws it) turns the proposal down."""
    _require_role(
        by,
        Role.SUPERVISOR,
        Role.ADMIN,
        message=_("Only a supervisor or an admin may reject write-offs."),
    )
    now = now or timezone.now()
    write_off = locked_with_account(write_off)
    _require_proposed(write_off, _("rejected"))
    write_off.status = WriteOffStatus.REJECTED
    write_off.decided_by = by
    write_off.decided_at = now
    write_off.decision_note = _reason(reason)
    _save(write_off, by, ["status", "decided_by", "decided_at", "decision_note"])
    return write_off


def _apply(write_off: WriteOff, account: Account, *, as_of: date, by: User | None) -> None:
    """Charge the (locked) account off on ``as_of``: the write-off applied with the amounts
    measured, the account's charge-off date set, its stage ``written_off`` when the decision
    says to stop collecting. Both rows are audited as ``by``."""
    write_off.status = WriteOffStatus.APPLIED
    write_off.charge_off_date = as_of
    _save(write_off, by)
    account.charge_off_date = as_of
    with acting_as(by):
        account.save(update_fields=["charge_off_date", "updated_at"])
    if write_off.stop_collecting:
        account_stage_set(account=account, stage=Stage.WRITTEN_OFF, by=by)


# --- By policy (the nightly run) -----------------------------------------------------------------
def _policy_candidates(as_of: date, policies: list[WriteOffPolicy]) -> models.QuerySet:
    """Accounts the policies charge off on ``as_of``, annotated ``w_policy`` (the policy id)."""
    due = Q()
    which = []
    for policy in policies:
        condition = Q(
            customer__jurisdiction=policy.jurisdiction, product=policy.product
        ) & charge_off_due_q(as_of, policy.days_past_due)
        due |= condition
        if policy.pk is not None:  # a default has no row to name
            which.append(When(condition, then=Value(policy.pk)))
    return (
        Account.objects.filter(stage__in=IN_COLLECTIONS, charge_off_date__isnull=True)
        .filter(due)
        .exclude(Exists(Plan.objects.filter(account=OuterRef("pk"), status__in=OPEN_PLAN_STATUSES)))
        .exclude(
            Exists(WriteOff.objects.filter(account=OuterRef("pk"), status=WriteOffStatus.APPLIED))
        )
        .alias(owed=F("principal_balance") + F("interest_balance") + F("fee_balance"))
        .filter(owed__gt=0)
        # Typed: a CASE of nothing but NULLs would be text to PostgreSQL.
        .annotate(
            w_policy=Cast(
                Case(*which, default=Value(None), output_field=models.BigIntegerField()),
                models.BigIntegerField(),
            )
        )
    )


# The columns the INSERT … SELECT writes, in the order of the SELECT (``_insert_select``).
INSERT_COLUMNS = (
    "account_id",
    "kind",
    "status",
    "reason",
    "stop_collecting",
    "currency",
    "principal",
    "interest",
    "fees",
    "total",
    "days_past_due",
    "charge_off_date",
    "policy_id",
    "proposed_at",
    "decision_note",
    "decided_at",
    "updated_at",
)


def _insert_select(candidates: models.QuerySet, *, as_of: date, now: datetime) -> int:
    """One ``INSERT INTO plans_writeoff … SELECT`` of the candidates' applied write-offs. The
    SELECT is the ORM's, so it is the same SQL on PostgreSQL and SQLite."""

    def const(value, field: models.Field) -> Value:
        return Value(value, output_field=field)

    select = {
        "w_account": F("pk"),
        "w_kind": const(WriteOffKind.POLICY.value, models.CharField()),
        "w_status": const(WriteOffStatus.APPLIED.value, models.CharField()),
        "w_reason": const(POLICY_REASON, models.TextField()),
        "w_stop": const(False, models.BooleanField()),
        "w_currency": F("currency"),
        "w_principal": F("principal_balance"),
        "w_interest": F("interest_balance"),
        "w_fees": F("fee_balance"),
        "w_total": F("principal_balance") + F("interest_balance") + F("fee_balance"),
        "w_dpd": aging.dpd_expression(as_of),
        "w_date": const(as_of, models.DateField()),
        "w_policy_id": F("w_policy"),
        "w_proposed_at": const(now, models.DateTimeField()),
        "w_note": const("", models.TextField()),
        "w_decided_at": const(now, models.DateTimeField()),
        "w_updated_at": const(now, models.DateTimeField()),
    }
    assert len(select) == len(INSERT_COLUMNS)
    sql, params = (
        candidates.annotate(**select).values_list(*select).order_by().query.sql_with_params()
    )
    table = connection.ops.quote_name(WriteOff._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in INSERT_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({columns}) {sql}", params)  # noqa: S608 - ORM SQL
        return cursor.rowcount


def write_offs_apply_policy(
    *, as_of: date, now: datetime | None = None, chunk_size: int = 50_000
) -> int:
    """The nightly step: charge off every account at or past its policy's days past due on
    ``as_of`` (see the module docstring for who is left out). Per range of ``chunk_size``
    account ids, in one transaction: one INSERT … SELECT of the write-offs, one UPDATE of the
    accounts' charge-off date, one UPDATE rejecting proposals the policy superseded, and their
    audit entries bulk-inserted. Returns how many accounts were charged off; a second run for
    the same date charges off none."""
    now = now or timezone.now()
    policies = WriteOffPolicy.in_force()
    if not policies:
        return 0
    charged = 0
    for lo, hi in account_id_ranges(chunk_size):
        with transaction.atomic():
            chunk = Account.objects.filter(id__range=(lo, hi))
            inserted = _insert_select(
                _policy_candidates(as_of, policies).filter(id__range=(lo, hi)), as_of=as_of, now=now
            )
            if not inserted:
                continue
            charged_today = WriteOff.objects.filter(
                kind=WriteOffKind.POLICY, status=WriteOffStatus.APPLIED, charge_off_date=as_of
            )
            # Just inserted: applied tonight to an account whose date is not set yet. Their
            # audit entries are written before the accounts' dates are set (PostgreSQL: in SQL).
            if connection.vendor == "postgresql":
                new: list[WriteOff] = []
                charged += _audit_new_sql(lo, hi, as_of=as_of, now=now)
            else:
                new = list(
                    charged_today.filter(
                        account__id__range=(lo, hi), account__charge_off_date__isnull=True
                    )
                )
                charged += len(new)
            chunk.filter(charge_off_date__isnull=True).filter(
                Exists(charged_today.filter(account=OuterRef("pk")))
            ).update(charge_off_date=as_of, updated_at=now)
            superseded = WriteOff.objects.filter(
                account__id__range=(lo, hi), status=WriteOffStatus.PROPOSED
            ).filter(Exists(charged_today.filter(account=OuterRef("account"))))
            superseded_ids = list(superseded.values_list("pk", flat=True))
            superseded.update(
                status=WriteOffStatus.REJECTED,
                decided_at=now,
                decision_note=SUPERSEDED_NOTE,
                updated_at=now,
            )
            _audit(new, superseded_ids, as_of=as_of, now=now)
    return charged


#: The write-off fields a policy write-off's creation entry records, in ``_audit`` and in
#: ``_audit_new_sql`` alike; the foreign keys as their ids.
_CREATED_ATTRIBUTES = {"account": "account_id", "policy": "policy_id"}
_CREATED_FIELDS = (
    "account",
    "kind",
    "status",
    "currency",
    "principal",
    "interest",
    "fees",
    "total",
    "days_past_due",
    "charge_off_date",
    "policy",
)


def _audit_new_sql(lo: int, hi: int, *, as_of: date, now: datetime) -> int:
    """``_audit``'s entries for tonight's new policy write-offs of accounts ``lo``..``hi``, in
    one ``INSERT … SELECT`` (PostgreSQL): the same rows, without a model instance per write-off
    and per entry (500,000 charge-offs after a large load took minutes). The number of
    write-offs."""
    q = connection.ops.quote_name
    write_off_type = ContentType.objects.get_for_model(WriteOff)
    account_type = ContentType.objects.get_for_model(Account)

    columns_of = {f.name: f.column or f.name for f in WriteOff._meta.concrete_fields}

    def text(name: str) -> str:  # str(value) of the field, as _audit writes it
        column = f"w.{q(columns_of[name])}"
        if name == "charge_off_date":
            return f"to_char({column}, 'YYYY-MM-DD')"
        return f"COALESCE({column}::text, 'None')"

    created = ", ".join(
        f"'{name}', jsonb_build_array('None', {text(name)})" for name in _CREATED_FIELDS
    )
    entry = LogEntry._meta
    columns = ", ".join(
        q(entry.get_field(name).column)
        for name in (
            "content_type",
            "object_pk",
            "object_id",
            "object_repr",
            "action",
            "changes",
            "changes_text",
            "actor",
            "timestamp",
            "additional_data",
        )
    )
    sql = f"""
        WITH new AS (
            SELECT w.* FROM {q(WriteOff._meta.db_table)} w
            JOIN {q(Account._meta.db_table)} a ON a.id = w.account_id
            WHERE w.kind = %(kind)s AND w.status = %(status)s AND w.charge_off_date = %(as_of)s
              AND a.id BETWEEN %(lo)s AND %(hi)s AND a.charge_off_date IS NULL
        )
        INSERT INTO {q(entry.db_table)} ({columns})
        SELECT %(write_off_type)s, w.id::text, w.id, %(write_off_repr)s || w.id, %(create)s,
               jsonb_build_object({created}), '', NULL::bigint, %(now)s, %(extra)s::jsonb
        FROM new w
        UNION ALL
        SELECT %(account_type)s, w.account_id::text, w.account_id,
               %(account_repr)s || w.account_id, %(update)s,
               jsonb_build_object('charge_off_date', jsonb_build_array('None', %(as_of_text)s)),
               '', NULL::bigint, %(now)s, %(extra)s::jsonb
        FROM new w
    """  # noqa: S608 - our tables and columns; values are parameters
    params = {
        "kind": WriteOffKind.POLICY.value,
        "status": WriteOffStatus.APPLIED.value,
        "as_of": as_of,
        "as_of_text": str(as_of),
        "lo": lo,
        "hi": hi,
        "write_off_type": write_off_type.pk,
        "write_off_repr": f"{write_off_type.model} ",
        "account_type": account_type.pk,
        "account_repr": f"{account_type.model} ",
        "create": LogEntry.Action.CREATE,
        "update": LogEntry.Action.UPDATE,
        "now": now,
        "extra": json.dumps({"reason": "write_off_policy"}),
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount // 2  # two entries per write-off


def _audit(new: list[WriteOff], superseded_ids: list[int], *, as_of: date, now: datetime) -> None:
    """The audit entries a save would have written (the system is the actor): each write-off
    created, each account's charge-off date, each proposal superseded."""
    write_off_type = ContentType.objects.get_for_model(WriteOff)
    account_type = ContentType.objects.get_for_model(Account)

    def entry(content_type, pk: int, action: int, changes: dict) -> LogEntry:
        return LogEntry(
            content_type=content_type,
            object_pk=str(pk),
            object_id=pk,
            object_repr=f"{content_type.model} {pk}",
            action=action,
            changes=changes,
            changes_text="",
            actor=None,
            timestamp=now,
            additional_data={"reason": "write_off_policy"},
        )

    entries = []
    for w in new:
        created = {f: getattr(w, _CREATED_ATTRIBUTES.get(f, f)) for f in _CREATED_FIELDS}
        entries.append(
            entry(
                write_off_type,
                w.pk,
                LogEntry.Action.CREATE,
                {k: ["None", str(v)] for k, v in created.items()},
            )
        )
        entries.append(
            entry(
                account_type,
                w.account_id,
                LogEntry.Action.UPDATE,
                {"charge_off_date": ["None", str(as_of)]},
            )
        )
    for pk in superseded_ids:
        entries.append(
            entry(
                write_off_type,
                pk,
                LogEntry.Action.UPDATE,
                {
                    "status": [WriteOffStatus.PROPOSED.value, WriteOffStatus.REJECTED.value],
                    "decision_note": ["", SUPERSEDED_NOTE],
                },
            )
        )
    LogEntry.objects.bulk_create(entries, batch_size=5000)
