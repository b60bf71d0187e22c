"""Trigram indexes for the account search (``AccountQuerySet.search``) on PostgreSQL.

The customer's name is matched anywhere, case-insensitively (Django's ``icontains`` compares
``UPPER(name::text)``), and an account number by its last four digits (``endswith``): neither
can use a B-tree. ``pg_trgm`` is a trusted extension (PostgreSQL 13+): a database owner may
install it. SQLite (the demo) keeps plain tables and scans.
"""

from django.db import migrations

INDEXES = (
    "CREATE INDEX IF NOT EXISTS customer_name_trgm_idx ON accounts_customer"
    " USING gin (UPPER(name::text) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS account_number_trgm_idx ON accounts_account"
    " USING gin (number gin_trgm_ops)",
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
    schema_editor.execute("DROP INDEX IF EXISTS account_number_trgm_idx")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0007_queue_order_indexes")]

    operations = [migrations.RunPython(forwards, backwards)]
