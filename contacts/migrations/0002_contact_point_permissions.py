"""Granted contact-point permissions; accounts/roles.py does now."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("contacts", "0001_initial"), ("accounts", "0002_roles_and_buckets")]

    operations: list = []
