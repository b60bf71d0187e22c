"""Writes for the accounts app: every change goes through one of these (audited)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from accounts import delinquency, risk
from accounts.assignment import distribute
from accounts.models import (
    OPEN_STAGES,
    Account,
    BucketHistory,
    ContactPoint,
    Customer,
    PersonalDataReveal,
    ReAge,
    Role,
    Stage,
    Team,
    User,
)
from accounts.signals import accounts_reassigned_send
from core.audit import acting_as  # noqa: E402,F401  (re-exported: every app attributes with it)

REVEAL_PERMISSION = "accounts.reveal_personal_data"


def _apply(instance, data: dict[str, Any]) -> None:
    for field, value in data.items():
        setattr(instance, field, value)
    instance.full_clean(validate_unique=False, validate_constraints=False)


# --- Customers -----------------------------------------------------------------------------
@transaction.atomic
def customer_create(*, by: User | None, **fields: Any) -> Customer:
    customer = Customer(**fields)
    customer.full_clean()
    with acting_as(by):
        customer.save()
    return customer


@transaction.atomic
def customer_update(*, customer: Customer, by: User | None, data: dict[str, Any]) -> Customer:
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    _apply(customer, data)
    with acting_as(by):
        customer.save()
    return customer


# --- Assignment ----------------------------------------------------------------------------
def specialists_by_load(team: Team) -> list[tuple[int, int]]:
    """``(user_id, open accounts)`` for the team's active specialists, least loaded first."""
    rows = (
        User.objects.filter(team=team, is_active=True, groups__name=Role.SPECIALIST)
        .annotate(
            load=Count("assigned_accounts", filter=Q(assigned_accounts__stage__in=OPEN_STAGES))
        )
        .order_by("load", "id")
        .values_list("id", "load")
    )
    return list(rows)


def least_loaded_specialist(team: Team) -> User | None:
    loads = specialists_by_load(team)
    return User.objects.get(pk=loads[0][0]) if loads else None


def accounts_assign_unassigned(*, team: Team, chunk_size: int = 5000) -> int:
    """Give each unassigned open account of ``team`` to the least-loaded specialist.

    Greedy over current loads, so a large import spreads evenly; one UPDATE per specialist share.
    """
    loads = specialists_by_load(team)
    if not loads:
        return 0
    pending = list(
        Account.objects.filter(team=team, assigned_to__isnull=True, stage__in=OPEN_STAGES)
        .order_by("id")
        .values_list("id", flat=True)
    )
    shares: dict[int, list[int]] = {}
    for account_id, user_id in zip(pending, distribute(loads, len(pending)), strict=True):
        shares.setdefault(user_id, []).append(account_id)
    with transaction.atomic():
        for user_id, ids in shares.items():
            for start in range(0, len(ids), chunk_size):
                Account.objects.filter(id__in=ids[start : start + chunk_size]).update(
                    assigned_to_id=user_id
                )
        accounts_reassigned_send(pending)
    return len(pending)


# --- Accounts ------------------------------------------------------------------------------
@transaction.atomic
def account_create(
    *, by: User | None, customer: Customer, team: Team, as_of: date | None = None, **fields: Any
) -> Account:
    """Create an account, assign it to the team's least-loaded specialist, open its bucket stay."""
    account = Account(customer=customer, team=team, **fields)
    if account.assigned_to_id is None:
        account.assigned_to = least_loaded_specialist(team)
    account.full_clean()
    with acting_as(by):
        account.save()
    as_of = as_of or delinquency.business_date()
    dpd = delinquency.days_past_due(account.delinquent_since, as_of)
    BucketHistory.objects.create(
        account=account,
        bucket=delinquency.bucket_for(dpd).code,
        entered_on=as_of,
        entry_balance=account.total_balance,
        entry_days_past_due=dpd,
    )
    # A new account has no payments, promises or plans yet: its fields and the customer's
    # contactability are the whole input (workspace.risk_refresh adds the history later).
    contactable = ContactPoint.objects.contactable().filter(customer=customer).exists()
    result = risk.score(risk.risk_inputs(account, as_of=as_of, contactable=contactable))
    account.risk_score, account.risk_tier = result.score, result.tier
    account.risk_factors = result.factors_as_json()
    account.risk_scored_at = timezone.now()
    # Derived data: stored without an audit row, as the nightly refresh does.
    Account.objects.filter(pk=account.pk).update(
        risk_score=account.risk_score,
        risk_tier=account.risk_tier,
        risk_factors=account.risk_factors,
        risk_scored_at=account.risk_scored_at,
    )
    return account


