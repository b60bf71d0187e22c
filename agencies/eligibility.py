"""Which accounts may be placed with an agency: the one rule, as a queryset for the placement
page and as a reason per account for the service that places them (tested together)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db.models import Exists, F, OuterRef, Q
from django.utils.translation import gettext as _

from accounts.models import Account, Stage
from agencies.models import Agency, Placement, PlacementStatus
from compliance.models import CommunicationRestriction, RestrictionKind

#: Stages an account is placed from. On a plan it is being paid; in legal it is with the bank's
#: lawyers; closed stages owe nothing to collect.
PLACEABLE_STAGES = (Stage.EARLY, Stage.LATE)

#: Restrictions under which nobody may collect, an agency no more than Settle: a bankruptcy's
#: automatic stay (11 U.S.C. 362(a)), a death (only the estate), a dispute awaiting
#: verification (15 U.S.C. 1692g(b)), a written cease (15 U.S.C. 1692c(c)).
HOLDING_KINDS = (
    RestrictionKind.BANKRUPTCY,
    RestrictionKind.DECEASED,
    RestrictionKind.DISPUTE_PENDING,
    RestrictionKind.CEASE_COMMUNICATION,
)


def _holds(day: date):
    return (
        CommunicationRestriction.objects.in_force(day)
        .filter(kind__in=HOLDING_KINDS, effective_from__lte=day)
        .order_by()
    )


def _open_placements():
    return Placement.objects.filter(status=PlacementStatus.PLACED).order_by()


def eligible_accounts(accounts, *, day: date, agency: Agency | None = None):
    """``accounts`` narrowed to those that may be placed (with ``agency``, if given) on ``day``."""
    held = (
        _holds(day)
        .filter(customer_id=OuterRef("customer_id"))
        .filter(Q(account__isnull=True) | Q(account_id=OuterRef("pk")))
    )
    accounts = (
        accounts.filter(stage__in=PLACEABLE_STAGES)
        .alias(owed=F("principal_balance") + F("interest_balance") + F("fee_balance"))
        .filter(owed__gt=0)
        .exclude(Exists(_open_placements().filter(account_id=OuterRef("pk"))))
        .exclude(Exists(held))
    )
    if agency is not None:
        accounts = accounts.filter(customer__jurisdiction__in=agency.jurisdictions or [])
    return accounts


def refusals(accounts: Iterable[Account], *, agency: Agency, day: date) -> dict[int, str]:
    """Why each of ``accounts`` (customers loaded) may not be placed with ``agency``; those
    missing from the answer may. Two queries whatever the number of accounts."""
    accounts = list(accounts)
    ids = [a.pk for a in accounts]
    placed = set(_open_placements().filter(account_id__in=ids).values_list("account_id", flat=True))
    holds: dict[tuple[int, int | None], str] = {}
    for customer_id, account_id, kind in (
        _holds(day)
        .filter(customer_id__in={a.customer_id for a in accounts})
        .values_list("customer_id", "account_id", "kind")
    ):
        holds.setdefault((customer_id, account_id), kind)
    reasons: dict[int, str] = {}
    for account in accounts:
        held = holds.get((account.customer_id, None)) or holds.get(
            (account.customer_id, account.pk)
        )
        if account.pk in placed:
            reasons[account.pk] = _("already placed with an agency")
        elif not agency.works_in(account.customer.jurisdiction):
            reasons[account.pk] = _("%(agency)s does not collect in %(jurisdiction)s") % {
                "agency": agency.name,
                "jurisdiction": account.customer.get_jurisdiction_display(),
            }
        elif account.stage not in PLACEABLE_STAGES:
            reasons[account.pk] = _(
                "its stage is %(stage)s; only early and late accounts are placed"
            ) % {"stage": account.get_stage_display()}
        elif held:
            reasons[account.pk] = _("on hold: %(kind)s") % {
                "kind": RestrictionKind(held).label.lower()
            }
        elif account.total_balance <= 0:
            reasons[account.pk] = _("it owes nothing")
    return reasons
