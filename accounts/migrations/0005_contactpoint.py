"""ContactPoint moves from contacts to accounts (customers and where they can be reached).

State only: the table keeps its name (``contacts_contactpoint``), its rows, indexes and
constraints. The content type is renamed so permissions, group grants and audit entries follow.
"""

import accounts.validators
import django.db.models.deletion
from django.db import migrations, models




def content_type_follows(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    old = ContentType.objects.filter(app_label="contacts", model="contactpoint")
    if ContentType.objects.filter(app_label="accounts", model="contactpoint").exists():
        return
    old.update(app_label="accounts")


def content_type_returns(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="accounts", model="contactpoint").update(
        app_label="contacts"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_queue_priority"),
        ("contacts", "0010_lean_contactlog_indexes"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='ContactPoint',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('phone', 'Phone'), ('email', 'Email'), ('address', 'Address')], max_length=10, verbose_name='kind')),
                        ('value', models.CharField(max_length=254, verbose_name='value')),
                        ('label', models.CharField(choices=[('mobile', 'Mobile'), ('home', 'Home'), ('work', 'Work'), ('other', 'Other')], default='mobile', max_length=10, verbose_name='label')),
                        ('region', models.CharField(blank=True, help_text='ISO country of a phone number, from its prefix.', max_length=2, verbose_name='number region')),
                        ('time_zone', models.CharField(blank=True, help_text='Set when this contact point is known to be in another zone than the customer.', max_length=64, validators=[accounts.validators.validate_time_zone], verbose_name='time zone override')),
                        ('is_primary', models.BooleanField(default=False, verbose_name='primary')),
                        ('opted_out', models.BooleanField(default=False, verbose_name='opted out')),
                        ('opted_out_at', models.DateTimeField(blank=True, null=True, verbose_name='opted out at')),
                        ('is_valid', models.BooleanField(default=True, verbose_name='valid')),
                        ('invalid_reason', models.CharField(blank=True, max_length=100, verbose_name='why invalid')),
                        ('valid_from', models.DateField(blank=True, null=True, verbose_name='valid from')),
                        ('valid_until', models.DateField(blank=True, null=True, verbose_name='valid until')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('customer', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='contact_points', to='accounts.customer', verbose_name='customer')),
                    ],
                    options={
                        'verbose_name': 'contact point',
                        'verbose_name_plural': 'contact points',
                        'db_table': 'contacts_contactpoint',
                        'ordering': ['customer_id', 'kind', '-is_primary', 'id'],
                        'indexes': [models.Index(fields=['kind', 'value'], name='contacts_co_kind_b93709_idx')],
                        'constraints': [models.UniqueConstraint(fields=('customer', 'kind', 'value'), name='unique_contact_point_per_customer')],
                    },
                ),
                    ],
        ),
        migrations.RunPython(content_type_follows, content_type_returns),
    ]