@transaction.atomic
def account_update(*, account: Account, by: User | None, data: dict[str, Any]) -> Account:
    account = Account.objects.select_for_update().get(pk=account.pk)
    if "team" in data and data["team"] != account.team and "assigned_to" not in data:
        data = {**data, "assigned_to": least_loaded_specialist(data["team"])}
    specialist = account.assigned_to_id
    _apply(account, data)
    with acting_as(by):
        account.save()
    if account.assigned_to_id != specialist:
        accounts_reassigned_send([account.pk])
    return account


@transaction.atomic
def account_stage_set(*, account: Account, stage: str, by: User | None) -> Account:
    """Move an account to ``stage`` (e.g. on_plan when a plan activates, back when it breaks)."""
    account = Account.objects.select_for_update().get(pk=account.pk)
    if account.stage != stage:
        account.stage = stage
        with acting_as(by):
            account.save(update_fields=["stage", "updated_at"])
    return account


@transaction.atomic
def account_reage(
    *,
    account: Account,
    delinquent_since: date | None,
    reason: str,
    by: User | None,
    now: datetime,
    plan_id: int | None = None,
    note: str = "",
) -> ReAge | None:
    """Set ``delinquent_since`` for a reason of Settle's own and record the re-age (audited).

    The date before the account's first re-age is kept as ``original_delinquent_since``. No
    change, no record: calling it again with the same date does nothing.
    """
    account = Account.objects.select_for_update().get(pk=account.pk)
    previous = account.delinquent_since
    if previous == delinquent_since:
        return None
    fields = ["delinquent_since", "updated_at"]
    if account.original_delinquent_since is None and not account.re_ages.exists():
        account.original_delinquent_since = previous
        fields.append("original_delinquent_since")
    account.delinquent_since = delinquent_since
    with acting_as(by):
        account.save(update_fields=fields)
    return ReAge.objects.create(
        account=account,
        at=now,
        reason=reason,
        previous_delinquent_since=previous,
        delinquent_since=delinquent_since,
        plan_id=plan_id,
        by=by if by is not None and by.is_authenticated else None,
        note=note[:255],
    )


def stage_after_plan(account: Account, *, as_of: date) -> str:
    """The collections stage an account returns to when its plan ends without completing."""
    dpd = delinquency.days_past_due(account.delinquent_since, as_of)
    return Stage.EARLY if dpd < 60 else Stage.LATE


# --- Personal data -------------------------------------------------------------------------
def personal_data_reveal(
    *,
    user: User,
    customer: Customer,
    account: Account | None = None,
    channel: str = "web",
    remote_addr: str | None = None,
) -> dict[str, str]:
    """Return the unmasked personal data of ``customer`` and record who saw it, when."""
    if not user.has_perm(REVEAL_PERMISSION):
        raise PermissionDenied("You do not have permission to reveal personal data.")
    revealed: dict[str, Any] = {"national_id": customer.national_id}
    if account is not None:
        revealed["account_number"] = account.number
    revealed["contact_points"] = {
        str(cp.id): cp.value
        for cp in ContactPoint.objects.filter(customer=customer).only("id", "value")
    }
    PersonalDataReveal.objects.create(
        user=user,
        customer=customer,
        account=account,
        fields=sorted(revealed),
        channel=channel,
        remote_addr=remote_addr,
    )
    return revealed


# --- Phone time zones ------------------------------------------------------------------------

PHONE_ZONES_CHUNK = 5000


def phone_zones_resolve(*, chunk: int = PHONE_ZONES_CHUNK) -> int:
    """Store the time zones of phone numbers stored without them (a bulk load writes rows
    with SQL and leaves them to this); the number resolved. Idempotent and safe beside other
    writers: a row is filled only while still unresolved, and ``ContactPoint.save`` resolves
    any number it stores itself."""
    phone = ContactPoint.Kind.PHONE
    resolved = 0
    last = 0
    while True:
        rows = list(
            ContactPoint.objects.filter(pk__gt=last, kind=phone, phone_time_zones__isnull=True)
            .order_by("pk")
            .values_list("pk", "value")[:chunk]
        )
        if not rows:
            return resolved
        last = rows[-1][0]
        by_zones: dict[str | None, list[int]] = {}
        for pk, value in rows:
            by_zones.setdefault(ContactPoint.zones_of(phone, value), []).append(pk)
        with transaction.atomic():
            for zones, ids in by_zones.items():
                resolved += ContactPoint.objects.filter(
                    pk__in=ids, phone_time_zones__isnull=True
                ).update(phone_time_zones=zones)
