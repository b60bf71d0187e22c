from django.apps import AppConfig


class FeedsConfig(AppConfig):
    """The bank's file imports: the account feed and the payment file. No models of its own;
    a feed writes the models of the apps below it (accounts, contacts, plans)."""

    name = "feeds"
    label = "feeds"
    verbose_name = "Bank feeds"
