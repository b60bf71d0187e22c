"""The data migration's policies and grants, and the fallback when a policy row is missing."""

from decimal import Decimal
from importlib import import_module

import pytest
from django.apps import apps
from django.contrib.auth.models import Group

from plans.models import PlanPolicy

pytestmark = pytest.mark.django_db
MIGRATION = "plans.migrations.0002_policies_and_permissions"


def test_the_migration_stores_us_and_cn_policies():
    us, cn = PlanPolicy.for_jurisdiction("US"), PlanPolicy.for_jurisdiction("CN")
    assert (us.max_installments, cn.max_installments) == (60, 60)
    assert us.min_installment("USD") == Decimal("25.00")
    assert cn.min_installment("CNY") == Decimal("100.00")
    assert us.min_installment("EUR") == Decimal("0")
    assert (us.affordability_share, us.missed_installments_to_break, us.grace_days) == (
        Decimal("0.50"),
        2,
        10,
    )


def test_the_migration_can_run_again_on_a_flushed_database():
    PlanPolicy.objects.all().delete()
    import_module(MIGRATION).forwards(apps, None)
    import_module(MIGRATION).forwards(apps, None)
    assert PlanPolicy.objects.count() == 2
    assert Group.objects.get(name="specialist").permissions.filter(codename="view_plan").exists()
    assert Group.objects.get(name="admin").permissions.filter(codename="change_planpolicy").exists()


def test_a_missing_policy_falls_back_to_the_defaults():
    PlanPolicy.objects.all().delete()
    policy = PlanPolicy.for_jurisdiction("CN")
    assert policy.pk is None
    assert policy.max_installments == 60
    assert policy.min_installment("CNY") == Decimal("100.00")
    assert policy.specialist_concession_limit == Decimal("3000.00")


def test_authority_limits_by_role(specialist, supervisor, admin_user):
    policy = PlanPolicy.for_jurisdiction("US")
    assert policy.concession_limit(specialist) == Decimal("500.00")
    assert policy.concession_limit(supervisor) == Decimal("5000.00")
    assert policy.concession_limit(admin_user) is None
    assert policy.concession_limit(None) == Decimal("0")
