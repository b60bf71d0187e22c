"""The demo's agencies: every account the portfolio stores as placed has its placement."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.management import call_command

from accounts.models import Account
from agencies.models import Agency, Placement, PlacementBatch
from workspace.demo import seed_agencies

pytestmark = pytest.mark.django_db


def test_the_demo_places_its_placed_accounts_with_an_agency_of_their_jurisdiction(settings):
    settings.BUSINESS_DATE = "2026-11-23"
    call_command("seed_demo", accounts=600, seed=7, as_of=date(2026, 11, 23), no_progress=True)
    placed = Account.objects.filter(stage="placed")
    assert placed.exists()
    assert set(Agency.objects.values_list("code", flat=True)) == {"liberty", "huaxin"}
    open_ones = Placement.objects.filter(status="placed")
    assert set(open_ones.values_list("account_id", flat=True)) == set(
        placed.values_list("pk", flat=True)
    )
    for p in open_ones.select_related("agency", "account__customer"):
        assert p.agency.works_in(p.account.customer.jurisdiction)
    assert all(b.export_sha256 for b in PlacementBatch.objects.all())

    assert seed_agencies() == {"agencies": 0, "placements": 0}  # a rerun adds nothing
