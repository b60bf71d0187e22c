"""Its contact-point references now name accounts.ContactPoint (state only: same table)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0005_contactpoint'),
        ('compliance', '0003_lean_decision_indexes'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='communicationrestriction',
                    name='contact_point',
                    field=models.ForeignKey(blank=True, help_text='Only this phone number or address.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='restrictions', to='accounts.contactpoint', verbose_name='contact point'),
                ),
                migrations.AlterField(
                    model_name='compliancedecision',
                    name='contact_point',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='compliance_decisions', to='accounts.contactpoint'),
                ),
            ],
        ),
    ]
