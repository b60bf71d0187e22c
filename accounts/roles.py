"""What each role may do: the one table of role → permissions, applied in one place.

Roles are Django groups of the same names (``accounts.models.Role``). ``roles_apply`` creates
them and grants what this table lists; it runs after every ``migrate`` (and after a test
database flush) through ``post_migrate``, so a new permission is granted by adding it here.
It only adds: a permission an admin granted by hand is left alone, and revoking one from a
role is a data migration of its own.
"""

from __future__ import annotations

from typing import Any

from accounts.models import Role

_SPECIALIST = (
    # accounts
    "accounts.view_customer",
    "accounts.view_account",
    "accounts.view_team",
    "accounts.view_bucketrange",
    "accounts.view_buckethistory",
    "accounts.view_contactpoint",
    "accounts.add_contactpoint",
    # contacts
    "contacts.view_contactlog",
    "contacts.view_dispute",
    "contacts.view_complaint",
    "contacts.view_callbacktask",
    "contacts.change_callbacktask",
    "contacts.view_messagetemplate",
    "contacts.view_reminder",
    "contacts.view_letter",
    # compliance
    "compliance.view_jurisdictionprofile",
    "compliance.view_communicationrestriction",
    "compliance.add_communicationrestriction",
    # plans
    "plans.view_plan",
    "plans.view_installment",
    "plans.view_planevent",
    "plans.view_payment",
    "plans.view_allocation",
    "plans.view_promisetopay",
    "plans.view_planpolicy",
    "plans.view_minimuminstallment",
    "plans.view_settlementauthority",
    "plans.view_settlement",
    "plans.view_hardshiparrangement",
    "plans.view_writeoffpolicy",
    "plans.view_writeoff",
    # checkout
    "checkout.view_checkoutsession",
)

_SUPERVISOR = (
    *_SPECIALIST,
    "accounts.add_customer",
    "accounts.change_customer",
    "accounts.add_account",
    "accounts.change_account",
    "accounts.reveal_personal_data",
    "accounts.view_user",
    "accounts.view_personaldatareveal",
    "accounts.change_contactpoint",
    "contacts.change_dispute",
    "contacts.change_complaint",
    "contacts.add_messagetemplate",
    "contacts.change_messagetemplate",
    "contacts.view_caseevent",
    "contacts.view_printbatch",
    "contacts.view_treatmentstrategy",
    "contacts.view_strategyversion",
    "contacts.add_treatmentstrategy",
    "contacts.change_treatmentstrategy",
    "compliance.view_wordingrule",
    "compliance.view_requiredtext",
    "compliance.change_communicationrestriction",
    "compliance.view_compliancedecision",
    "checkout.view_providerevent",
    # legal: referrals and cases are worked on the legal pages; the admin shows them
    "legal.view_legalauthority",
    "legal.view_legalreferral",
    "legal.view_legalcase",
    "legal.view_legalstep",
    "legal.view_legalcost",
    "legal.view_referraldocument",
    # agencies: placements and commissions (batches span teams: admins)
    "agencies.view_agency",
    "agencies.view_placement",
    "agencies.view_agencycommission",
    # dashboards: monthly targets of the team and its specialists
    "dashboards.view_target",
    "dashboards.add_target",
    "dashboards.change_target",
    "dashboards.delete_target",
)

_ADMIN = (
    *_SUPERVISOR,
    "accounts.add_team",
    "accounts.change_team",
    "accounts.add_bucketrange",
    "accounts.change_bucketrange",
    "accounts.delete_bucketrange",
    "accounts.add_user",
    "accounts.change_user",
    "auditlog.view_logentry",
    "accounts.view_importbatch",
    "accounts.view_propensitymodel",
    "contacts.delete_messagetemplate",
    "contacts.delete_treatmentstrategy",
    "compliance.change_jurisdictionprofile",
    "compliance.add_jurisdictionprofile",
    "compliance.add_wordingrule",
    "compliance.change_wordingrule",
    "compliance.delete_wordingrule",
    "compliance.add_requiredtext",
    "compliance.change_requiredtext",
    "compliance.delete_requiredtext",
    "plans.add_planpolicy",
    "plans.change_planpolicy",
    "plans.add_minimuminstallment",
    "plans.change_minimuminstallment",
    "plans.delete_minimuminstallment",
    "plans.add_settlementauthority",
    "plans.change_settlementauthority",
    "plans.delete_settlementauthority",
    "agencies.add_agency",
    "agencies.change_agency",
    "agencies.view_placementbatch",
    "agencies.view_exportdownload",
    "plans.add_writeoffpolicy",
    "plans.change_writeoffpolicy",
)

ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    Role.SPECIALIST: _SPECIALIST,
    Role.SUPERVISOR: _SUPERVISOR,
    Role.ADMIN: _ADMIN,
}


def roles_apply(*, apps: Any = None) -> None:
    """Create the role groups and grant each the permissions the table lists."""
    if apps is None:
        from django.apps import apps
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codes in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        wanted = {tuple(code.split(".", 1)) for code in codes}
        found = [
            perm
            for perm in Permission.objects.filter(
                codename__in={codename for _, codename in wanted}
            ).select_related("content_type")
            if (perm.content_type.app_label, perm.codename) in wanted
        ]
        group.permissions.add(*found)


def roles_apply_after_migrate(sender: Any, **kwargs: Any) -> None:
    """``post_migrate`` receiver: the permissions exist by then (Django creates them first)."""
    roles_apply(apps=kwargs.get("apps"))
