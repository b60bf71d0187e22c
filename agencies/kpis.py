"""KPIs per agency and currency, each figure set summed by the database in one query.

- accounts placed: placements made (open ones counted apart);
- balance placed: the accounts' balances (principal + interest + fees) when placed;
- collected: payments on the placed accounts received while they were placed (from the
  placement until it ended), whoever reported them;
- recovery rate: collected ÷ balance placed;
- commission: the agencies' commission on the payments they reported; net: collected − commission.

Amounts are never added across currencies. ``accounts`` limits the figures to the accounts a
user may see (a team's supervisor sees their team's placements only).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, Q, Sum

from agencies.models import AgencyCommission, Placement, PlacementStatus

ZERO = Decimal("0")


@dataclass
class AgencyFigures:
    agency_id: int
    currency: str
    placed: int = 0
    open: int = 0
    balance_placed: Decimal = ZERO
    collected: Decimal = ZERO
    commission: Decimal = ZERO

    @property
    def net(self) -> Decimal:
        return self.collected - self.commission

    @property
    def recovery_rate(self) -> Decimal | None:
        """A share (0.25 is 25 %), or None when nothing was placed."""
        if not self.balance_placed:
            return None
        return self.collected / self.balance_placed

    @property
    def recovery_percent(self) -> Decimal | None:
        rate = self.recovery_rate
        return None if rate is None else (rate * 100).quantize(Decimal("0.1"))


def agency_figures(accounts=None, *, agency_ids=None) -> dict[int, list[AgencyFigures]]:
    """``{agency id: [figures per currency, by currency]}`` over the placements of
    ``accounts`` (a queryset; None: all) and of ``agency_ids`` (None: every agency)."""
    placements = Placement.objects.order_by()
    commissions = AgencyCommission.objects.order_by()
    if accounts is not None:
        placements = placements.filter(account__in=accounts.order_by().values("pk"))
        commissions = commissions.filter(placement__account__in=accounts.order_by().values("pk"))
    if agency_ids is not None:
        placements = placements.filter(agency_id__in=agency_ids)
        commissions = commissions.filter(placement__agency_id__in=agency_ids)
    figures: dict[tuple[int, str], AgencyFigures] = {}

    def row(agency_id: int, currency: str) -> AgencyFigures:
        return figures.setdefault(
            (agency_id, currency), AgencyFigures(agency_id=agency_id, currency=currency)
        )

    for r in placements.values("agency_id", "currency").annotate(
        n=Count("id"),
        open=Count("id", filter=Q(status=PlacementStatus.PLACED)),
        balance=Sum("balance_at_placement"),
    ):
        f = row(r["agency_id"], r["currency"])
        f.placed, f.open, f.balance_placed = r["n"], r["open"], r["balance"] or ZERO
    during = Q(account__payments__received_at__gte=F("placed_at")) & (
        Q(recalled_at__isnull=True) | Q(account__payments__received_at__lt=F("recalled_at"))
    )
    for c in placements.values("agency_id", "currency").annotate(
        collected=Sum("account__payments__amount", filter=during)
    ):
        row(c["agency_id"], c["currency"]).collected = c["collected"] or ZERO
    for m in commissions.values(
        agency_id=F("placement__agency_id"), currency=F("placement__currency")
    ).annotate(total=Sum("amount")):
        row(m["agency_id"], m["currency"]).commission = m["total"] or ZERO
    result: dict[int, list[AgencyFigures]] = {}
    for (agency_id, _currency), f in sorted(figures.items()):
        result.setdefault(agency_id, []).append(f)
    return result
