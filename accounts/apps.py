from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from accounts import models

        auditlog.register(models.Customer, mask_fields=["national_id"])
        auditlog.register(models.Account, exclude_fields=["updated_at", "risk_scored_at"])
        auditlog.register(models.Team)
        auditlog.register(models.BucketRange)
        auditlog.register(models.ContactPoint, mask_fields=["value"], exclude_fields=["updated_at"])
