"""Default plan policies (US, CN) and the plans permissions of the role groups."""

from decimal import Decimal

from django.db import migrations

# Copied, not imported: a migration must not change when the app's defaults do.
POLICIES = {
    "US": {
        "max_installments": 60,
        "specialist_concession_limit": Decimal("500.00"),
        "supervisor_concession_limit": Decimal("5000.00"),
        "minimums": {"USD": Decimal("25.00")},
    },
    "CN": {
        "max_installments": 60,
        "specialist_concession_limit": Decimal("3000.00"),
        "supervisor_concession_limit": Decimal("30000.00"),
        "minimums": {"CNY": Decimal("100.00")},
    },
}

# Role grants now live in one table, accounts/roles.py, applied after every migrate.


def forwards(apps, schema_editor):
    """Also callable with the live registry (tests put the data back after a flush)."""
    PlanPolicy = apps.get_model("plans", "PlanPolicy")
    MinimumInstallment = apps.get_model("plans", "MinimumInstallment")
    for jurisdiction, values in POLICIES.items():
        values = dict(values)
        minimums = values.pop("minimums")
        policy, _ = PlanPolicy.objects.get_or_create(jurisdiction=jurisdiction, defaults=values)
        for currency, amount in minimums.items():
            MinimumInstallment.objects.get_or_create(
                policy=policy, currency=currency, defaults={"amount": amount}
            )


class Migration(migrations.Migration):
    dependencies = [("plans", "0001_initial"), ("accounts", "0002_roles_and_buckets")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
