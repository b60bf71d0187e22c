"""Roles as groups with their permissions, and the default delinquency buckets."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

BUCKETS = [
    ("M0", "Current", 0, 0),
    ("M1", "1–29", 1, 29),
    ("M2", "30–59", 30, 59),
    ("M3", "60–89", 60, 89),
    ("M4", "90–119", 90, 119),
    ("M5", "120–179", 120, 179),
    ("M6", "180+", 180, None),
]

SPECIALIST = [
    "accounts.view_customer", "accounts.view_account", "accounts.view_team",
    "accounts.view_bucketrange", "accounts.view_buckethistory",
]
SUPERVISOR = SPECIALIST + [
    "accounts.add_customer", "accounts.change_customer", "accounts.add_account",
    "accounts.change_account", "accounts.reveal_personal_data", "accounts.view_user",
    "accounts.view_personaldatareveal", "accounts.view_importbatch",
]
ADMIN = SUPERVISOR + [
    "accounts.add_team", "accounts.change_team", "accounts.add_bucketrange",
    "accounts.change_bucketrange", "accounts.delete_bucketrange", "accounts.add_user",
    "accounts.change_user", "auditlog.view_logentry",
]


def forwards(apps, schema_editor):
    for app_config in apps.get_app_configs():
        # Historical app configs have no models module; create_permissions wants one. Also
        # callable with the live registry (tests restore roles after a flush).
        had = getattr(app_config, "models_module", None)
        app_config.models_module = had or True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = had
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    def grant(name, codes):
        group, _ = Group.objects.get_or_create(name=name)
        for code in codes:
            app_label, codename = code.split(".")
            perm = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if perm is not None:
                group.permissions.add(perm)

    grant("specialist", SPECIALIST)
    grant("supervisor", SUPERVISOR)
    grant("admin", ADMIN)

    BucketRange = apps.get_model("accounts", "BucketRange")
    for code, label, low, high in BUCKETS:
        BucketRange.objects.get_or_create(
            code=code, defaults={"label": label, "min_days": low, "max_days": high}
        )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("auditlog", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
