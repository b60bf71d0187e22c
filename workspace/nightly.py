"""The nightly run: keep every account's delinquency state, risk tier and queue order current.

``nightly_run(as_of=…)`` runs, for one business date and in this order:

1. ``plans`` — mark missed installments and break plans (``plans.services.plans_break_overdue``;
   a broken plan's account gets its original delinquency back);
2. ``re_age`` — measure accounts on a plan against the plan (``plans.services.plans_reage``):
   an installment that fell past due ages the account again;
3. ``paid_off`` — an open account the feed reports as owing nothing (and with no open plan or
   offer) closes as ``paid`` (``plans.services.accounts_paid_off_close``);
4. ``write_off`` — charge off the accounts at or past their write-off policy's days past due
   (``plans.services.write_offs_apply_policy``: one INSERT … SELECT and one UPDATE per chunk;
   the account keeps owing and stays in its stage, so collections go on);
5. ``bucket_moves`` — a history row per account whose derived bucket changed, and an exit for
   each account that left the open stages (``delinquency.bucket_moves_record``);
6. ``promises`` — resolve pending promises to pay (``plans.services.promises_resolve``);
7. ``settlements`` — lapse settlement offers not accepted by their expiry date or with an
   installment missed (``plans.services.settlements_lapse``);
8. ``risk`` — recompute risk tiers from DPD, balance, payments in 90 days, promises broken in
   180 days, broken plans, contactability and hardship. On PostgreSQL one set-based UPDATE per
   chunk with ``risk.score_sql`` (the same tables ``risk.score`` reads); elsewhere in Python
   through ``risk_refresh.risk_histories``/``risk.risk_inputs``/``risk.score``;
9. ``propensity`` — score open accounts with the active propensity-to-pay model
   (``workspace.propensity.propensity_refresh``: one set-based UPDATE per chunk), or clear the
   scores when there is none (the points tier then orders alone);
10. ``queue`` — refresh ``Account.queue_priority`` (``queue_priority_expression``) in one UPDATE
   per chunk.

Bucket moves, risk and the queue look only at the accounts whose inputs were written since the
step last ran or that the date carried across an edge of the rule (``accounts.changes``:
PostgreSQL's row versions say what was written, by any path); every account on the first run,
after a change of rule, on ``SETTLE_NIGHTLY_FULL_WEEKDAY`` and with ``full=True``
(``run_nightly --full``). Each queue chunk reads only its own accounts' contacts.

Plans and re-ageing run before the bucket moves so tonight's DPD is the one recorded, and
promises, plans and settlements before risk and queue so tonight's broken promises and plans
and lapsed offers count tonight. Every write happens only where a value differs (``IS DISTINCT
FROM`` on PostgreSQL), so a second run for the same date writes nothing. Steps 4, 5, 8, 9 and 10
work in ranges of ``chunk_size`` account ids, one transaction per chunk, so a failure loses one
chunk and a rerun finishes it.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dt_time

from django.db import connection, models, transaction
from django.db.models import Case, Exists, F, OuterRef, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts import changes, delinquency, risk
from accounts.models import OPEN_STAGES, Account, ContactPoint, RiskTier, contactable_sql
from contacts.models import CallbackTask, ContactLog
from core.business_calendar import start_of_business_day
from legal.models import LegalCase, LegalStep
from legal.services import LEGAL_DATE_DAYS
from plans import services as plan_services
from plans.models import HardshipArrangement, Installment, Plan, PromiseToPay, Settlement
from workspace.propensity import propensity_refresh
from workspace.risk_refresh import risk_histories
from workspace.urgency import (
    BROKEN_PROMISE_RECENT_DAYS,
    URGENCY_POINTS,
    settlement_expiring_days,
    urgency_flags,
    urgency_points,
    urgent_account_ids,
)

logger = logging.getLogger(__name__)

Progress = Callable[[str], None]

# Queue priority points (higher = work first). A callback the customer asked for today beats a
# promise falling due today, which beats chasing a recently broken promise; then risk, bucket
# and how long nobody has spoken to the customer order the rest.
TIER_POINTS = {RiskTier.HIGH: 60, RiskTier.GENERAL: 30, RiskTier.GOOD: 0}
BUCKET_POINTS_STEP = 10  # per bucket above M0: M1 10 … M6 60
# (no contact for at least this many days, points); never contacted scores NEVER_CONTACTED.
NO_CONTACT_POINTS: tuple[tuple[int, int], ...] = ((7, 30), (3, 15))
NEVER_CONTACTED_POINTS = 40
# A point per this many per mille of propensity to pay (0–10 points): among otherwise equal
# cases, the likelier payer first. No propensity (no active model): no points.
PROPENSITY_PER_POINT = 100


@dataclass
class StepResult:
    name: str
    changed: int
    seconds: float


@dataclass
class NightlySummary:
    as_of: date
    steps: list[StepResult] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return sum(step.seconds for step in self.steps)

    @property
    def changed(self) -> int:
        return sum(step.changed for step in self.steps)

    def step(self, name: str) -> StepResult:
        return next(step for step in self.steps if step.name == name)

    def lines(self) -> list[str]:
        rows = [f"nightly run for {self.as_of}"]
        rows += [f"  {s.name:<13} {s.changed:>9} changed {s.seconds:>8.2f}s" for s in self.steps]
        rows.append(f"  {'total':<13} {self.changed:>9} changed {self.seconds:>8.2f}s")
        return rows


def nightly_run(
    *,
    as_of: date,
    now: datetime | None = None,
    chunk_size: int = 50_000,
    progress: Progress | None = None,
    full: bool = False,
) -> NightlySummary:
    """Run the nightly steps for business date ``as_of``; idempotent per date. ``full`` makes
    the bucket-move, risk and queue steps look at every account, not only the changed ones."""
    now = now or timezone.now()
    summary = NightlySummary(as_of=as_of)

    def say(message: str) -> None:
        logger.info(message)
        if progress is not None:
            progress(message)

    def run(name: str, work: Callable[[], int]) -> None:
        say(f"{as_of} {name}: started")
        started = time.perf_counter()
        changed = work()
        result = StepResult(name, changed, time.perf_counter() - started)
        summary.steps.append(result)
        say(f"{as_of} {name}: {changed} changed in {result.seconds:.2f}s")

    def moves() -> int:
        moved = delinquency.bucket_moves_record(
            as_of=as_of, chunk_size=chunk_size, incremental=not full
        )
        return moved.moved + moved.opened + moved.exited

    run("plans", lambda: len(plan_services.plans_break_overdue(as_of=as_of, now=now)))
    run("re_age", lambda: plan_services.plans_reage(as_of=as_of, now=now))
    run("paid_off", lambda: plan_services.accounts_paid_off_close(as_of=as_of, now=now))
    run(
        "write_off",
        lambda: plan_services.write_offs_apply_policy(as_of=as_of, now=now, chunk_size=chunk_size),
    )
    run("bucket_moves", moves)
    run("promises", lambda: plan_services.promises_resolve(as_of=as_of, now=now))
    run("settlements", lambda: plan_services.settlements_lapse(as_of=as_of, now=now))
    run(
        "risk",
        lambda: risk_refresh(
            as_of=as_of, now=now, chunk_size=chunk_size, say=say, incremental=not full
        ),
    )
    run(
        "propensity",
        lambda: propensity_refresh(as_of=as_of, now=now, chunk_size=chunk_size, say=say),
    )
    run(
        "queue",
        lambda: queue_refresh(as_of=as_of, chunk_size=chunk_size, say=say, incremental=not full),
    )
    for line in summary.lines():
        say(line)
    return summary


# --- Risk ----------------------------------------------------------------------------------
def risk_refresh(
    *,
    as_of: date,
    now: datetime,
    chunk_size: int = 50_000,
    say: Progress | None = None,
    incremental: bool = False,
) -> int:
    """Rescore open accounts; write score, tier, factors and ``risk_scored_at`` only where the
    score or its factors changed. Returns how many accounts were rewritten.

    ``incremental`` (the nightly run, PostgreSQL): rescore only the accounts whose inputs were
    written since the step last ran or whose windows the date moved (``_risk_changed_sql``,
    ``accounts.changes``)."""
    changed = 0
    postgres = connection.vendor == "postgresql"
    window = changes.window_open(
        "risk",
        as_of=as_of,
        rules=changes.rules_fingerprint(_risk_select_sql()),
        full=not incremental,
    )
    only = None
    if postgres and not window.full:
        previous = _risk_windows(window.previous or as_of)
        only = changes.account_ids_to_look_at(
            window,
            _risk_changed_sql(),
            {
                **_risk_windows(as_of),
                "previous_paid_from": previous["paid_from"],
            },
        )
    for lo, hi, ids in changes.account_chunks(only, chunk_size):
        with transaction.atomic():
            _jit_off()
            changes.window_own_transaction(window)
            if postgres:
                changed += _risk_refresh_sql(lo, hi, as_of=as_of, now=now, only=ids)
            else:
                changed += _risk_refresh_python(lo, hi, as_of=as_of, now=now)
        if say is not None:
            say(f"{as_of} risk: ids up to {hi}, {changed} changed")
    changes.window_close(window)
    return changed


def _risk_changed_sql() -> list[str]:
    """SELECTs of the accounts whose risk inputs may differ from the last run's: a row the score
    reads written since (the account, its payments, promises, plans, its customer's contact
    points), or a date edge crossed (a days-past-due limit of the points or the bands, a
    payment or the feed's last payment date leaving the 90 days, a promise's due date leaving
    the 180)."""
    edges = {0, *(limit for limit, _ in risk.DPD_POINTS)}
    edges |= {limit for limit, _text, _params in risk.DPD_BAND_LABELS if limit is not None}
    written, crossed = changes.written_since, changes.crossed
    # Fixed SQL; every value is a parameter.
    return [
        f"SELECT a.id FROM accounts_account a WHERE {written('a')} "  # noqa: S608
        f"OR {crossed('a.delinquent_since', edges)} OR {crossed('a.last_payment_date', [90])}",
        f"SELECT p.account_id FROM plans_payment p WHERE {written('p')} "  # noqa: S608
        "OR (p.received_at >= %(previous_paid_from)s AND p.received_at < %(paid_from)s)",
        f"SELECT pr.account_id FROM plans_promisetopay pr WHERE {written('pr')} "  # noqa: S608
        f"OR {crossed('pr.due_date', [180])}",
        f"SELECT pl.account_id FROM plans_plan pl WHERE {written('pl')}",  # noqa: S608
        f"SELECT a.id FROM accounts_account a JOIN {ContactPoint._meta.db_table} cp "  # noqa: S608
        f"ON cp.customer_id = a.customer_id WHERE {written('cp')}",
    ]


def _risk_windows(as_of: date) -> dict[str, object]:
    # risk_refresh.risk_histories counts payments by ``received_at__date`` in the current time zone
    # and broken promises by due date; these are the same bounds as parameters.
    first_day = as_of - timedelta(days=90)
    return {
        "as_of": as_of,
        "paid_from_date": first_day,
        "paid_from": datetime.combine(
            first_day, dt_time.min, tzinfo=timezone.get_current_timezone()
        ),
        "promised_from": as_of - timedelta(days=180),
        "open_stages": list(OPEN_STAGES),
    }


def _risk_select_sql(*, only: bool = False) -> str:
    """SELECT id, score, tier, factors for open accounts with ids in %(lo)s..%(hi)s (and, with
    ``only``, in the array %(only)s)."""
    rk = risk.score_sql(
        dpd="CASE WHEN s.delinquent_since IS NULL OR s.delinquent_since >= %(as_of)s THEN 0 "
        "ELSE %(as_of)s - s.delinquent_since END",
        balance="s.balance",
        currency="s.currency",
        # A payment the bank's feed reports counts too (risk.risk_inputs).
        payments="greatest(COALESCE(s.payments, 0), "
        "CASE WHEN s.last_payment_date >= %(paid_from_date)s THEN 1 ELSE 0 END)",
        broken_promises="s.promises",
        broken_plans="s.plans",
        contactable="s.contactable",
        hardship="s.hardship_declared_at IS NOT NULL",
    )
    # OFFSET 0 keeps the inputs a real row: inlined, the EXISTS would run once per use.
    return f"""
        SELECT s.id, rk.score, rk.tier, rk.factors
          FROM (SELECT a.id, a.delinquent_since, a.currency, a.last_payment_date,
                       a.hardship_declared_at,
                       a.principal_balance + a.interest_balance + a.fee_balance AS balance,
                       EXISTS (SELECT 1 FROM {ContactPoint._meta.db_table} cp
                                WHERE cp.customer_id = a.customer_id
                                  AND {contactable_sql("cp")}) AS contactable,
                       p.n AS payments, pr.n AS promises, pl.n AS plans
                  FROM accounts_account a
                  LEFT JOIN (SELECT account_id, count(*) AS n FROM plans_payment
                              WHERE account_id BETWEEN %(lo)s AND %(hi)s
                                AND received_at >= %(paid_from)s
                              GROUP BY account_id) p ON p.account_id = a.id
                  LEFT JOIN (SELECT account_id, count(*) AS n FROM plans_promisetopay
                              WHERE account_id BETWEEN %(lo)s AND %(hi)s AND status = 'broken'
                                AND due_date >= %(promised_from)s
                              GROUP BY account_id) pr ON pr.account_id = a.id
                  LEFT JOIN (SELECT account_id, count(*) AS n FROM plans_plan
                              WHERE account_id BETWEEN %(lo)s AND %(hi)s
                                AND broken_at IS NOT NULL
                              GROUP BY account_id) pl ON pl.account_id = a.id
                 WHERE a.id BETWEEN %(lo)s AND %(hi)s AND a.stage = ANY(%(open_stages)s)
                       {"AND a.id = ANY(%(only)s)" if only else ""}
                OFFSET 0) s
         CROSS JOIN {rk}
    """  # noqa: S608 - fixed SQL; every value is a parameter


def _jit_off() -> None:
    """Per chunk: JIT compiles each big statement for about a second and never pays it back."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")


