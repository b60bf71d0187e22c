"""Contact points store their phone number's time zones (``core.phones``), so a send does not
parse the number again.

Existing rows start unresolved (NULL): the hourly ``phone_zones_resolve_task`` fills them in
chunks, and until then the checks look the number up as before. A data migration would hold
the table for minutes on a bank's millions of numbers.
"""

from django.db import migrations, models

SCHEDULES = {
    "Contact points: resolve the time zones of new phone numbers": (
        "workspace.tasks.phone_zones_resolve_task",
        "20",
        "*",
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
        ("accounts", "0013_nightly_mark_own_transactions"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.AddField(
            model_name="contactpoint",
            name="phone_time_zones",
            field=models.TextField(
                blank=True,
                editable=False,
                help_text="From the phone number's range; filled in when the number is stored.",
                null=True,
                verbose_name="time zones of the number",
            ),
        ),
        migrations.AddIndex(
            model_name="contactpoint",
            index=models.Index(
                condition=models.Q(("kind", "phone"), ("phone_time_zones__isnull", True)),
                fields=["id"],
                name="contactpoint_zones_unresolved",
            ),
        ),
        migrations.RunPython(schedules_create, schedules_remove),
    ]
