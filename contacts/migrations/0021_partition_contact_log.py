"""On PostgreSQL, the contact log becomes a table partitioned by month of ``occurred_at``
(``core.partitions``); SQLite keeps the plain table. The models' state is unchanged.

Every row is copied once under an exclusive lock: on a large table, a maintenance window
(README, "Deploying for a bank with 20M accounts"). On an empty database it takes a moment.
"""

from django.db import migrations


def contact_log_partition(apps, schema_editor):
    from core.partitions import table_partition

    table_partition("contacts_contactlog", "occurred_at", connection=schema_editor.connection)


def contact_log_unpartition(apps, schema_editor):
    from core.partitions import table_unpartition

    table_unpartition("contacts_contactlog", "occurred_at", connection=schema_editor.connection)


class Migration(migrations.Migration):
    # Runs after every foreign key to the contact log stopped being a constraint.
    dependencies = [
        ("contacts", "0020_fks_to_partitioned_evidence"),
        ("plans", "0011_fks_to_partitioned_evidence"),
    ]

    operations = [migrations.RunPython(contact_log_partition, contact_log_unpartition)]
