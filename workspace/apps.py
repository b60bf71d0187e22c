from django.apps import AppConfig


class WorkspaceConfig(AppConfig):
    """What coordinates the apps for a person or a night: the work queue, the case page, the
    nightly run, the risk refresh and the demo data. No models of its own."""

    name = "workspace"
    label = "workspace"
    verbose_name = "Workspace"
