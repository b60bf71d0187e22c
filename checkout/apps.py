from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CheckoutConfig(AppConfig):
    """Online payments through a hosted-checkout provider: sessions, signed webhooks."""

    name = "checkout"
    verbose_name = _("Online payments")
