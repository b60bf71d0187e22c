"""Beat schedule of the daily recall (editable by admins in django-celery-beat).

Daily at 02:30 UTC: after the nightly run (02:00), so a recalled account's stage is measured
with the night's figures, and before the dashboards' full refresh.
"""

from django.db import migrations

SCHEDULES = {
    "Agencies: recall placements whose recall date has come": (
        "agencies.tasks.placements_recall_due_task",
        "30",
        "2",
    ),
}


def schedules_create(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    for name, (task, minute, hour) in SCHEDULES.items():
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=minute,
            hour=hour,
            day_of_week="*",
            day_of_month="*",
            month_of_year="*",
            timezone="UTC",
        )
        PeriodicTask.objects.get_or_create(
            name=name, defaults={"task": task, "crontab": crontab, "enabled": True}
        )
    # Tell a running DatabaseScheduler that the schedule changed.
    from django.utils import timezone

    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def schedules_remove(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=list(SCHEDULES)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("agencies", "0001_agencies_placements_commissions"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedules_create, schedules_remove)]
