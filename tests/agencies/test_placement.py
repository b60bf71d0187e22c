"""placement_create: what may be placed, all or nothing, and the stage it leaves."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from accounts.models import Account
from agencies import eligibility
from agencies.export import sha256
from agencies.models import Placement, PlacementBatch
from tests.agencies.factories import NOW, TODAY, agency, place
from tests.compliance.factories import RestrictionFactory
from tests.factories import AccountFactory, CustomerFactory
from tests.plans.factories import active_plan, owing_account

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _pinned(settings):
    settings.BUSINESS_DATE = TODAY.isoformat()
    with time_machine.travel(NOW, tick=False):
        yield


def _refused(excinfo) -> list[str]:
    return excinfo.value.message_dict["accounts"]


def test_placing_moves_the_accounts_to_placed_as_one_batch(team, supervisor):
    acme = agency()
    early = AccountFactory(team=team)  # 53 DPD
    late = AccountFactory(team=team, delinquent_since=date(2026, 8, 1))
    Account.objects.filter(pk=late.pk).update(stage="late")

    batch = place([early, late], acme, supervisor)

    assert isinstance(batch, PlacementBatch)
    assert (batch.agency, batch.placed_by, batch.count) == (acme, supervisor, 2)
    assert batch.export_sha256 == sha256(bytes(batch.export_content))
    rows = {p.account_id: p for p in batch.placements.all()}
    assert set(rows) == {early.pk, late.pk}
    assert rows[late.pk].stage_before == "late"
    assert rows[early.pk].balance_at_placement == Decimal("1075.00")
    assert rows[early.pk].recall_on == TODAY + timedelta(days=180)  # the agency sets no limit
    assert set(Account.objects.filter(pk__in=rows).values_list("stage", flat=True)) == {"placed"}


def test_the_recall_date_defaults_to_the_agencys_longest_placement(team, supervisor):
    short = agency(max_placement_days=90)
    batch = place([AccountFactory(team=team)], short, supervisor)
    assert batch.placements.get().recall_on == TODAY + timedelta(days=90)


def test_a_recall_date_past_the_agencys_limit_or_not_in_the_future_is_refused(team, supervisor):
    short = agency(max_placement_days=90)
    account = AccountFactory(team=team)
    for day in (TODAY, TODAY - timedelta(days=1), TODAY + timedelta(days=91)):
        with pytest.raises(ValidationError) as excinfo:
            place([account], short, supervisor, recall_on=day)
        assert "recall_on" in excinfo.value.message_dict
    assert not Placement.objects.exists()


def test_an_account_outside_the_agencys_jurisdictions_is_refused_and_nothing_is_placed(
    team, supervisor
):
    us_only = agency(jurisdictions=["US"])
    fine = AccountFactory(team=team)
    chinese = AccountFactory(team=team, customer=CustomerFactory(jurisdiction="CN"))

    with pytest.raises(ValidationError) as excinfo:
        place([fine, chinese], us_only, supervisor)

    assert _refused(excinfo) == [
        f"Account {chinese.masked_number}: Acme Recoveries does not collect in China."
    ]
    assert not Placement.objects.exists() and not PlacementBatch.objects.exists()
    fine.refresh_from_db()
    assert fine.stage == "early"


def test_an_account_already_placed_is_refused(team, supervisor):
    acme, other = agency(), agency("other")
    account = AccountFactory(team=team)
    place([account], acme, supervisor)

    with pytest.raises(ValidationError) as excinfo:
        place([account], other, supervisor)

    assert _refused(excinfo) == [f"Account {account.masked_number}: already placed with an agency."]


def test_the_database_holds_at_most_one_open_placement_per_account(team, supervisor):
    account = AccountFactory(team=team)
    batch = place([account], agency(), supervisor)
    first = batch.placements.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Placement.objects.create(
            account=account,
            agency=first.agency,
            placed_at=NOW,
            recall_on=TODAY,
            currency="USD",
            balance_at_placement=Decimal("1.00"),
        )


@pytest.mark.parametrize("kind", ["bankruptcy", "deceased", "dispute_pending"])
def test_an_account_on_hold_is_refused(team, supervisor, kind):
    account = AccountFactory(team=team)
    RestrictionFactory(customer=account.customer, kind=kind)

    with pytest.raises(ValidationError) as excinfo:
        place([account], agency(), supervisor)

    assert _refused(excinfo)[0].startswith(f"Account {account.masked_number}: on hold: ")


def test_a_lifted_or_expired_hold_no_longer_holds(team, supervisor):
    lifted = AccountFactory(team=team)
    RestrictionFactory(customer=lifted.customer, kind="bankruptcy", ended_at=NOW)
    expired = AccountFactory(team=team)
    RestrictionFactory(customer=expired.customer, kind="deceased", effective_to=date(2026, 1, 1))
    other_account = AccountFactory(team=team)
    # A hold on another account of the same customer does not hold this one.
    sibling = AccountFactory(team=team, customer=other_account.customer)
    RestrictionFactory(customer=other_account.customer, account=sibling, kind="bankruptcy")

    batch = place([lifted, expired, other_account], agency(), supervisor)
    assert batch.count == 3


def test_accounts_on_a_plan_in_legal_or_paid_are_refused(team, supervisor, specialist):
    on_plan = owing_account(team, assigned_to=specialist)
    active_plan(on_plan, specialist)
    legal = AccountFactory(team=team)
    paid = AccountFactory(team=team)
    Account.objects.filter(pk=legal.pk).update(stage="legal")
    Account.objects.filter(pk=paid.pk).update(stage="paid")

    with pytest.raises(ValidationError) as excinfo:
        place([on_plan, legal, paid], agency(), supervisor)

    refused = _refused(excinfo)
    assert len(refused) == 3
    assert "its stage is On plan; only early and late accounts are placed" in refused[0]
    assert "its stage is Legal" in refused[1]
    assert "its stage is Paid off" in refused[2]


def test_another_teams_account_is_refused_like_a_missing_one(team, other_team, supervisor):
    theirs = AccountFactory(team=other_team)
    with pytest.raises(ValidationError) as excinfo:
        place([theirs.pk, 999999], agency(), supervisor)
    assert _refused(excinfo) == [
        f"Account {theirs.pk}: no such account.",
        "Account 999999: no such account.",
    ]


def test_a_specialist_may_not_place(team, specialist):
    with pytest.raises(PermissionDenied):
        place([AccountFactory(team=team)], agency(), specialist)


def test_an_inactive_agency_takes_no_accounts(team, supervisor):
    with pytest.raises(ValidationError) as excinfo:
        place([AccountFactory(team=team)], agency(is_active=False), supervisor)
    assert "agency" in excinfo.value.message_dict


def test_the_placement_page_offers_exactly_the_accounts_the_service_accepts(
    team, supervisor, specialist
):
    acme = agency()
    ok = AccountFactory(team=team)
    late = AccountFactory(team=team, delinquent_since=date(2026, 8, 1))
    Account.objects.filter(pk=late.pk).update(stage="late")
    chinese = AccountFactory(team=team, customer=CustomerFactory(jurisdiction="CN"))
    held = AccountFactory(team=team)
    RestrictionFactory(customer=held.customer, kind="bankruptcy")
    held_account_only = AccountFactory(team=team)
    RestrictionFactory(
        customer=held_account_only.customer, account=held_account_only, kind="deceased"
    )
    placed = AccountFactory(team=team)
    place([placed], acme, supervisor)
    owes_nothing = AccountFactory(
        team=team,
        principal_balance=Decimal("0"),
        interest_balance=Decimal("0"),
        fee_balance=Decimal("0"),
    )
    on_plan = owing_account(team, assigned_to=specialist)
    active_plan(on_plan, specialist)
    everyone = Account.objects.select_related("customer")

    offered = set(
        eligibility.eligible_accounts(Account.objects.all(), day=TODAY, agency=acme).values_list(
            "pk", flat=True
        )
    )
    reasons = eligibility.refusals(everyone, agency=acme, day=TODAY)

    assert offered == {ok.pk, late.pk}
    assert offered == {a.pk for a in everyone} - set(reasons)
    assert chinese.pk in reasons and owes_nothing.pk in reasons
