from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutreachConfig(AppConfig):
    """Making contact: the gated contact log, dispositions, reminders and channels (no models)."""

    name = "outreach"
    label = "outreach"
    verbose_name = _("Outreach")
