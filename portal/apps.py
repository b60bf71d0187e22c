from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    """The customer's own side: signed links, verification and self-service."""

    name = "portal"
    verbose_name = _("Customer portal")
