"""Reminder generation: the reminders due on a day, from installments, promises and treatment
strategies.

Idempotent: every reminder has a unique ``idempotency_key`` and rows are inserted with
``ignore_conflicts``, so a rerun for the same day creates nothing new. Non-message strategies
(``call``, ``visit``) are not reminders: the generator skips them; the work queues turn them
into specialists' tasks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from accounts import delinquency
from accounts.models import COLLECTION_STAGES, Account, Stage
from contacts import arms
from contacts.models import ContactPoint, MessageTemplate, Reminder, TreatmentStrategy
from outreach.reminders.conf import setting
from plans.models import Installment, InstallmentStatus, PlanStatus, PromiseStatus, PromiseToPay

MESSAGE_CHANNELS = tuple(Reminder.Channel.values)
#: Worked by others: the agency holding a placed account, the legal case of one in legal.
#: Settle sends them no reminders of its own (strategies already skip them: COLLECTION_STAGES).
WORKED_ELSEWHERE = (Stage.PLACED, Stage.LEGAL)
POINT_KIND = {"sms": "phone", "email": "email", "letter": "address"}
#: Channels tried for installment and promise reminders, in order; each needs a usable point.
SCHEDULE_CHANNELS = ("sms", "email")
TEMPLATE_CODE = {
    Reminder.Kind.INSTALLMENT_DUE: "payment-due",
    Reminder.Kind.INSTALLMENT_MISSED: "payment-missed",
    Reminder.Kind.PROMISE_DUE: "promise-due",
}


@dataclass
class GenerateSummary:
    considered: int = 0
    created: int = 0


class _Catalogue:
    """Active templates and usable contact points, loaded once per generation run."""

    def __init__(self, customer_ids: set[int]) -> None:
        self.templates: dict[tuple[str, str, str, str], MessageTemplate] = {}
        for t in MessageTemplate.objects.filter(is_active=True):
            self.templates.setdefault((t.code, t.channel, t.language, t.tone), t)
        self.points: dict[tuple[int, str], ContactPoint] = {}
        points = (
            ContactPoint.objects.filter(
                customer_id__in=customer_ids, is_valid=True, opted_out=False
            )
            .order_by("customer_id", "kind", "-is_primary", "id")
            .only("id", "customer_id", "kind")
        )
        for p in points:
            self.points.setdefault((p.customer_id, p.kind), p)

    def template(self, code: str, channel: str, account) -> MessageTemplate | None:
        language = account.customer.language
        tone = account.risk_tier
        found = self.templates.get((code, channel, language, tone))
        if found is None:  # same language, any tone, the general one first
            for fallback in ("general", "good", "high"):
                found = self.templates.get((code, channel, language, fallback))
                if found is not None:
                    break
        return found

    def point(self, customer_id: int, channel: str) -> ContactPoint | None:
        return self.points.get((customer_id, POINT_KIND[channel]))


def _reminder(
    catalogue: _Catalogue,
    *,
    account,
    kind: str,
    channel: str,
    code: str,
    key: str,
    now: datetime,
    amount: Decimal | None = None,
    due_date: date | None = None,
) -> Reminder | None:
    point = catalogue.point(account.customer_id, channel)
    if point is None and channel != "letter":  # a letter goes to the customer's address
        return None
    template = catalogue.template(code, channel, account)
    if template is None:
        return None
    return Reminder(
        account=account,
        kind=kind,
        channel=channel,
        contact_point=point,
        template=template,
        idempotency_key=key,
        amount=amount,
        due_date=due_date,
        due_at=now,
        next_attempt_at=now,
    )


def reminders_generate(*, as_of: date, now: datetime) -> GenerateSummary:
    """Create the reminders due on ``as_of``; running it again creates nothing new."""
    upcoming = as_of + timedelta(days=setting("upcoming_days"))
    look_back = as_of - timedelta(days=setting("missed_look_back_days"))
    installments = list(
        Installment.objects.filter(
            plan__status=PlanStatus.ACTIVE,
            due_date__gte=look_back,
            due_date__lte=upcoming,
        )
        .exclude(status=InstallmentStatus.PAID)
        .select_related("plan__account__customer")
    )
    promises = list(
        PromiseToPay.objects.filter(
            status=PromiseStatus.PENDING,
            due_date__gte=as_of,
            due_date__lte=as_of + timedelta(days=1),
        )
        .exclude(account__stage__in=WORKED_ELSEWHERE)
        .select_related("account__customer")
    )
    live = arms.live_versions()
    strategies = [
        s
        for s in TreatmentStrategy.objects.filter(live.steps(), is_active=True)
        if s.channel in MESSAGE_CHANNELS
    ]
    buckets = delinquency.configured_buckets()
    strategy_accounts: list[tuple[TreatmentStrategy, Any]] = []
    for strategy in strategies:
        # Collection strategies never reach an account on a plan (nor a closed one): the plan's
        # installment reminders are its only automatic messages.
        # Nor one placed with an agency or in legal (COLLECTION_STAGES: early and late).
        wanted = [strategy.stage] if strategy.stage else COLLECTION_STAGES
        stages = [s for s in wanted if s in COLLECTION_STAGES]
        accounts = delinquency.annotate(
            Account.objects.filter(
                stage__in=stages,
                risk_tier=strategy.risk_tier,
                customer__jurisdiction=strategy.jurisdiction,
            ).select_related("customer"),
            as_of=as_of,
            buckets=buckets,
        ).filter(bucket_code=strategy.bucket_code)
        # With a challenger running, each version's steps reach only its own arm; a step with a
        # propensity band only the accounts scored inside it.
        accounts = live.in_arm_of(accounts, strategy.version_id).filter(
            strategy.propensity_filter()
        )
        strategy_accounts.extend((strategy, a) for a in accounts)

    customer_ids = {i.plan.account.customer_id for i in installments}
    customer_ids |= {p.account.customer_id for p in promises}
    customer_ids |= {a.customer_id for _, a in strategy_accounts}
    catalogue = _Catalogue(customer_ids)
    rows: list[Reminder | None] = []

    for inst in installments:
        account = inst.plan.account
        missed = inst.due_date < as_of  # not paid (paid ones are excluded above)
        if not missed and inst.due_date == as_of:
            continue  # due today: its upcoming reminder went out days ago
        kind = Reminder.Kind.INSTALLMENT_MISSED if missed else Reminder.Kind.INSTALLMENT_DUE
        offset = "missed" if missed else f"d-{setting('upcoming_days')}"
        owing = (inst.amount or Decimal("0")) - (inst.paid_amount or Decimal("0"))
        for channel in SCHEDULE_CHANNELS:
            rows.append(
                _reminder(
                    catalogue,
                    account=account,
                    kind=kind,
                    channel=channel,
                    code=TEMPLATE_CODE[kind],
                    key=f"inst:{inst.pk}:{inst.due_date.isoformat()}:{channel}:{offset}",
                    now=now,
                    amount=owing,
                    due_date=inst.due_date,
                )
            )
    for promise in promises:
        for channel in SCHEDULE_CHANNELS:
            rows.append(
                _reminder(
                    catalogue,
                    account=promise.account,
                    kind=Reminder.Kind.PROMISE_DUE,
                    channel=channel,
                    code=TEMPLATE_CODE[Reminder.Kind.PROMISE_DUE],
                    key=f"promise:{promise.pk}:{channel}",
                    now=now,
                    amount=promise.amount,
                    due_date=promise.due_date,
                )
            )
    for strategy, account in strategy_accounts:
        # One reminder per cadence period: periods are fixed windows of ``cadence_days`` days
        # counted from day 0, so every rerun inside a period computes the same key.
        cadence = max(1, strategy.cadence_days)
        period = date.fromordinal(as_of.toordinal() - as_of.toordinal() % cadence)
        rows.append(
            _reminder(
                catalogue,
                account=account,
                kind=Reminder.Kind.STRATEGY,
                channel=strategy.channel,
                code=strategy.template_code,
                key=f"strategy:{strategy.pk}:{account.pk}:{period.isoformat()}",
                now=now,
            )
        )
    wanted = [r for r in rows if r is not None]
    existing: set[str] = set()
    keys = [r.idempotency_key for r in wanted]
    for start in range(0, len(keys), 5000):
        existing.update(
            Reminder.objects.filter(idempotency_key__in=keys[start : start + 5000]).values_list(
                "idempotency_key", flat=True
            )
        )
    new = list({r.idempotency_key: r for r in wanted if r.idempotency_key not in existing}.values())
    # ignore_conflicts: a generation running at the same time may insert the same keys.
    Reminder.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)
    return GenerateSummary(considered=len(wanted), created=len(new))
