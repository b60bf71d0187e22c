"""The role → permission table (accounts/roles.py) is what the groups hold after migrate."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission

from accounts.roles import ROLE_PERMISSIONS, roles_apply

pytestmark = pytest.mark.django_db


def _held(role: str) -> set[str]:
    group = Group.objects.get(name=role)
    return {
        f"{app_label}.{codename}"
        for app_label, codename in group.permissions.values_list(
            "content_type__app_label", "codename"
        )
    }


@pytest.mark.parametrize("role", sorted(ROLE_PERMISSIONS))
def test_after_migrate_each_role_holds_exactly_its_table_row(role):
    assert _held(role) == set(ROLE_PERMISSIONS[role])


def test_every_permission_in_the_table_exists():
    existing = {
        f"{app_label}.{codename}"
        for app_label, codename in Permission.objects.values_list(
            "content_type__app_label", "codename"
        )
    }
    named = {code for codes in ROLE_PERMISSIONS.values() for code in codes}

    assert named - existing == set()


def test_specialists_may_not_reveal_or_change_accounts():
    assert "accounts.reveal_personal_data" not in ROLE_PERMISSIONS["specialist"]
    assert "accounts.change_account" not in ROLE_PERMISSIONS["specialist"]


def test_applying_again_restores_a_lost_group_and_changes_nothing_else():
    before = {role: _held(role) for role in ROLE_PERMISSIONS}
    Group.objects.filter(name="supervisor").delete()

    roles_apply()
    roles_apply()

    assert {role: _held(role) for role in ROLE_PERMISSIONS} == before
