"""Default treatment strategies, reminder permissions and beat schedules.

The default message templates are seeded by ``contacts.strategies.templates_seed``
(``manage.py send_reminders --seed-templates``), not here: see that module.
"""

from django.db import migrations

#: (code, bucket, tiers, stage, channel, template, cadence days) for both jurisdictions.
STRATEGIES = (
    ("m1-sms", "M1", ("good", "general"), "", "sms", "collection-notice", 7),
    ("m1-high-sms", "M1", ("high",), "", "sms", "collection-notice", 5),
    ("m2-email", "M2", ("good", "general", "high"), "", "email", "collection-notice", 7),
    ("m2-sms", "M2", ("good", "general", "high"), "", "sms", "collection-notice", 7),
    ("m3-call", "M3", ("good", "general", "high"), "", "call", "", 3),
    ("m4-call", "M4", ("good", "general", "high"), "", "call", "", 3),
    ("m4-visit", "M4", ("high",), "", "visit", "", 14),
    ("m5-legal", "M5", ("high",), "", "letter", "legal-notice", 30),
    ("m6-legal", "M6", ("high",), "", "letter", "legal-notice", 30),
)


def strategies_create(apps, schema_editor):
    TreatmentStrategy = apps.get_model("contacts", "TreatmentStrategy")
    for jurisdiction in ("US", "CN"):
        for code, bucket, tiers, stage, channel, template, cadence in STRATEGIES:
            for tier in tiers:
                TreatmentStrategy.objects.get_or_create(
                    code=f"{jurisdiction.lower()}-{code}-{tier}",
                    defaults={
                        "name": f"{jurisdiction} {bucket} {tier}: {channel}",
                        "jurisdiction": jurisdiction,
                        "risk_tier": tier,
                        "bucket_code": bucket,
                        "stage": stage,
                        "channel": channel,
                        "template_code": template,
                        "cadence_days": cadence,
                    },
                )


# Role grants now live in one table, accounts/roles.py, applied after every migrate.


#: name → (task, crontab minute, hour). Admins edit them in django-celery-beat's admin.
SCHEDULES = {
    "Nightly run (delinquency, tiers, plans)": ("accounts.tasks.nightly_run_task", "0", "2"),
    "Reminders: generate": ("contacts.tasks.reminders_generate_task", "0", "*"),
    "Reminders: send due": ("contacts.tasks.reminders_send_due_task", "*/5", "*"),
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
        ("contacts", "0007_reminders"),
        ("compliance", "0002_load_profiles"),
        ("accounts", "0002_roles_and_buckets"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.RunPython(strategies_create, migrations.RunPython.noop),
        migrations.RunPython(schedules_create, schedules_remove),
    ]
