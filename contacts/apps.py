from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContactsConfig(AppConfig):
    name = "contacts"
    verbose_name = _("Contacts")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from contacts import models

        auditlog.register(models.ContactPoint, mask_fields=["value"], exclude_fields=["updated_at"])
