"""Writes of the agencies app: placing accounts, recalling them, an agency's commission on a
payment, a recorded export download. Each runs in a transaction and is audited."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import CLOSED_STAGES, Account, Role, Stage, User
from accounts.services import account_stage_set, acting_as, stage_after_plan
from agencies import eligibility, export
from agencies.models import (
    Agency,
    AgencyCommission,
    ExportDownload,
    Placement,
    PlacementBatch,
    PlacementStatus,
)
from core.business_calendar import business_day_or_today
from core.conflicts import DomainConflict
from core.money import display_places, round_to_currency
from plans.models import Payment

#: Days until recall when the agency sets no longest placement.
DEFAULT_PLACEMENT_DAYS = 180
#: The most accounts one batch places (one request, one file).
MAX_BATCH = 5000


class PlacementEnded(DomainConflict):
    """The placement was already recalled or ended."""


def _require_lead(by: User | None) -> None:
    if by is None or not by.has_role(Role.SUPERVISOR, Role.ADMIN):
        raise PermissionDenied(_("Only supervisors and admins place and recall accounts."))


def default_recall_on(agency: Agency, today: date) -> date:
    return today + timedelta(days=agency.max_placement_days or DEFAULT_PLACEMENT_DAYS)


def _check_recall_on(agency: Agency, recall_on: date, today: date) -> None:
    if recall_on <= today:
        raise ValidationError({"recall_on": [_("The recall date must be after today.")]})
    if agency.max_placement_days and recall_on > today + timedelta(agency.max_placement_days):
        raise ValidationError(
            {
                "recall_on": [
                    _("%(agency)s takes accounts for at most %(days)s days: recall by %(last)s.")
                    % {
                        "agency": agency.name,
                        "days": agency.max_placement_days,
                        "last": (today + timedelta(agency.max_placement_days)).isoformat(),
                    }
                ]
            }
        )


@transaction.atomic
def placement_create(
    *,
    accounts: Iterable[Account | int],
    agency: Agency,
    by: User,
    recall_on: date | None = None,
    now: datetime | None = None,
) -> PlacementBatch:
    """Place ``accounts`` with ``agency`` as one batch with one export file.

    All or nothing: an account ``by`` may not see, or that may not be placed (outside the
    agency's jurisdictions, already placed, not early or late, on hold, owing nothing), is
    refused with its reason and nothing is placed. Each placed account moves to the ``placed``
    stage (audited); the stage it left is kept on its placement.
    """
    _require_lead(by)
    today = business_day_or_today(now)
    now = now or timezone.now()
    agency = Agency.objects.get(pk=agency.pk)
    if not agency.is_active:
        raise ValidationError({"agency": [_("This agency is not active.")]})
    recall_on = recall_on or default_recall_on(agency, today)
    _check_recall_on(agency, recall_on, today)
    ids = list(dict.fromkeys(a.pk if isinstance(a, Account) else int(a) for a in accounts))
    if not ids:
        raise ValidationError({"accounts": [_("Choose at least one account.")]})
    if len(ids) > MAX_BATCH:
        raise ValidationError(
            {"accounts": [_("Place at most %(n)s accounts at once.") % {"n": MAX_BATCH}]}
        )
    # Locked in id order (as every account write), so a second placement of the same account
    # waits here and then finds the first one's open placement.
    locked = {
        a.pk: a
        for a in Account.objects.visible_to(by)
        .filter(pk__in=ids)
        .select_related("customer")
        .select_for_update(of=("self",))
        .order_by("pk")
    }
    errors = [_("Account %(id)s: no such account.") % {"id": pk} for pk in ids if pk not in locked]
    reasons = eligibility.refusals(locked.values(), agency=agency, day=today)
    errors += [
        _("Account %(number)s: %(reason)s.")
        % {"number": locked[pk].masked_number, "reason": reasons[pk]}
        for pk in ids
        if pk in reasons
    ]
    if errors:
        raise ValidationError({"accounts": errors})

    batch = PlacementBatch(agency=agency, placed_at=now, placed_by=by, count=len(ids))
    placements = []
    with acting_as(by):
        batch.save()
        for pk in ids:
            account = locked[pk]
            placement = Placement(
                account=account,
                agency=agency,
                batch=batch,
                placed_at=now,
                placed_by=by,
                recall_on=recall_on,
                stage_before=account.stage,
                currency=account.currency,
                balance_at_placement=account.total_balance,
            )
            placement.save()
            placements.append(placement)
            account_stage_set(account=account, stage=Stage.PLACED, by=by)
        batch.export_content = export.export_csv(placements)
        batch.export_sha256 = export.sha256(batch.export_content)
        batch.save(update_fields=["export_content", "export_sha256"])
    return batch


def _stage_after_recall(placement: Placement, account: Account, today: date) -> str:
    """Back to collections: early or late by days past due (as after a plan), or legal if it
    came from there."""
    if placement.stage_before == Stage.LEGAL:
        return Stage.LEGAL
    return stage_after_plan(account, as_of=today)


def _placement_end(
    placement: Placement, *, status: str, by: User | None, reason: str, now: datetime
) -> Placement:
    """End an open placement (account and placement locked by the caller); an account still in
    the placed stage returns to collections and so to the queue."""
    placement.status = status
    placement.recalled_at = now
    placement.recalled_by = by if by is not None and by.is_authenticated else None
    placement.recall_reason = reason[:255]
    with acting_as(by):
        placement.save(update_fields=["status", "recalled_at", "recalled_by", "recall_reason"])
    account = placement.account
    if account.stage == Stage.PLACED:
        today = business_day_or_today(now)
        account_stage_set(
            account=account, stage=_stage_after_recall(placement, account, today), by=by
        )
    return placement


def _lock(pk: int, account_id: int) -> Placement:
    """Lock the account, then its placement (the order of every account write)."""
    Account.objects.select_for_update().filter(pk=account_id).first()
    return Placement.objects.select_for_update().select_related("account", "agency").get(pk=pk)


@transaction.atomic
def placement_recall(
    *, placement: Placement, by: User, reason: str, now: datetime | None = None
) -> Placement:
    """Recall a placement on demand: the account comes back to Settle's own collections."""
    _require_lead(by)
    if not by.sees_all_teams and placement.account.team_id != by.team_id:
        raise PermissionDenied(_("This account belongs to another team."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the account is recalled.")]})
    placement = _lock(placement.pk, placement.account_id)
    if placement.status != PlacementStatus.PLACED:
        raise PlacementEnded(_("This placement has already ended."))
    return _placement_end(
        placement,
        status=PlacementStatus.RECALLED,
        by=by,
        reason=reason,
        now=now or timezone.now(),
    )


def placements_recall_due(*, now: datetime | None = None) -> int:
    """Beat, daily: recall every placement whose recall date has come, and end those whose
    account closed meanwhile (paid, settled, written off). Idempotent: a placement is ended
    once, under its lock, so a rerun or a second worker finds nothing left to do."""
    now = now or timezone.now()
    today = business_day_or_today(now)
    due = Placement.objects.filter(status=PlacementStatus.PLACED).filter(
        Q(recall_on__lte=today) | Q(account__stage__in=CLOSED_STAGES)
    )
    ended = 0
    for pk, account_id in due.order_by("pk").values_list("pk", "account_id"):
        with transaction.atomic():
            placement = _lock(pk, account_id)
            if placement.status != PlacementStatus.PLACED:
                continue
            if placement.account.stage in CLOSED_STAGES:
                status, reason = PlacementStatus.CLOSED, "Account closed"
            else:
                status, reason = PlacementStatus.RECALLED, "Recall date reached"
            _placement_end(placement, status=status, by=None, reason=reason, now=now)
            ended += 1
    return ended


@transaction.atomic
def agency_commission_record(
    *,
    payment: Payment,
    placement: Placement,
    amount: Decimal | None,
    by: User | None,
) -> AgencyCommission:
    """The agency's commission on a payment it reported: ``amount``, or by default the agency's
    rate of the payment rounded to the currency (half up)."""
    currency = placement.currency
    if amount is None:
        amount = round_to_currency(
            payment.amount * placement.agency.commission_rate / 100, currency
        )
    if amount < 0:
        raise ValidationError({"commission": [_("The commission may not be negative.")]})
    if amount > payment.amount:
        raise ValidationError({"commission": [_("The commission exceeds the payment.")]})
    if amount != round(amount, display_places(currency)):
        raise ValidationError(
            {"commission": [_("More decimal places than %(c)s allows.") % {"c": currency}]}
        )
    commission = AgencyCommission(payment=payment, placement=placement, amount=amount)
    with acting_as(by):
        commission.save()
    return commission


def export_download_record(
    *, batch: PlacementBatch, user: User, remote_addr: str | None, now: datetime | None = None
) -> bytes:
    """The batch's export, with a record of who took it (the file holds personal data)."""
    _require_lead(user)
    ExportDownload.objects.create(
        batch=batch, user=user, at=now or timezone.now(), remote_addr=remote_addr
    )
    return bytes(batch.export_content)
