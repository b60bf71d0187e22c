"""Default settlement authority per role and bucket for the US and CN policies."""

from decimal import Decimal

from django.db import migrations

# Copied, not imported: a migration must not change when the app's defaults do. The share of
# the balance a role may give up; "" is every bucket without its own row.
AUTHORITY = {
    "specialist": {
        "": Decimal("0.10"),
        "M4": Decimal("0.20"),
        "M5": Decimal("0.25"),
        "M6": Decimal("0.30"),
    },
    "supervisor": {
        "": Decimal("0.30"),
        "M4": Decimal("0.40"),
        "M5": Decimal("0.50"),
        "M6": Decimal("0.60"),
    },
}


def forwards(apps, schema_editor):
    """Also callable with the live registry (tests put the data back after a flush)."""
    PlanPolicy = apps.get_model("plans", "PlanPolicy")
    SettlementAuthority = apps.get_model("plans", "SettlementAuthority")
    for policy in PlanPolicy.objects.all():
        for role, shares in AUTHORITY.items():
            for bucket, share in shares.items():
                SettlementAuthority.objects.get_or_create(
                    policy=policy, role=role, bucket=bucket, defaults={"max_discount_share": share}
                )


class Migration(migrations.Migration):
    dependencies = [("plans", "0005_settlement_offers")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
