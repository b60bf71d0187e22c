"""Writes from the supervisor pages: only through the owning apps' audited services."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import User
from plans import services as plan_services
from plans.models import Plan


@transaction.atomic
def plan_decide(*, plan: Plan, by: User, action: str, reason: str) -> Plan:
    """Approve or reject a pending plan with the supervisor's reason.

    ``plans.services`` does the transition, its audit and the event that carries the reason.
    """
    reason = reason.strip()
    if not reason:
        raise ValidationError("Give a reason.")
    if action == "reject":
        return plan_services.plan_reject(plan=plan, by=by, reason=reason)
    if action != "approve":
        raise ValidationError("Choose approve or reject.")
    return plan_services.plan_approve(plan=plan, by=by, note=reason)
