"""On PostgreSQL, the compliance decisions become a table partitioned by month of
``created_at`` (``core.partitions``), and a nightly beat entry keeps the coming months'
partitions ready; SQLite keeps the plain table. The models' state is unchanged.

Every row is copied once under an exclusive lock: on a large table, a maintenance window
(README, "Deploying for a bank with 20M accounts"). On an empty database it takes a moment.
"""

from django.db import migrations

SCHEDULES = {
    # Daily at 03:10 UTC: before retention (03:30), which may drop old months.
    "Partitions: create the coming months'": ("compliance.tasks.partitions_ensure_task", "10", "3"),
}


def decisions_partition(apps, schema_editor):
    from core.partitions import table_partition

    table_partition(
        "compliance_compliancedecision", "created_at", connection=schema_editor.connection
    )


def decisions_unpartition(apps, schema_editor):
    from core.partitions import table_unpartition

    table_unpartition(
        "compliance_compliancedecision", "created_at", connection=schema_editor.connection
    )


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
    from django.utils import timezone

    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def schedules_remove(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=list(SCHEDULES)).delete()


class Migration(migrations.Migration):
    # Runs after every foreign key to the decisions stopped being a constraint.
    dependencies = [
        ("compliance", "0009_legal_holds"),
        ("contacts", "0020_fks_to_partitioned_evidence"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.RunPython(decisions_partition, decisions_unpartition),
        migrations.RunPython(schedules_create, schedules_remove),
    ]
