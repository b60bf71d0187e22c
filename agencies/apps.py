from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgenciesConfig(AppConfig):
    name = "agencies"
    verbose_name = _("Collection agencies")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from agencies import models

        auditlog.register(models.Agency, exclude_fields=["updated_at"])
        auditlog.register(models.Placement)
        # The export itself holds names, addresses and numbers: the audit log keeps its hash.
        auditlog.register(models.PlacementBatch, exclude_fields=["export_content"])
        auditlog.register(models.AgencyCommission)
