"""Threats of suit a legal-review letter makes in other words ("our legal department",
"referred to our attorneys", 法务部门, 法律审查): added to the US profile's time-barred list
(12 CFR 1006.26(b)), as ``compliance.rules.wording_data`` now lists them. Rows an admin has
already added are kept as they are."""

from django.db import migrations

NEW = {
    "en": (
        r"\blegal\s+(?:department|team|review)\b",
        r"\b(?:refer(?:red|ral)?|turn(?:ed)?\s+over)\s+(?:\w+\s+){0,3}to\s+(?:an?\s+|our\s+)?"
        r"(?:attorneys?|lawyers?|legal)\b",
    ),
    "zh": (r"法务部门?", r"法律(?:部门|审查)"),
}


def forwards(apps, schema_editor):
    JurisdictionProfile = apps.get_model("compliance", "JurisdictionProfile")
    WordingRule = apps.get_model("compliance", "WordingRule")
    us = JurisdictionProfile.objects.filter(code="US").first()
    if us is None:
        return
    for language, patterns in NEW.items():
        for pattern in patterns:
            WordingRule.objects.get_or_create(
                profile=us,
                rule="time_barred_threat",
                category="suit_threat",
                language=language,
                pattern=pattern,
            )


def backwards(apps, schema_editor):
    WordingRule = apps.get_model("compliance", "WordingRule")
    for language, patterns in NEW.items():
        WordingRule.objects.filter(
            rule="time_barred_threat", language=language, pattern__in=patterns
        ).delete()


class Migration(migrations.Migration):
    dependencies = [("compliance", "0007_alter_compliancedecision_purpose")]

    operations = [migrations.RunPython(forwards, backwards)]
