"""Reassigning cases and rebalancing a team, set-based and audited.

Both write one UPDATE per receiving specialist (in chunks) instead of a save per account, and
one django-auditlog ``LogEntry`` per moved account (``assigned_to`` old → new, the acting user,
the time), bulk-inserted — the same shape the account's own audit trail shows for a save.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from accounts.assignment import distribute
from accounts.models import OPEN_STAGES, Account, Role, Team, User
from accounts.signals import accounts_reassigned_send

CHUNK = 5000


def _require_supervisor(by: User) -> None:
    if not by.has_role(Role.SUPERVISOR, Role.ADMIN):
        raise PermissionDenied("Only a supervisor or an admin may reassign cases.")


def _require_team(by: User, team_id: int) -> None:
    if not by.sees_all_teams and by.team_id != team_id:
        raise PermissionDenied("These accounts belong to another team.")


def active_specialists(team: Team):
    return User.objects.filter(team=team, is_active=True, groups__name=Role.SPECIALIST)


def _move(moves: list[tuple[int, int | None, int]], *, by: User, now: datetime, why: str) -> int:
    """Apply ``(account id, old specialist id, new specialist id)`` moves and audit each; what
    follows an account (its open callbacks) moves with it (``accounts.signals``)."""
    by_target: dict[int, list[int]] = {}
    for account_id, _old, new in moves:
        by_target.setdefault(new, []).append(account_id)
    for user_id, ids in by_target.items():
        for start in range(0, len(ids), CHUNK):
            Account.objects.filter(id__in=ids[start : start + CHUNK]).update(
                assigned_to_id=user_id, updated_at=now
            )
    content_type = ContentType.objects.get_for_model(Account)
    LogEntry.objects.bulk_create(
        (
            LogEntry(
                content_type=content_type,
                object_pk=str(account_id),
                object_id=account_id,
                object_repr=f"account {account_id}",
                action=LogEntry.Action.UPDATE,
                changes={"assigned_to": [str(old), str(new)]},
                changes_text="",
                actor=by,
                timestamp=now,
                additional_data={"reason": why},
            )
            for account_id, old, new in moves
        ),
        batch_size=CHUNK,
    )
    accounts_reassigned_send(account_id for account_id, _old, _new in moves)
    return len(moves)


@transaction.atomic
def accounts_reassign(
    *, account_ids: Iterable[int], to: User, by: User, now: datetime | None = None
) -> int:
    """Give the accounts to specialist ``to`` of their own team; returns how many moved."""
    _require_supervisor(by)
    now = now or timezone.now()
    ids = sorted({int(i) for i in account_ids})
    if not ids:
        raise ValidationError("Select at least one account.")
    if not to.is_active or not to.has_role(Role.SPECIALIST) or to.team_id is None:
        raise ValidationError("Cases can only go to an active specialist with a team.")
    rows = list(
        Account.objects.select_for_update()
        .filter(id__in=ids)
        .values_list("id", "team_id", "assigned_to_id")
    )
    if len(rows) != len(ids):
        raise ValidationError("Some of the selected accounts do not exist.")
    for _id, team_id, _old in rows:
        _require_team(by, team_id)
        if team_id != to.team_id:
            raise ValidationError("A specialist can only take accounts of their own team.")
    moves = [(i, old, to.pk) for i, _team, old in rows if old != to.pk]
    return _move(moves, by=by, now=now, why="reassign")


@transaction.atomic
def team_rebalance(*, team: Team, by: User, now: datetime | None = None) -> int:
    """Even out open cases across the team's active specialists (loads differ by at most one).

    Cases of overloaded specialists (the least urgent first) and open cases with no active
    specialist go, least-loaded first, to the others (``accounts.assignment.distribute``).
    Returns how many accounts moved.
    """
    _require_supervisor(by)
    _require_team(by, team.pk)
    now = now or timezone.now()
    specialists = list(
        active_specialists(team)
        .annotate(
            load=Count(
                "assigned_accounts",
                filter=Q(assigned_accounts__stage__in=OPEN_STAGES, assigned_accounts__team=team),
            )
        )
        .order_by("id")
        .values_list("id", "load")
    )
    if not specialists:
        raise ValidationError("The team has no active specialist.")
    open_accounts = Account.objects.select_for_update().filter(team=team, stage__in=OPEN_STAGES)
    active_ids = [uid for uid, _load in specialists]
    pool: list[tuple[int, int | None]] = list(
        open_accounts.exclude(assigned_to_id__in=active_ids)
        .order_by("id")
        .values_list("id", "assigned_to_id")
    )
    total = sum(load for _uid, load in specialists) + len(pool)
    base, extra = divmod(total, len(specialists))
    cap = base + (1 if extra else 0)
    kept: list[tuple[int, int]] = []
    for user_id, load in specialists:
        if load > cap:
            excess = list(
                open_accounts.filter(assigned_to_id=user_id)
                .order_by("queue_priority", "-id")
                .values_list("id", flat=True)[: load - cap]
            )
            pool += [(account_id, user_id) for account_id in excess]
            load = cap
        kept.append((user_id, load))
    targets = distribute(kept, len(pool))
    moves = [(a, old, new) for (a, old), new in zip(pool, targets, strict=True) if old != new]
    return _move(moves, by=by, now=now, why="rebalance")
