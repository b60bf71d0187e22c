"""Propensity to pay: how likely an account is to pay within 30 days of a contact, learnt from
Settle's own history (``accounts.models.PropensityModel``).

One sample per outbound contact: the features are what was known **before** the contact
(``feature_expressions``: the bucket stay and its balance at that date, payments, broken
promises, contact attempts and conversations in the window before it, a hardship declared before
it); the label is a payment on the account within 30 days after it. The most recent complete
month whose 30 days have all passed is held out to measure the model (ROC AUC); the twelve
months before it train a logistic regression on standardised features (scikit-learn, lbfgs:
deterministic). Each account's factors are the per-feature terms of the logit,
coefficient × standardised value, so the case page can say what raised or lowered its chance.

The features are defined once, as ORM expressions that read the history at an instant: the
training reads them at each contact's ``occurred_at``, the nightly scoring at the run's ``now``.
The scoring is one set-based ``UPDATE`` per chunk of ids (``_score_sql`` computes the logistic in
SQL beside ``probability``, its Python form, and the tests hold them equal). With too little
history there is no active model, accounts have no propensity, and the points tier
(``accounts.risk``) orders the queue alone.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection, models, transaction
from django.db.models import Case, Count, Exists, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce, Least, Mod, TruncDate
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts import risk
from accounts.changes import account_id_ranges
from accounts.models import OPEN_STAGES, Account, BucketHistory, PropensityModel
from contacts.models import ContactLog
from core.business_calendar import start_of_business_day
from plans.models import Payment, PromiseStatus, PromiseToPay

LABEL_DAYS = 30  # a payment within this many days after the contact
HISTORY_MONTHS = 12  # training months before the held-out one
MAX_SAMPLES = 200_000  # a deterministic sample (every n-th contact id) beyond this
MIN_SAMPLES = 500
MIN_POSITIVES = 50
Z_LIMIT = 30.0  # the logit is clamped (exp overflows far beyond; the chance is 0 or 1 anyway)

#: (code, cap): the model's inputs, in this order, each capped so a few outliers do not set
#: the scale.
FEATURES: tuple[tuple[str, int], ...] = (
    ("days_past_due", 720),  # DPD on entering the bucket the account was in (0, 1, 30 … 180)
    ("balance_band", 3),  # the balance on entering that bucket, banded as accounts.risk does
    ("payments_90d", 5),  # payments in the 90 days before
    ("broken_promises_180d", 5),  # promises resolved as broken in the 180 days before
    ("contacts_90d", 30),  # outbound contact attempts in the 90 days before
    ("conversations_90d", 10),  # of which reached the customer (right-party conversation)
    ("hardship", 1),  # hardship declared before
)
FEATURE_CODES = tuple(code for code, _cap in FEATURES)


# --- The features at an instant (one definition for training and scoring) ----------------------
@dataclass(frozen=True)
class Frame:
    """Where the features are read from: the outer rows' account (a field name), their instant
    (a fixed ``at``, or the outer rows' ``at_field``) and the prefix reaching the account's own
    fields from the outer model."""

    account: str
    account_prefix: str
    at: datetime | None = None
    on: date | None = None  # the business date of a fixed ``at``
    at_field: str = "occurred_at"

    def inner_at(self) -> Any:
        """The instant inside a subquery."""
        return self.at if self.at is not None else OuterRef(self.at_field)

    def inner_before(self, days: int) -> Any:
        if self.at is not None:
            return self.at - timedelta(days=days)
        return models.ExpressionWrapper(
            OuterRef(self.at_field) - Value(timedelta(days=days)),
            output_field=models.DateTimeField(),
        )

    def inner_on(self) -> Any:
        if self.on is not None:
            return self.on
        at = models.ExpressionWrapper(OuterRef(self.at_field), output_field=models.DateTimeField())
        return TruncDate(at)

    def outer_at(self) -> Any:
        return self.at if self.at is not None else models.F(self.at_field)


def _count(queryset: models.QuerySet) -> models.Expression:
    counted = queryset.order_by().values("account_id").annotate(n=Count("pk")).values("n")[:1]
    return Coalesce(Subquery(counted, output_field=models.IntegerField()), Value(0))


def _capped(expression: models.Expression, cap: int) -> models.Expression:
    return Least(expression, Value(cap), output_field=models.IntegerField())


def _balance_band() -> Case:
    """The band of a bucket stay's entry balance in the account's currency ``currency``, an
    annotation of the stay (accounts.risk's thresholds; an unknown currency uses the US
    dollar's, as ``risk`` does)."""
    whens = []
    for currency, limits in risk.BALANCE_BANDS.items():
        for band in range(len(limits), 0, -1):
            whens.append(When(currency=currency, entry_balance__gte=limits[band - 1], then=band))
    default = risk.BALANCE_BANDS["USD"]
    for band in range(len(default), 0, -1):
        whens.append(
            When(
                ~Q(currency__in=list(risk.BALANCE_BANDS)),
                entry_balance__gte=default[band - 1],
                then=band,
            )
        )
    return Case(*whens, default=Value(0), output_field=models.IntegerField())


def feature_expressions(frame: Frame) -> dict[str, models.Expression]:
    """Each feature (``FEATURES``) as an expression over the outer rows, as of their instant:
    only rows dated before it count, so a sample never sees its own future."""
    account = OuterRef(frame.account)
    at = frame.inner_at()
    stays = BucketHistory.objects.filter(account_id=account, entered_on__lte=frame.inner_on())
    stays = stays.order_by("-entered_on", "-id")
    outbound = ContactLog.objects.filter(
        account_id=account,
        direction=ContactLog.Direction.OUTBOUND,
        occurred_at__gte=frame.inner_before(90),
        occurred_at__lt=at,
    )
    hardship_declared = f"{frame.account_prefix}hardship_declared_at"
    values = {
        "days_past_due": Coalesce(
            Subquery(stays.values("entry_days_past_due")[:1]),
            Value(0),
            output_field=models.IntegerField(),
        ),
        "balance_band": Coalesce(
            Subquery(
                stays.annotate(
                    currency=models.ExpressionWrapper(
                        OuterRef(f"{frame.account_prefix}currency"), output_field=models.CharField()
                    )
                )
                .annotate(band=_balance_band())
                .values("band")[:1]
            ),
            Value(0),
            output_field=models.IntegerField(),
        ),
        "payments_90d": _count(
            Payment.objects.filter(
                account_id=account, received_at__gte=frame.inner_before(90), received_at__lt=at
            )
        ),
        "broken_promises_180d": _count(
            PromiseToPay.objects.filter(
                account_id=account,
                status=PromiseStatus.BROKEN,
                resolved_at__gte=frame.inner_before(180),
                resolved_at__lt=at,
            )
        ),
        "contacts_90d": _count(outbound),
        "conversations_90d": _count(outbound.filter(outcome=ContactLog.Outcome.CONVERSATION)),
        "hardship": Case(
            When(**{f"{hardship_declared}__lt": frame.outer_at()}, then=Value(1)),
            default=Value(0),
            output_field=models.IntegerField(),
        ),
    }
    return {code: _capped(values[code], cap) for code, cap in FEATURES}


def paid_within_label() -> Exists:
    """A payment on the contact's account within ``LABEL_DAYS`` after it (training rows)."""
    return Exists(
        Payment.objects.filter(
            account_id=OuterRef("account_id"),
            received_at__gt=OuterRef("occurred_at"),
            received_at__lte=models.ExpressionWrapper(
                OuterRef("occurred_at") + Value(timedelta(days=LABEL_DAYS)),
                output_field=models.DateTimeField(),
            ),
        )
    )


def account_features(account_ids: list[int], *, as_of: date, now: datetime) -> dict[int, dict]:
    """The features of accounts at ``now`` (business date ``as_of``), read like the scoring."""
    frame = Frame(account="pk", account_prefix="", at=now, on=as_of)
    rows = (
        Account.objects.filter(pk__in=account_ids)
        .annotate(**feature_expressions(frame))
        .values("pk", *FEATURE_CODES)
    )
    return {row.pop("pk"): row for row in rows}


# --- The model: Python form --------------------------------------------------------------------
def contributions(model: PropensityModel, inputs: Mapping[str, Any]) -> dict[str, float]:
    """Each feature's term of the logit: coefficient × standardised value (0 for a feature the
    inputs lack)."""
    terms = {}
    for code, coef, mean, scale in zip(
        model.features, model.coefficients, model.means, model.scales, strict=True
    ):
        value = inputs.get(code)
        terms[code] = 0.0 if value is None else coef * (float(value) - mean) / scale
    return terms


def probability(model: PropensityModel, inputs: Mapping[str, Any]) -> float:
    z = model.intercept + sum(contributions(model, inputs).values())
    z = max(-Z_LIMIT, min(Z_LIMIT, z))
    return 1.0 / (1.0 + math.exp(-z))


def per_mille(p: float) -> int:
    """A chance as the stored integer 0–1000 (half up, as the SQL form rounds)."""
    return math.floor(p * 1000 + 0.5)


# --- The model: SQL form -----------------------------------------------------------------------
def _folded(model: PropensityModel) -> tuple[float, list[float]]:
    """The logit as ``c0 + Σ a_i x_i``: the standardisation folded into the coefficients."""
    slopes = [c / s for c, s in zip(model.coefficients, model.scales, strict=True)]
    c0 = model.intercept - sum(a * m for a, m in zip(slopes, model.means, strict=True))
    return c0, slopes


def _literal(x: float) -> str:
    if not math.isfinite(x):
        raise ValueError(f"not a finite model parameter: {x}")
    return (
        f"CAST({x:.17g} AS DOUBLE PRECISION)" if connection.vendor == "postgresql" else f"{x:.17g}"
    )


def _score_sql(model: PropensityModel, inner: str) -> str:
    """``SELECT id, p, inputs`` over ``inner`` (id and the features): the propensity per mille
    and the inputs as JSON; ``probability`` and ``per_mille`` in SQL."""
    c0, slopes = _folded(model)
    z = " + ".join(
        [_literal(c0)]
        + [f"{_literal(a)} * n0.{code}" for a, code in zip(slopes, model.features, strict=True)]
    )
    build = "jsonb_build_object" if connection.vendor == "postgresql" else "json_object"
    inputs = ", ".join(f"'{code}', n.{code}" for code in model.features)
    limit = _literal(Z_LIMIT)
    return f"""
        SELECT n.id,
               CAST(FLOOR(1000.0 / (1 + EXP(-(CASE WHEN n.z > {limit} THEN {limit}
                                                  WHEN n.z < -{limit} THEN -{limit}
                                                  ELSE n.z END))) + 0.5) AS INTEGER) AS p,
               {build}({inputs}) AS inputs
          FROM (SELECT n0.*, {z} AS z FROM ({inner}) n0) n
    """  # noqa: S608 - codes and numbers of our own model; values are parameters


def _inner(lo: int, hi: int, *, as_of: date, now: datetime) -> tuple[str, tuple]:
    frame = Frame(account="pk", account_prefix="", at=now, on=as_of)
    queryset = (
        Account.objects.filter(id__range=(lo, hi), stage__in=OPEN_STAGES)
        .annotate(**feature_expressions(frame))
        .values("id", *FEATURE_CODES)
        .order_by()
    )
    sql, params = queryset.query.sql_with_params()
    if connection.vendor == "postgresql":
        sql += " OFFSET 0"  # the features once per row, not once per use
    return sql, params


def scores_sql(*, lo: int, hi: int, as_of: date, now: datetime) -> dict[int, tuple[int, dict]]:
    """What the SQL scoring computes for open accounts with ids in ``lo..hi``: id →
    (propensity per mille, inputs). Lets the tests hold it against ``probability``."""
    model = active_model()
    if model is None:
        return {}
    inner, params = _inner(lo, hi, as_of=as_of, now=now)
    with connection.cursor() as cursor:
        cursor.execute(_score_sql(model, inner), params)
        rows = cursor.fetchall()
    return {
        pk: (p, json.loads(inputs) if isinstance(inputs, str) else inputs) for pk, p, inputs in rows
    }


def _score_chunk(model: PropensityModel, lo: int, hi: int, *, as_of: date, now: datetime) -> int:
    inner, params = _inner(lo, hi, as_of=as_of, now=now)
    table = Account._meta.db_table
    distinct = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"
    sql = f"""
        UPDATE {table} SET propensity = s.p, propensity_inputs = s.inputs
          FROM ({_score_sql(model, inner)}) s
         WHERE {table}.id = s.id
           AND {table}.id BETWEEN %s AND %s
           AND ({table}.propensity {distinct} s.p OR {table}.propensity_inputs {distinct} s.inputs)
    """  # noqa: S608 - fixed SQL; values are parameters
    # The chunk's range on the target too (as the risk step's): without it PostgreSQL may hash
    # the whole table to join one chunk.
    with connection.cursor() as cursor:
        cursor.execute(sql, (*params, lo, hi))
        changed = cursor.rowcount
    # Accounts that left the open stages are no longer scored: their old chance goes.
    cleared = (
        Account.objects.filter(id__range=(lo, hi), propensity__isnull=False)
        .exclude(stage__in=OPEN_STAGES)
        .update(propensity=None, propensity_inputs=None)
    )
    return changed + cleared


def active_model() -> PropensityModel | None:
    return PropensityModel.objects.filter(status=PropensityModel.Status.ACTIVE).first()


def propensity_refresh(
    *,
    as_of: date,
    now: datetime,
    chunk_size: int = 50_000,
    say: Callable[[str], None] | None = None,
) -> int:
    """The nightly step: score open accounts with the active model, writing only rows whose
    propensity or inputs changed; with no active model, clear every stored propensity (the
    queue and strategies fall back to the points tier). Returns how many rows changed."""
    model = active_model()
    if model is None:
        return Account.objects.filter(propensity__isnull=False).update(
            propensity=None, propensity_inputs=None
        )
    changed = 0
    for lo, hi in account_id_ranges(chunk_size):
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL jit = off")
            changed += _score_chunk(model, lo, hi, as_of=as_of, now=now)
        if say is not None:
            say(f"{as_of} propensity: ids up to {hi}, {changed} changed")
    return changed


# --- Training ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Samples:
    features: list[list[float]]
    labels: list[int]

    @property
    def positives(self) -> int:
        return sum(self.labels)

    def __len__(self) -> int:
        return len(self.labels)


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _months_back(month: date, months: int) -> date:
    index = month.year * 12 + month.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def holdout_month(as_of: date) -> date:
    """The most recent calendar month all of whose contacts' 30 days have passed by ``as_of``."""
    last_labelled = as_of - timedelta(days=LABEL_DAYS)  # contacts before this day are labelled
    end = _month_start(last_labelled)  # the first day of the month that is not complete
    return _months_back(end, 1)


def training_samples(*, as_of: date) -> tuple[Samples, Samples, date]:
    """(training, held-out, held-out month): outbound contacts of the ``HISTORY_MONTHS`` months
    before the held-out month and of that month, with their features and labels."""
    month = holdout_month(as_of)
    start = start_of_business_day(_months_back(month, HISTORY_MONTHS))
    split = start_of_business_day(month)
    end = start_of_business_day(_months_back(month, -1))
    contacts = ContactLog.objects.filter(
        direction=ContactLog.Direction.OUTBOUND,
        corrects__isnull=True,
        occurred_at__gte=start,
        occurred_at__lt=end,
    )
    total = contacts.count()
    if total > MAX_SAMPLES:  # every n-th id: deterministic, spread over the whole period
        step = math.ceil(total / MAX_SAMPLES)
        contacts = contacts.annotate(sample=Mod("id", step)).filter(sample=0)
    frame = Frame(account="account_id", account_prefix="account__")
    rows = (
        contacts.annotate(**feature_expressions(frame), paid=paid_within_label())
        .order_by("id")
        .values_list("occurred_at", "paid", *FEATURE_CODES)
    )
    train, held = Samples([], []), Samples([], [])
    for occurred_at, paid, *values in rows.iterator(chunk_size=5000):
        target = train if occurred_at < split else held
        target.features.append([float(v) for v in values])
        target.labels.append(int(bool(paid)))
    return train, held, month


@dataclass(frozen=True)
class TrainingResult:
    model: PropensityModel

    def lines(self) -> list[str]:
        m = self.model
        auc = "n/a" if m.auc is None else f"{m.auc:.3f}"
        month = m.holdout_month.strftime("%Y-%m") if m.holdout_month else "n/a"
        rows = [
            f"propensity model v{m.version}: {m.status}" + (f" ({m.note})" if m.note else ""),
            f"  training samples {m.train_samples}, positives {m.train_positives}",
            f"  held-out month {month}: samples {m.holdout_samples}, "
            f"positives {m.holdout_positives}",
            f"  held-out AUC {auc}",
        ]
        rows += [
            f"  {code:<22} {coef:+.4f}"
            for code, coef in zip(m.features, m.coefficients, strict=False)
        ]
        return rows


def _too_little(train: Samples, held: Samples) -> str:
    if len(train) < MIN_SAMPLES:
        return f"{len(train)} training samples, fewer than {MIN_SAMPLES}"
    if train.positives < MIN_POSITIVES:
        return f"{train.positives} paid within {LABEL_DAYS} days, fewer than {MIN_POSITIVES}"
    if train.positives == len(train):
        return "every training sample paid: a single class"
    if len(set(held.labels)) < 2:
        return "the held-out month lacks payers or non-payers: no AUC"
    return ""


def fit(train: Samples) -> tuple[list[float], float, list[float], list[float]]:
    """(coefficients, intercept, means, scales) of a logistic regression on standardised
    features; deterministic (lbfgs, fixed random state)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(train.features)
    regression = LogisticRegression(solver="lbfgs", max_iter=1000, random_state=0)
    regression.fit(scaler.transform(train.features), train.labels)
    return (
        [float(c) for c in regression.coef_[0]],
        float(regression.intercept_[0]),
        [float(m) for m in scaler.mean_],
        [float(s) for s in scaler.scale_],
    )


def propensity_train(*, as_of: date, now: datetime) -> TrainingResult:
    """Train on the history before ``as_of``'s held-out month and measure on that month. With
    enough history the new model becomes the active one (the previous is retired); otherwise a
    ``too_little_history`` record is kept and the active model, if any, stays."""
    from sklearn.metrics import roc_auc_score

    train, held, month = training_samples(as_of=as_of)
    fields: dict[str, Any] = {
        "trained_at": now,
        "as_of": as_of,
        "features": list(FEATURE_CODES),
        "train_samples": len(train),
        "train_positives": train.positives,
        "holdout_samples": len(held),
        "holdout_positives": held.positives,
        "holdout_month": month,
    }
    note = _too_little(train, held)
    if not note:
        coefficients, intercept, means, scales = fit(train)
        fields.update(coefficients=coefficients, intercept=intercept, means=means, scales=scales)
        candidate = PropensityModel(**fields)
        predicted = [
            probability(candidate, dict(zip(FEATURE_CODES, x, strict=True))) for x in held.features
        ]
        fields["auc"] = float(roc_auc_score(held.labels, predicted))
    with transaction.atomic():
        last = PropensityModel.objects.select_for_update().order_by("-version").first()
        version = (last.version if last else 0) + 1
        if note:
            model = PropensityModel.objects.create(
                version=version,
                status=PropensityModel.Status.TOO_LITTLE_HISTORY,
                note=note,
                **fields,
            )
        else:
            PropensityModel.objects.filter(status=PropensityModel.Status.ACTIVE).update(
                status=PropensityModel.Status.RETIRED
            )
            model = PropensityModel.objects.create(
                version=version, status=PropensityModel.Status.ACTIVE, **fields
            )
    return TrainingResult(model)


# --- Factors in the reader's language ----------------------------------------------------------
def _days_text(v: int) -> str:
    if v <= 0:
        return _("Not past due")
    return ngettext("%(days)s+ day past due", "%(days)s+ days past due", v) % {"days": v}


BALANCE_TEXTS = {
    0: lambda: _("Small balance"),
    1: lambda: _("Medium balance"),
    2: lambda: _("Large balance"),
    3: lambda: _("Very large balance"),
}

FACTOR_TEXTS: dict[str, Callable[[int], str]] = {
    "days_past_due": _days_text,
    "balance_band": lambda v: BALANCE_TEXTS.get(v, BALANCE_TEXTS[3])(),
    "payments_90d": lambda v: (
        ngettext(
            "Paid %(count)s time in the last 90 days",
            "Paid %(count)s times in the last 90 days",
            v,
        )
        % {"count": v}
        if v
        else _("No payment in the last 90 days")
    ),
    "broken_promises_180d": lambda v: (
        ngettext(
            "%(count)s broken promise in the last 180 days",
            "%(count)s broken promises in the last 180 days",
            v,
        )
        % {"count": v}
        if v
        else _("No broken promise in the last 180 days")
    ),
    "contacts_90d": lambda v: (
        ngettext(
            "%(count)s contact attempt in the last 90 days",
            "%(count)s contact attempts in the last 90 days",
            v,
        )
        % {"count": v}
        if v
        else _("No contact attempt in the last 90 days")
    ),
    "conversations_90d": lambda v: (
        ngettext(
            "Reached %(count)s time in the last 90 days",
            "Reached %(count)s times in the last 90 days",
            v,
        )
        % {"count": v}
        if v
        else _("Not reached in the last 90 days")
    ),
    "hardship": lambda v: _("Hardship declared") if v else _("No hardship declared"),
}


@dataclass(frozen=True)
class Factor:
    code: str
    text: str
    contribution: float

    @property
    def raises(self) -> bool:
        return self.contribution > 0


def top_factors(model: PropensityModel, inputs: Mapping[str, Any], count: int = 3) -> list[Factor]:
    """The features that moved this account's chance most (largest terms of the logit, either
    way), as sentences in the active language."""
    terms = contributions(model, inputs)
    ranked = sorted(
        (code for code in terms if code in FACTOR_TEXTS and inputs.get(code) is not None),
        key=lambda code: (-abs(terms[code]), code),
    )
    return [
        Factor(code, FACTOR_TEXTS[code](int(inputs[code])), terms[code])
        for code in ranked[:count]
        if terms[code] != 0
    ]


@dataclass(frozen=True)
class PropensityView:
    percent: int
    factors: list[Factor]


def account_propensity(account: Account) -> PropensityView | None:
    """The case page's propensity: the stored chance and its top factors by the active model
    (one query, only when the account has a propensity)."""
    if account.propensity is None:
        return None
    model = active_model()
    if model is None:
        return None
    inputs = account.propensity_inputs if isinstance(account.propensity_inputs, dict) else {}
    return PropensityView(
        percent=math.floor(account.propensity / 10 + 0.5), factors=top_factors(model, inputs)
    )


__all__ = [
    "FEATURES",
    "Frame",
    "PropensityView",
    "TrainingResult",
    "account_features",
    "account_propensity",
    "active_model",
    "feature_expressions",
    "holdout_month",
    "probability",
    "propensity_refresh",
    "propensity_train",
    "scores_sql",
    "top_factors",
]
