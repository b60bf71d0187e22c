from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from auditlog.registry import auditlog
        from django.db.models.signals import post_migrate

        from accounts.roles import roles_apply_after_migrate

        # Sent once per app after Django creates that app's permissions; the last one sees
        # them all. Each run only adds what is missing.
        post_migrate.connect(roles_apply_after_migrate, dispatch_uid="settle-roles-apply")

        from accounts import models

        auditlog.register(models.Customer, mask_fields=["national_id"])
        auditlog.register(
            models.Account, mask_fields=["number"], exclude_fields=["updated_at", "risk_scored_at"]
        )
        auditlog.register(models.Team)
        auditlog.register(models.BucketRange)
        auditlog.register(models.ContactPoint, mask_fields=["value"], exclude_fields=["updated_at"])
