from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContactsConfig(AppConfig):
    name = "contacts"
    verbose_name = _("Contacts")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from accounts.signals import accounts_reassigned
        from contacts import models
        from contacts.services import callbacks_follow_reassigned

        # Open callbacks follow their account to its new specialist (accounts.signals).
        accounts_reassigned.connect(
            callbacks_follow_reassigned, dispatch_uid="settle-callbacks-follow"
        )
        # Who changed a strategy, and who started, stopped or promoted a challenger.
        auditlog.register(models.StrategyVersion)
        auditlog.register(models.TreatmentStrategy, exclude_fields=["updated_at"])
