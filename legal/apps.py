from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LegalConfig(AppConfig):
    """Legal referral and legal cases: court, filing, hearing, judgment, enforcement, costs."""

    name = "legal"
    verbose_name = _("Legal")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from legal import models

        auditlog.register(models.LegalAuthority)
        auditlog.register(models.LegalReferral)
        auditlog.register(models.ReferralDocument)
        auditlog.register(models.LegalCase, exclude_fields=["updated_at"])
        auditlog.register(models.LegalStep)
        auditlog.register(models.LegalCost)
