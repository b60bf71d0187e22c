from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.models import Role


def navigation(request):
    """The navigation bar, by role (pages check permissions themselves too)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = [
        (_("Home"), reverse("home")),
        (_("Queue"), reverse("accounts:queue")),
        (_("Accounts"), reverse("accounts:list")),
    ]
    if user.has_role("supervisor", "admin"):
        items += [
            (_("Dashboard"), reverse("dashboards:dashboard")),
            (_("Approvals"), reverse("dashboards:approvals")),
            (_("Workload"), reverse("dashboards:workload")),
            (_("Exceptions"), reverse("dashboards:exceptions")),
            (_("Strategies"), reverse("dashboards:strategies")),
            (_("Legal"), reverse("legal:index")),
            (_("Agencies"), reverse("agencies:list")),
        ]
        items.append((_("API docs"), reverse("api-docs")))
    if user.is_staff:
        items.append((_("Admin"), reverse("admin:index")))
    return {"nav_items": items, "user_role": Role(user.role).label if user.role else ""}