def _risk_refresh_sql(
    lo: int, hi: int, *, as_of: date, now: datetime, only: list[int] | None = None
) -> int:
    sql = f"""
        UPDATE accounts_account a
           SET risk_score = n.score, risk_tier = n.tier, risk_factors = n.factors,
               risk_scored_at = %(now)s
          FROM ({_risk_select_sql(only=only is not None)}) n
         WHERE a.id = n.id
           -- The chunk's range on the target too: without it the planner hashes the whole
           -- table to join 50,000 rows (about 2 s a chunk at 1M accounts).
           AND a.id BETWEEN %(lo)s AND %(hi)s
           AND (a.risk_score IS DISTINCT FROM n.score OR a.risk_tier IS DISTINCT FROM n.tier
                OR a.risk_factors IS DISTINCT FROM n.factors)
    """  # noqa: S608 - fixed SQL; every value is a parameter
    with connection.cursor() as cursor:
        cursor.execute(sql, {**_risk_windows(as_of), "lo": lo, "hi": hi, "now": now, "only": only})
        return cursor.rowcount


def risk_scores_sql(*, lo: int, hi: int, as_of: date) -> dict[int, tuple[int, str, list]]:
    """What the SQL path computes for open accounts with ids in ``lo..hi`` (PostgreSQL):
    id → (score, tier, factors). Lets tests check the SQL against ``risk.score``."""
    with connection.cursor() as cursor:
        cursor.execute(_risk_select_sql(), {**_risk_windows(as_of), "lo": lo, "hi": hi})
        rows = cursor.fetchall()
    # Django reads jsonb as text on a raw cursor.
    return {
        pk: (score, tier, json.loads(f) if isinstance(f, str) else f) for pk, score, tier, f in rows
    }


