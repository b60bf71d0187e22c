"""Load the US and CN profiles, the shared wording lists and the required texts.

The data comes from the defaults in ``compliance.rules`` (pure code, no models) as they stand
when this migration runs; later changes to those defaults reach an existing database through a
new data migration or the admin.
"""

from django.db import migrations

from compliance import rules

NAMES = {
    "US": "United States — FDCPA and Regulation F (12 CFR part 1006)",
    "CN": "China — credit card collection",
}
RETENTION_YEARS = {"US": 3, "CN": 2}  # 12 CFR 1006.100; 第68条
MAX_PLAN_INSTALLMENTS = {"US": 60, "CN": 60}  # 第70条: at most 5 years

# Role grants now live in one table, accounts/roles.py, applied after every migrate.


def _wording_rows(WordingRule, patterns, profile):
    return [
        WordingRule(
            profile=profile,
            rule=p.rule,
            category=p.category,
            language=p.language,
            pattern=p.pattern,
        )
        for p in patterns
    ]


def forwards(apps, schema_editor):
    JurisdictionProfile = apps.get_model("compliance", "JurisdictionProfile")
    WordingRule = apps.get_model("compliance", "WordingRule")
    RequiredText = apps.get_model("compliance", "RequiredText")

    rows = {}
    for code, profile in rules.PROFILES.items():
        rows[code], _ = JurisdictionProfile.objects.update_or_create(
            code=code,
            defaults={
                "name": NAMES.get(code, code),
                "window_start": profile.window_start,
                "window_end": profile.window_end,
                "weekly_call_limit": profile.weekly_call_limit,
                "weekly_window_days": profile.weekly_window_days,
                "post_conversation_quiet_days": profile.post_conversation_quiet_days,
                "daily_connected_call_cap": profile.daily_connected_call_cap,
                "retention_years": RETENTION_YEARS.get(code, 3),
                "max_plan_installments": MAX_PLAN_INSTALLMENTS.get(code, 60),
                "citations": dict(profile.citations),
                "default_time_zones": list(profile.default_time_zones),
                "is_active": True,
            },
        )

    # In the order the built-in profiles list them, so a profile loads back identical:
    # shared wording, the US-only threats of suit, shared mentions of the debt.
    if not WordingRule.objects.exists():
        WordingRule.objects.bulk_create(
            _wording_rows(WordingRule, rules.DEFAULT_WORDING, None)
            + _wording_rows(WordingRule, rules.SUIT_THREAT_PATTERNS, rows["US"])
            + _wording_rows(WordingRule, rules.DEBT_MENTION_PATTERNS, None)
        )

    if not RequiredText.objects.exists():
        texts = []
        for code, profile in rules.PROFILES.items():
            for d in profile.disclosures:
                texts.append(
                    RequiredText(
                        profile=rows[code],
                        kind=(
                            "disclosure_first"
                            if d.stage == rules.FIRST_CONTACT
                            else "disclosure_subsequent"
                        ),
                        key=d.key,
                        language=d.language,
                        accepted="\n".join(d.accepted),
                        description=d.description,
                    )
                )
            for language, phrases in profile.opt_out_phrases.items():
                texts.append(
                    RequiredText(
                        profile=rows[code],
                        kind="opt_out",
                        key="opt_out",
                        language=language,
                        accepted="\n".join(phrases),
                        description="how to opt out",
                    )
                )
        RequiredText.objects.bulk_create(texts)


def backwards(apps, schema_editor):
    apps.get_model("compliance", "RequiredText").objects.all().delete()
    apps.get_model("compliance", "WordingRule").objects.all().delete()
    apps.get_model("compliance", "JurisdictionProfile").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("compliance", "0001_initial"),
        ("accounts", "0002_roles_and_buckets"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
