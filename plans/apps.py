from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlansConfig(AppConfig):
    name = "plans"
    verbose_name = _("Installment plans")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from plans import models

        # Installments and allocations are not registered: every change to them is an
        # Allocation row of a registered Payment, and PlanEvent is itself the plan's history.
        auditlog.register(models.Plan, exclude_fields=["updated_at"])
        auditlog.register(models.Payment)
        auditlog.register(models.PromiseToPay)
        auditlog.register(models.PlanPolicy, exclude_fields=["updated_at"])
        auditlog.register(models.MinimumInstallment)
        auditlog.register(models.SettlementAuthority)
        auditlog.register(models.Settlement, exclude_fields=["updated_at"])
        auditlog.register(models.HardshipArrangement, exclude_fields=["updated_at"])
        auditlog.register(models.WriteOffPolicy, exclude_fields=["updated_at"])
        auditlog.register(models.WriteOff, exclude_fields=["updated_at"])
