from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = {
    "specialist": ["view_contactpoint", "add_contactpoint"],
    "supervisor": ["view_contactpoint", "add_contactpoint", "change_contactpoint"],
    "admin": ["view_contactpoint", "add_contactpoint", "change_contactpoint"],
}


def forwards(apps, schema_editor):
    app_config = apps.get_app_config("contacts")
    had = getattr(app_config, "models_module", None)
    app_config.models_module = had or True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = had
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GRANTS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="contacts", codename__in=codenames)
        )


class Migration(migrations.Migration):
    dependencies = [("contacts", "0001_initial"), ("accounts", "0002_roles_and_buckets")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
