"""The errors the plan, payment and promise services raise; the API turns them into 409s."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError

from core.conflicts import DomainConflict

if TYPE_CHECKING:
    from plans.models import Plan


class PlanStateError(ValidationError):
    """A transition asked of a plan in the wrong state; the API answers 409 naming the status."""

    def __init__(self, plan: Plan, message: str) -> None:
        super().__init__(message)
        self.plan_status = plan.status


class ConflictError(DomainConflict):
    """The request contradicts what is stored (the API answers 409, a page a form error)."""


class PaymentConflict(ConflictError):
    pass


class PromiseConflict(ConflictError):
    pass
