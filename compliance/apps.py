from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplianceConfig(AppConfig):
    name = "compliance"
    verbose_name = _("Compliance")

    def ready(self) -> None:
        from auditlog.registry import auditlog
        from django.db.models.signals import post_delete, post_save

        from compliance import models, profiles

        auditlog.register(models.JurisdictionProfile, exclude_fields=["updated_at"])
        auditlog.register(models.WordingRule, exclude_fields=["updated_at"])
        auditlog.register(models.RequiredText, exclude_fields=["updated_at"])
        auditlog.register(models.CommunicationRestriction)

        def changed(sender, **kwargs) -> None:
            profiles.profiles_changed()

        for model in (models.JurisdictionProfile, models.WordingRule, models.RequiredText):
            post_save.connect(changed, sender=model, weak=False, dispatch_uid=f"{model}-saved")
            post_delete.connect(changed, sender=model, weak=False, dispatch_uid=f"{model}-gone")
