from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "dashboards"
    verbose_name = "Dashboards"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from dashboards import models

        # Targets are set by people and drive what a team is judged on: every change is kept.
        auditlog.register(models.Target)
