"""Writes from the supervisor pages: only through the owning apps' audited services."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import User
from plans import services as plan_services
from plans.models import Plan, Settlement, WriteOff

Decided = TypeVar("Decided")


def _decide(
    action: str, reason: str, *, approve: Callable[[str], Decided], reject: Callable[[str], Decided]
) -> Decided:
    reason = reason.strip()
    if not reason:
        raise ValidationError("Give a reason.")
    if action == "reject":
        return reject(reason)
    if action != "approve":
        raise ValidationError("Choose approve or reject.")
    return approve(reason)


@transaction.atomic
def plan_decide(*, plan: Plan, by: User, action: str, reason: str) -> Plan:
    """Approve or reject a pending plan with the supervisor's reason.

    ``plans.services`` does the transition, its audit and the event that carries the reason.
    """
    return _decide(
        action,
        reason,
        approve=lambda why: plan_services.plan_approve(plan=plan, by=by, note=why),
        reject=lambda why: plan_services.plan_reject(plan=plan, by=by, reason=why),
    )


@transaction.atomic
def settlement_decide(*, settlement: Settlement, by: User, action: str, reason: str) -> Settlement:
    """Approve (offer it to the customer) or reject a settlement waiting for approval, with the
    supervisor's reason; ``plans.services`` checks the authority and records the decision."""
    return _decide(
        action,
        reason,
        approve=lambda why: plan_services.settlement_approve(
            settlement=settlement, by=by, note=why
        ),
        reject=lambda why: plan_services.settlement_reject(
            settlement=settlement, by=by, reason=why
        ),
    )


@transaction.atomic
def write_off_decide(*, write_off: WriteOff, by: User, action: str, reason: str) -> WriteOff:
    """Approve (charge the account off) or reject a proposed write-off, with the supervisor's
    reason; ``plans.services`` checks who may and their authority, and audits it."""
    return _decide(
        action,
        reason,
        approve=lambda why: plan_services.write_off_approve(write_off=write_off, by=by, note=why),
        reject=lambda why: plan_services.write_off_reject(write_off=write_off, by=by, reason=why),
    )
