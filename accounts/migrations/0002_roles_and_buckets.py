"""The default delinquency buckets. (It also granted the roles; accounts/roles.py does now.)"""

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

# Role grants now live in one table, accounts/roles.py, applied after every migrate.


def forwards(apps, schema_editor):
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
