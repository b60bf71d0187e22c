"""A trigram index for the account search (``AccountQuerySet.search``) on PostgreSQL.

The customer's name is matched anywhere, case-insensitively (Django's ``icontains`` compares
``UPPER(name::text)``), which a B-tree cannot serve. ``pg_trgm`` is a trusted extension
(PostgreSQL 13+): a database owner may install it. It sits on customers, not on accounts, whose
rows the nightly run rewrites. SQLite (the demo) scans.
"""

from django.db import migrations

INDEXES = (
    "CREATE INDEX IF NOT EXISTS customer_name_trgm_idx ON accounts_customer"
    " USING gin (UPPER(name::text) gin_trgm_ops)",
)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for sql in INDEXES:
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS customer_name_trgm_idx")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0007_queue_and_search_indexes")]

    operations = [migrations.RunPython(forwards, backwards)]
