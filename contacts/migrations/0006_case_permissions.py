from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = {
    "specialist": ["view_contactlog", "view_dispute", "view_complaint", "view_callbacktask",
                   "change_callbacktask", "view_messagetemplate"],
    "supervisor": ["view_contactlog", "view_dispute", "change_dispute", "view_complaint",
                   "change_complaint", "view_callbacktask", "change_callbacktask",
                   "view_messagetemplate", "add_messagetemplate", "change_messagetemplate",
                   "view_caseevent"],
    "admin": ["view_contactlog", "view_dispute", "change_dispute", "view_complaint",
              "change_complaint", "view_callbacktask", "change_callbacktask",
              "view_messagetemplate", "add_messagetemplate", "change_messagetemplate",
              "delete_messagetemplate", "view_caseevent"],
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
    dependencies = [("contacts", "0005_disputes_complaints_callbacks")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