def _risk_refresh_python(lo: int, hi: int, *, as_of: date, now: datetime) -> int:
    accounts = list(Account.objects.open().filter(id__range=(lo, hi)))
    if not accounts:
        return 0
    contactable = set(
        ContactPoint.objects.contactable()
        .filter(customer_id__in={a.customer_id for a in accounts})
        .values_list("customer_id", flat=True)
    )
    histories = risk_histories({a.pk for a in accounts}, as_of=as_of)
    changed = []
    for account in accounts:
        result = risk.score(
            risk.risk_inputs(
                account,
                as_of=as_of,
                contactable=account.customer_id in contactable,
                history=histories[account.pk],
            )
        )
        factors = result.factors_as_json()
        if (account.risk_score, account.risk_tier, account.risk_factors) == (
            result.score,
            result.tier,
            factors,
        ):
            continue
        account.risk_score, account.risk_tier, account.risk_factors = (
            result.score,
            result.tier,
            factors,
        )
        account.risk_scored_at = now
        changed.append(account)
    Account.objects.bulk_update(
        changed, ["risk_score", "risk_tier", "risk_factors", "risk_scored_at"], batch_size=2000
    )
    return len(changed)


# --- Queue priority ------------------------------------------------------------------------
def queue_priority_expression(
    as_of: date, *, ids: tuple[int, int] | None = None
) -> models.Expression:
    """``Account.queue_priority`` for business date ``as_of`` as one SQL expression (0 for
    accounts not in an open stage).

    ``ids`` (lo, hi) says the expression is evaluated only for accounts in that id range: the
    contact-log lookups are then bounded by it, so PostgreSQL's hashed subplan for "contacted
    since" reads the range's contacts off the (account, occurred_at) index instead of every
    recent contact in the portfolio once per chunk."""
    tier = Case(
        *(When(risk_tier=tier, then=Value(value)) for tier, value in TIER_POINTS.items()),
        default=Value(0),
    )
    buckets = delinquency.configured_buckets()
    # Highest bucket first: DPD >= min_days <=> delinquent_since <= as_of - min_days.
    bucket = Case(
        *(
            When(
                delinquent_since__lte=as_of - timedelta(days=b.min_days),
                then=Value(BUCKET_POINTS_STEP * index),
            )
            for index, b in reversed(list(enumerate(buckets)))
            if b.min_days > 0
        ),
        default=Value(0),
    )
    contacts = ContactLog.objects.filter(account=OuterRef("pk"))
    if ids is not None:
        contacts = contacts.filter(account_id__gte=ids[0], account_id__lte=ids[1])
    recency = Case(
        When(~Exists(contacts), then=Value(NEVER_CONTACTED_POINTS)),
        *(
            When(
                ~Exists(
                    contacts.filter(
                        occurred_at__gte=start_of_business_day(as_of - timedelta(days=d))
                    )
                ),
                then=Value(value),
            )
            for d, value in NO_CONTACT_POINTS
        ),
        default=Value(0),
    )
    propensity = Coalesce(F("propensity"), Value(0)) / Value(PROPENSITY_PER_POINT)
    total = urgency_points(urgency_flags(as_of)) + tier + bucket + recency + propensity
    return Case(
        When(stage__in=OPEN_STAGES, then=total),
        default=Value(0),
        output_field=models.IntegerField(),
    )


