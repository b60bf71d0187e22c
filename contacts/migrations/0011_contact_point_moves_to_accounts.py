"""ContactPoint now lives in accounts: references follow, the model leaves (state only)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0005_contactpoint'),
        ('compliance', '0004_contact_point_in_accounts'),
        ('contacts', '0010_lean_contactlog_indexes'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='contactlog',
                    name='contact_point',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='contacts', to='accounts.contactpoint'),
                ),
                migrations.AlterField(
                    model_name='reminder',
                    name='contact_point',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='accounts.contactpoint'),
                ),
                migrations.DeleteModel(
                    name='ContactPoint',
                ),
            ],
        ),
    ]
