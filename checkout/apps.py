from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CheckoutConfig(AppConfig):
    """Online payments through a hosted-checkout provider: sessions, signed webhooks."""

    name = "checkout"
    verbose_name = _("Online payments")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from checkout import models

        # The raw payload is the event row itself; its audit entry need not copy it.
        auditlog.register(models.CheckoutSession)
        auditlog.register(models.ProviderEvent, exclude_fields=["payload"])