def new_account_priority_sql(*, tier: str, delinquent_since: str, stage: str) -> str:
    """``queue_priority_expression`` for an account with no history yet — no contact, callback,
    promise, plan, offer, hardship arrangement, legal step or propensity — as PostgreSQL over
    the given column expressions (parameter ``as_of``). The account feed stores it for the
    accounts it creates, so the first night after a large load rewrites only what the date
    changes; built from the same points and buckets (tested equal to the expression)."""
    tier_points = (
        "CASE "
        + " ".join(f"WHEN {tier} = '{t}' THEN {p}" for t, p in TIER_POINTS.items())
        + " ELSE 0 END"
    )
    buckets = delinquency.configured_buckets()
    bucket_points = (
        "CASE "
        + " ".join(
            f"WHEN {delinquent_since} <= %(as_of)s::date - {b.min_days} "
            f"THEN {BUCKET_POINTS_STEP * index}"
            for index, b in reversed(list(enumerate(buckets)))
            if b.min_days > 0
        )
        + " ELSE 0 END"
    )
    stages = ", ".join(f"'{s}'" for s in OPEN_STAGES)
    return (
        f"(CASE WHEN {stage} IN ({stages}) "
        f"THEN {tier_points} + {bucket_points} + {NEVER_CONTACTED_POINTS} ELSE 0 END)"
    )


