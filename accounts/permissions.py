"""Role and team checks shared by pages and the API."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from rest_framework.permissions import SAFE_METHODS, BasePermission

from accounts.models import Account, Customer, Role


def user_can_see_account(user, account: Account) -> bool:
    if not user.is_authenticated or user.role is None:
        return False
    return user.sees_all_teams or account.team_id == user.team_id


def require_role(user) -> None:
    """Pages are for users with a Settle role (a Django user without one gets 403)."""
    if user.role is None:
        raise PermissionDenied(_("Your user has no Settle role; ask an admin to add one."))


def account_for_page(user, pk: int) -> Account:
    """The account a page is about: 404 if there is none, 403 if it is another team's."""
    require_role(user)
    account = get_object_or_404(
        Account.objects.select_related("customer", "team", "assigned_to"), pk=pk
    )
    if not user_can_see_account(user, account):
        raise PermissionDenied(_("This account belongs to another team."))
    return account


def account_for_api(user, pk: int) -> Account:
    """The account an API call is about: 404 if there is none, 403 if it is another team's
    (the API answers in English, like the rest of its errors)."""
    account = get_object_or_404(Account.objects.select_related("customer"), pk=pk)
    if not user_can_see_account(user, account):
        raise PermissionDenied("This account belongs to another team.")
    return account


class AccountScopedAPIMixin:
    """API views under ``/accounts/{account_id}/``: 404 for an unknown account, 403 for another
    team's, decided before the request body is looked at."""

    account_url_kwarg = "account_id"

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not getattr(self, "swagger_fake_view", False):
            self.get_account()

    def get_account(self) -> Account:
        if not hasattr(self, "_account"):
            self._account = account_for_api(self.request.user, self.kwargs[self.account_url_kwarg])
        return self._account


@dataclass(frozen=True)
class TeamScope:
    """The rows of a model a user may see, decided by one path from the model.

    ``team`` is the path to the team that owns a row (``"account__team"``; ``"pk"`` for Team
    itself); ``customer`` the path to a customer, seen when it has an account in the user's team
    (``""`` for Customer itself), and with ``new_customers`` also while it has no account at all.
    Admins and heads of collections (``sees_all_teams``) see every row, a user without a Settle
    role or team none. Calling it narrows a queryset: ``TeamScope(team="team")(qs, user)``.
    Used for the API's writable relations and for the admin, so both follow the pages' rule.
    """

    team: str | None = None
    customer: str | None = None
    new_customers: bool = False

    def __post_init__(self) -> None:
        if (self.team is None) == (self.customer is None):
            raise ValueError("Give either a team path or a customer path.")

    def __call__(self, queryset, user):
        if user is None or not user.is_authenticated or user.role is None:
            return queryset.none()
        if user.sees_all_teams:
            return queryset
        if user.team_id is None:
            return queryset.none()
        if self.customer is not None:
            customers = Customer.objects.all()
            customers = (
                customers.linkable_by(user) if self.new_customers else customers.visible_to(user)
            )
            return queryset.filter(**{f"{self.customer or 'pk'}__in": customers})
        return queryset.filter(**{self.team: user.team_id})


def user_can_see_customer(user, customer: Customer) -> bool:
    if not user.is_authenticated or user.role is None:
        return False
    if user.sees_all_teams:
        return True
    return customer.accounts.filter(team_id=user.team_id).exists()


class IsStaffRole(BasePermission):
    """Any authenticated user with a Settle role; object access limited to their team."""

    message = "You need a Settle role (specialist, supervisor or admin)."

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.role)

    def has_object_permission(self, request, view, obj) -> bool:
        account = getattr(obj, "account", None)
        customer = getattr(obj, "customer", None)
        if isinstance(obj, Account):
            return user_can_see_account(request.user, obj)
        if isinstance(obj, Customer):
            return user_can_see_customer(request.user, obj)
        if isinstance(account, Account):
            return user_can_see_account(request.user, account)
        if isinstance(customer, Customer):
            return user_can_see_customer(request.user, customer)
        return False


class SupervisorWrites(IsStaffRole):
    """Reads for every role; creating and editing only for supervisors and admins."""

    message = "Only supervisors and admins may change this."

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        return request.method in SAFE_METHODS or request.user.has_role(Role.SUPERVISOR, Role.ADMIN)

    def has_object_permission(self, request, view, obj) -> bool:
        if super().has_object_permission(request, view, obj):
            return True
        # A refusal for another team's object says so (permissions are made per request).
        self.message = "This belongs to another team."
        return False
