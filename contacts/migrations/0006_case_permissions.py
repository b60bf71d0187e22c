"""Granted case permissions; accounts/roles.py does now."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("contacts", "0005_disputes_complaints_callbacks")]

    operations: list = []