def queue_refresh(
    *,
    as_of: date,
    chunk_size: int = 50_000,
    say: Progress | None = None,
    incremental: bool = False,
) -> int:
    """Store each account's queue priority for ``as_of`` where it changed; returns how many.

    ``incremental`` (the nightly run, PostgreSQL): evaluate only the accounts whose priority
    may have moved since the step last ran (``_queue_changed_sql`` and the accounts urgent on
    either date, ``accounts.changes``)."""
    window = changes.window_open("queue", as_of=as_of, rules=_queue_rules(), full=not incremental)
    only = _queue_accounts_to_look_at(window)
    changed = 0
    for lo, hi, ids in changes.account_chunks(only, chunk_size):
        expression = queue_priority_expression(as_of, ids=(lo, hi))
        accounts = Account.objects.filter(id__gte=lo, id__lte=hi)
        if ids is not None:
            accounts = accounts.filter(id__in=ids)
        with transaction.atomic():
            _jit_off()
            changes.window_own_transaction(window)
            changed += (
                accounts.alias(priority=expression)
                .exclude(queue_priority=F("priority"))
                .update(queue_priority=expression)
            )
        if say is not None:
            say(f"{as_of} queue: ids up to {hi}, {changed} changed")
    changes.window_close(window)
    return changed


def _queue_accounts_to_look_at(window: changes.Window) -> list[int] | None:
    """The accounts ``_queue_changed_sql`` names and those urgent on either date, sorted; None
    to look at every account."""
    if connection.vendor != "postgresql" or window.full:
        return None
    previous = window.previous or window.as_of
    since = {  # the first instant of each "no contact for n days" window, on either date
        key: start_of_business_day(day - timedelta(days=d))
        for d, _ in NO_CONTACT_POINTS
        for key, day in ((f"contacted_{d}_previous", previous), (f"contacted_{d}", window.as_of))
    }
    only = changes.account_ids_to_look_at(window, _queue_changed_sql(), since)
    if only is None:
        return None
    urgent = set(urgent_account_ids(window.as_of, Account.objects.all()))
    urgent |= set(urgent_account_ids(previous, Account.objects.all()))
    return sorted(set(only) | urgent)


def _queue_rules() -> str:
    """What the priority is made of, but not the date (the expression's SQL holds dates)."""
    return changes.rules_fingerprint(
        TIER_POINTS,
        BUCKET_POINTS_STEP,
        NO_CONTACT_POINTS,
        NEVER_CONTACTED_POINTS,
        PROPENSITY_PER_POINT,
        URGENCY_POINTS,
        BROKEN_PROMISE_RECENT_DAYS,
        LEGAL_DATE_DAYS,
        settlement_expiring_days(),
        delinquency.configured_buckets(),
    )


def _queue_changed_sql() -> list[str]:
    """SELECTs of the accounts whose priority inputs may differ from the last run's: the
    account row written since (tier, propensity, stage, delinquency), a bucket's edge crossed,
    a contact logged since or one leaving a "no contact for n days" window, or a row of a
    reason's own tables written since (callbacks, promises, plans and installments, offers,
    hardship arrangements, legal cases and steps). Reasons that start or end with the date
    alone are the accounts urgent on either date (``urgent_account_ids``)."""
    written, crossed = changes.written_since, changes.crossed
    edges = delinquency.bucket_edges(delinquency.configured_buckets())
    windows = " OR ".join(
        f"(cl.occurred_at >= %(contacted_{d}_previous)s AND cl.occurred_at < %(contacted_{d})s)"
        for d, _ in NO_CONTACT_POINTS
    )

    def table(model: type[models.Model]) -> str:
        return model._meta.db_table

    by_account = [CallbackTask, PromiseToPay, Settlement, HardshipArrangement]
    # Fixed SQL: table names from the models; every value is a parameter.
    return [
        f"SELECT a.id FROM accounts_account a WHERE {written('a')} "  # noqa: S608
        f"OR {crossed('a.delinquent_since', edges)}",
        f"SELECT cl.account_id FROM {table(ContactLog)} cl "  # noqa: S608
        f"WHERE {written('cl')} OR {windows}",
        *(
            f"SELECT r.account_id FROM {table(m)} r WHERE {written('r')}"  # noqa: S608
            for m in by_account
        ),
        f"SELECT p.account_id FROM {table(Installment)} i "  # noqa: S608
        f"JOIN {table(Plan)} p ON p.id = i.plan_id WHERE {written('i')} OR {written('p')}",
        f"SELECT c.account_id FROM {table(LegalStep)} s "  # noqa: S608
        f"JOIN {table(LegalCase)} c ON c.id = s.case_id WHERE {written('s')} OR {written('c')}",
    ]


__all__ = [
    "NightlySummary",
    "StepResult",
    "nightly_run",
    "new_account_priority_sql",
    "queue_priority_expression",
    "queue_refresh",
    "risk_refresh",
]
