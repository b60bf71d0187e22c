"""Settlement offers (issue 18 item 3; API.md "The life of a case")."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from hypothesis import given
from hypothesis import strategies as st

from accounts.models import Account, ReAge, Stage
from plans import services
from plans.budget import other_commitments
from plans.models import PlanPolicy, Settlement, SettlementAuthority, SettlementStatus
from plans.settlement import (
    SettlementTermsError,
    discount_share,
    first_missed,
    lapse_reason,
    settlement_schedule,
)
from tests.plans.factories import NOW, accepted_plan, owing_account, pay
from workspace.nightly import nightly_run

pytestmark = pytest.mark.django_db

TODAY = NOW.date()  # 2026-11-23
ORIGINAL = date(2026, 8, 20)  # 95 days past due: bucket M4 (specialists 20 %, supervisors 40 %)
FIRST_DUE = date(2026, 12, 15)
EXPIRES = date(2026, 12, 10)


@pytest.fixture(autouse=True)
def _frozen_clock(settings):
    settings.BUSINESS_DATE = ""
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def account(team, specialist):
    return owing_account(team, delinquent_since=ORIGINAL, assigned_to=specialist)


def offer(account, by, amount="8500.00", *, installments=1, now=NOW, **extra):
    return services.settlement_create(
        account=account,
        by=by,
        amount=Decimal(amount),
        installments=installments,
        first_due_date=extra.pop("first_due_date", FIRST_DUE),
        expires_on=extra.pop("expires_on", EXPIRES),
        now=now,
        **extra,
    )


def at(day: date, hour: int = 15) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


# --- The pure rules ----------------------------------------------------------------------------
def test_the_schedule_splits_the_amount_into_equal_monthly_parts_with_the_rest_last():
    schedule = settlement_schedule(Decimal("1000.00"), 3, date(2027, 1, 31), "USD")
    assert [(d.number, d.due_date, d.amount) for d in schedule] == [
        (1, date(2027, 1, 31), Decimal("333.33")),
        (2, date(2027, 2, 28), Decimal("333.33")),
        (3, date(2027, 3, 31), Decimal("333.34")),
    ]
    assert settlement_schedule(Decimal("500"), 1, date(2027, 1, 1), "JPY")[0].amount == 500
    with pytest.raises(SettlementTermsError):
        settlement_schedule(Decimal("0.02"), 3, date(2027, 1, 1), "USD")


@given(
    cents=st.integers(min_value=1, max_value=10**10),
    installments=st.integers(min_value=1, max_value=60),
)
def test_the_installments_add_up_to_the_amount_exactly(cents, installments):
    amount = Decimal(cents) / 100
    try:
        schedule = settlement_schedule(amount, installments, date(2027, 1, 31), "USD")
    except SettlementTermsError:
        assert amount < Decimal(installments) / 100
        return
    assert sum(d.amount for d in schedule) == amount
    assert all(d.amount >= schedule[0].amount > 0 for d in schedule)


def test_the_discount_is_a_share_of_the_balance():
    assert discount_share(Decimal("10000.00"), Decimal("7500.00")) == Decimal("0.25")


def test_an_installment_is_missed_after_its_grace_days_when_payments_fall_short():
    schedule = settlement_schedule(Decimal("1000.00"), 2, date(2027, 1, 1), "USD")
    assert first_missed(schedule, Decimal("0"), date(2027, 1, 11), 10) is None  # last grace day
    assert first_missed(schedule, Decimal("0"), date(2027, 1, 12), 10) == schedule[0]
    assert first_missed(schedule, Decimal("500.00"), date(2027, 1, 12), 10) is None
    assert first_missed(schedule, Decimal("500.00"), date(2027, 2, 12), 10) == schedule[1]


def test_an_offer_lapses_unaccepted_after_it_expires_or_when_an_installment_is_missed():
    schedule = settlement_schedule(Decimal("1000.00"), 1, date(2027, 1, 1), "USD")
    common = {"expires_on": date(2026, 12, 20), "schedule": schedule, "grace_days": 10}
    assert lapse_reason(payable=True, paid=Decimal(0), as_of=date(2026, 12, 20), **common) == ""
    assert "Not accepted by 2026-12-20" in lapse_reason(
        payable=False, paid=Decimal(0), as_of=date(2026, 12, 21), **common
    )
    assert "Installment 1 of 1000.00 due 2027-01-01 unpaid" in lapse_reason(
        payable=True, paid=Decimal("10.00"), as_of=date(2027, 1, 12), **common
    )


# --- Proposing within and beyond authority -----------------------------------------------------
def test_within_the_proposers_authority_it_is_offered_at_once(account, specialist):
    settlement = offer(account, specialist)  # 15 % off in M4, a specialist may give 20 %
    assert (settlement.status, settlement.bucket) == (SettlementStatus.OFFERED, "M4")
    assert (settlement.balance, settlement.amount, settlement.discount) == (
        Decimal("10000.00"),
        Decimal("8500.00"),
        Decimal("1500.00"),
    )
    assert settlement.offered_at == NOW and settlement.approval_reason == ""
    assert LogEntry.objects.get_for_object(settlement).count() == 1


def test_beyond_it_a_supervisor_approves_and_beyond_theirs_an_admin(
    account, specialist, supervisor, admin_user, team
):
    settlement = offer(account, specialist, "7000.00")  # 30 %: beyond 20 %
    assert settlement.status == SettlementStatus.PENDING_APPROVAL
    assert "exceeds the proposer's authority of 20.00 % in bucket M4" in (
        settlement.approval_reason
    )
    with pytest.raises(PermissionDenied):
        services.settlement_approve(settlement=settlement, by=specialist, now=NOW)
    settlement = services.settlement_approve(settlement=settlement, by=supervisor, now=NOW)
    assert (settlement.status, settlement.approved_by) == (SettlementStatus.OFFERED, supervisor)

    other = owing_account(team, delinquent_since=ORIGINAL)
    deep = offer(other, specialist, "5000.00")  # 50 %: beyond a supervisor's 40 % in M4
    with pytest.raises(PermissionDenied):
        services.settlement_approve(settlement=deep, by=supervisor, now=NOW)
    assert services.settlement_approve(settlement=deep, by=admin_user, now=NOW).status == "offered"


def test_the_authority_follows_the_bucket_and_the_admin_edited_table(team, specialist):
    current = owing_account(team, delinquent_since=TODAY - timedelta(days=10))  # M1: 10 %
    assert offer(current, specialist, "8500.00").status == SettlementStatus.PENDING_APPROVAL
    policy = PlanPolicy.objects.get(jurisdiction="US")
    SettlementAuthority.objects.filter(policy=policy, role="specialist", bucket="").update(
        max_discount_share=Decimal("0.15")
    )
    again = owing_account(team, delinquent_since=TODAY - timedelta(days=10))
    assert offer(again, specialist, "8500.00").status == SettlementStatus.OFFERED


def test_the_proposer_cannot_approve_their_own(account, supervisor):
    settlement = offer(account, supervisor, "5000.00")
    with pytest.raises(PermissionDenied):
        services.settlement_approve(settlement=settlement, by=supervisor, now=NOW)


def test_an_unaffordable_settlement_waits_and_approving_it_needs_a_reason(
    team, admin_user, supervisor
):
    tight = owing_account(
        team, delinquent_since=ORIGINAL, customer__monthly_income=Decimal("4000.00")
    )  # 500.00 a month
    settlement = offer(tight, admin_user, "9000.00", installments=2)  # 4,500.00 a month
    assert (settlement.status, settlement.affordable) == ("pending_approval", False)
    assert "4500.00 USD is above the 500.00 the customer can afford" in settlement.approval_reason
    with pytest.raises(ValidationError) as refused:
        services.settlement_approve(settlement=settlement, by=supervisor, now=NOW)
    assert list(refused.value.message_dict) == ["reason"]
    approved = services.settlement_approve(
        settlement=settlement, by=supervisor, note="A relative pays.", now=NOW
    )
    assert (approved.status, approved.decision_note) == ("offered", "A relative pays.")


@pytest.mark.parametrize(
    ("field", "changes"),
    [
        ("amount", {"amount": "10000.00"}),
        ("amount", {"amount": "0"}),
        ("amount", {"amount": "100.001"}),
        ("installments", {"installments": 61}),
        ("installments", {"amount": "0.02", "installments": 3}),
        ("first_due_date", {"first_due_date": TODAY - timedelta(days=1)}),
        ("expires_on", {"expires_on": TODAY - timedelta(days=1)}),
    ],
)
def test_bad_terms_name_the_field(account, specialist, field, changes):
    amount = changes.pop("amount", "8500.00")
    with pytest.raises(ValidationError) as refused:
        offer(account, specialist, amount, **changes)
    assert list(refused.value.message_dict) == [field]
    assert not Settlement.objects.exists()


def test_one_open_offer_and_no_open_plan(account, specialist):
    offer(account, specialist)
    with pytest.raises(services.ConflictError):
        offer(account, specialist, "9000.00")

    on_plan = owing_account(account.team)
    plan = accepted_plan(on_plan, specialist)
    services.plan_submit(plan=plan, by=specialist, now=NOW)
    with pytest.raises(services.ConflictError) as refused:
        offer(on_plan, specialist)
    assert refused.value.details == {"plan": plan.pk}


def test_a_plan_cannot_start_while_an_offer_is_open(account, specialist):
    settlement = offer(account, specialist)
    plan = accepted_plan(account, specialist)
    with pytest.raises(services.PlanStateError) as refused:
        services.plan_submit(plan=plan, by=specialist, now=NOW)
    assert f"settlement offer {settlement.pk}" in refused.value.message
    services.settlement_withdraw(settlement=settlement, by=specialist, reason="Plan instead.")
    assert services.plan_submit(plan=plan, by=specialist, now=NOW).status == "active"


def test_withdrawing_an_accepted_offer_takes_a_supervisor_and_rejecting_a_reason(
    account, specialist, supervisor
):
    settlement = offer(account, specialist, installments=2)
    pay(account, "4250.00", reference="S-1", received_at=NOW)
    settlement.refresh_from_db()
    assert settlement.status == SettlementStatus.ACCEPTED
    with pytest.raises(PermissionDenied):
        services.settlement_withdraw(settlement=settlement, by=specialist, reason="x")
    done = services.settlement_withdraw(settlement=settlement, by=supervisor, reason="Fraud.")
    assert (done.status, done.end_reason) == ("withdrawn", "Fraud.")

    pending = offer(owing_account(account.team, delinquent_since=ORIGINAL), specialist, "7000.00")
    with pytest.raises(ValidationError):
        services.settlement_reject(settlement=pending, by=supervisor, reason=" ")
    assert services.settlement_reject(settlement=pending, by=supervisor, reason="No.").status == (
        "rejected"
    )


def test_an_open_offer_elsewhere_counts_against_the_budget(team, specialist):
    first = owing_account(team, delinquent_since=ORIGINAL)
    second = owing_account(team, customer=first.customer)
    offer(first, specialist, "8500.00", installments=2)  # 4,250.00 a month
    assert other_commitments(second) == Decimal("4250.00")
    assert other_commitments(first) == 0


# --- Payments towards it -----------------------------------------------------------------------
def test_paid_in_full_the_discount_is_written_off_and_the_account_settled(account, specialist):
    settlement = offer(account, specialist)

    pay(account, "8500.00", reference="LUMP", received_at=NOW)

    settlement.refresh_from_db()
    account.refresh_from_db()
    assert (settlement.status, settlement.paid_amount, settlement.written_off) == (
        SettlementStatus.SETTLED,
        Decimal("8500.00"),
        Decimal("1500.00"),
    )
    assert (account.stage, account.total_balance, account.delinquent_since) == (
        Stage.SETTLED,
        0,
        None,
    )
    assert ReAge.objects.filter(account=account).latest("id").reason == ReAge.Reason.SETTLED
    # The write-off is on the account's audit trail.
    changes = [e.changes_dict for e in LogEntry.objects.get_for_object(account)]
    assert {"principal_balance": ["1500.00", "0"]}.items() <= next(
        c for c in changes if "principal_balance" in c and c["principal_balance"][0] == "1500.00"
    ).items()
    assert Account.objects.open().filter(pk=account.pk).count() == 0


def test_installments_are_accepted_by_the_first_payment_and_settled_by_the_last(
    account, specialist
):
    settlement = offer(account, specialist, installments=2)
    pay(account, "4250.00", reference="S-1", received_at=NOW)
    settlement.refresh_from_db()
    account.refresh_from_db()
    assert (settlement.status, settlement.accepted_at) == (SettlementStatus.ACCEPTED, NOW)
    assert account.total_balance == Decimal("5750.00") and account.stage != Stage.SETTLED

    second = at(date(2027, 1, 10))
    pay(account, "4300.00", reference="S-2", received_at=second, now=second)
    settlement.refresh_from_db()
    account.refresh_from_db()
    # Every cent is accounted for: paid 8,550.00, written off 1,450.00, of 10,000.00.
    assert (settlement.status, settlement.paid_amount, settlement.written_off) == (
        "settled",
        Decimal("8550.00"),
        Decimal("1450.00"),
    )
    assert settlement.paid_amount + settlement.written_off == settlement.balance
    assert account.stage == Stage.SETTLED


def test_paying_the_whole_balance_during_an_offer_pays_the_account_off(account, specialist):
    settlement = offer(account, specialist)
    pay(account, "10000.00", reference="ALL", received_at=NOW)
    settlement.refresh_from_db()
    account.refresh_from_db()
    assert (settlement.status, settlement.written_off) == ("settled", 0)
    assert account.stage == Stage.PAID


def test_the_nightly_run_lapses_unaccepted_offers_once(account, specialist):
    settlement = offer(account, specialist)
    assert services.settlements_lapse(as_of=EXPIRES, now=NOW) == 0  # its last day
    summary = nightly_run(as_of=EXPIRES + timedelta(days=1), now=at(EXPIRES))
    assert summary.step("settlements").changed == 1
    settlement.refresh_from_db()
    assert (settlement.status, settlement.end_reason) == (
        "lapsed",
        "Not accepted by 2026-12-10.",
    )
    assert services.settlements_lapse(as_of=EXPIRES + timedelta(days=1), now=NOW) == 0


def test_a_missed_installment_lapses_an_accepted_offer_and_later_payments_do_not_count(
    account, specialist
):
    settlement = offer(account, specialist, installments=2)
    pay(account, "4250.00", reference="S-1", received_at=NOW)
    missed_on = date(2027, 1, 15) + timedelta(days=11)  # second due 15 Jan, 10 grace days
    assert services.settlements_lapse(as_of=missed_on - timedelta(days=1), now=NOW) == 0
    assert services.settlements_lapse(as_of=missed_on, now=NOW) == 1
    settlement.refresh_from_db()
    assert settlement.status == "lapsed" and "Installment 2" in settlement.end_reason

    pay(account, "4250.00", reference="S-2", received_at=at(missed_on), now=at(missed_on))
    settlement.refresh_from_db()
    account.refresh_from_db()
    assert settlement.paid_amount == Decimal("4250.00")
    assert account.total_balance == Decimal("1500.00") and account.stage != Stage.SETTLED


def test_a_payment_after_the_lapse_point_lapses_the_offer_instead_of_settling(account, specialist):
    settlement = offer(account, specialist)  # lump sum due 15 Dec, expires 10 Dec
    late = at(date(2026, 12, 26))
    pay(account, "8500.00", reference="LATE", received_at=late, now=late)
    settlement.refresh_from_db()
    account.refresh_from_db()
    assert settlement.status == "lapsed" and settlement.paid_amount == 0
    assert account.total_balance == Decimal("1500.00")


# --- The API -----------------------------------------------------------------------------------
BODY = {
    "amount": "8500.00",
    "installments": 1,
    "first_due_date": "2026-12-15",
    "expires_on": "2026-12-10",
}


def test_a_specialist_offers_and_lists_settlements(api, account, specialist):
    client = api.as_user(specialist)
    url = f"/api/v1/accounts/{account.pk}/settlements/"
    response = client.post(url, BODY, format="json")
    data = response.json()
    assert response.status_code == 201, data
    assert (data["status"], data["discount"], data["installments"]) == ("offered", "1500.00", 1)
    assert data["schedule"] == [{"number": 1, "due_date": "2026-12-15", "amount": "8500.00"}]
    listed = client.get(url).json()["results"]
    assert [s["id"] for s in listed] == [data["id"]]
    assert client.get(f"/api/v1/settlements/{data['id']}/").json()["amount"] == "8500.00"


@pytest.mark.parametrize(
    ("field", "changes"),
    [
        ("amount", {"amount": "10000.00"}),
        ("installments", {"installments": 0}),
        ("expires_on", {"expires_on": None}),
        ("first_due_date", {"first_due_date": "2026-11-01"}),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api, account, specialist, field, changes):
    response = api.as_user(specialist).post(
        f"/api/v1/accounts/{account.pk}/settlements/", {**BODY, **changes}, format="json"
    )
    assert (response.status_code, list(response.json())) == (400, [field]), response.json()


def test_another_teams_account_and_settlement_are_refused(
    api, account, specialist, other_specialist
):
    settlement = offer(account, specialist)
    client = api.as_user(other_specialist)
    url = f"/api/v1/accounts/{account.pk}/settlements/"
    assert client.get(url).status_code == 403
    assert client.post(url, BODY, format="json").status_code == 403
    assert client.get(f"/api/v1/settlements/{settlement.pk}/").status_code in (403, 404)
    withdraw = f"/api/v1/settlements/{settlement.pk}/withdraw/"
    assert client.post(withdraw, {"reason": "x"}, format="json").status_code in (403, 404)
    assert client.get("/api/v1/accounts/999999/settlements/").status_code == 404


def test_decisions_by_role_and_state(api, account, specialist, supervisor):
    settlement = offer(account, specialist, "7000.00")
    approve = f"/api/v1/settlements/{settlement.pk}/approve/"
    assert api.as_user(specialist).post(approve, {}, format="json").status_code == 403
    response = api.as_user(supervisor).post(approve, {"reason": "ok"}, format="json")
    assert (response.status_code, response.json()["status"]) == (200, "offered")
    again = api.as_user(supervisor).post(approve, {}, format="json")
    assert (again.status_code, again.json()["status"]) == (409, "offered")
    reject = f"/api/v1/settlements/{settlement.pk}/reject/"
    assert api.as_user(supervisor).post(reject, {}, format="json").status_code == 400
    assert api.as_user(supervisor).post(reject, {"reason": "x"}, format="json").status_code == 409
    withdraw = f"/api/v1/settlements/{settlement.pk}/withdraw/"
    response = api.as_user(specialist).post(withdraw, {"reason": "Changed"}, format="json")
    assert (response.status_code, response.json()["status"]) == (200, "withdrawn")


def test_an_open_plan_is_a_409(api, team, specialist):
    on_plan = owing_account(team)
    services.plan_submit(plan=accepted_plan(on_plan, specialist), by=specialist, now=NOW)
    response = api.as_user(specialist).post(
        f"/api/v1/accounts/{on_plan.pk}/settlements/", BODY, format="json"
    )
    assert response.status_code == 409 and "plan" in response.json()


# --- The plan builder --------------------------------------------------------------------------
def test_the_builder_offers_a_settlement_and_lists_the_offers(client, account, specialist):
    client.force_login(specialist)
    page = client.get(f"/plans/new/{account.pk}/").content.decode()
    assert 'id="settlement-form"' in page and "No settlement offers yet." in page

    response = client.post(f"/plans/new/{account.pk}/settlement/", BODY)
    assert response.status_code == 302
    assert response["Location"] == f"/plans/new/{account.pk}/#settlements"
    page = client.get(f"/plans/new/{account.pk}/").content.decode()
    assert "Settlement offered to the customer." in page
    assert 'data-status="offered"' in page


def test_the_builder_shows_the_settlement_errors_by_the_fields(client, account, specialist):
    client.force_login(specialist)
    response = client.post(f"/plans/new/{account.pk}/settlement/", {**BODY, "amount": "12000"})
    assert response.status_code == 400
    assert list(response.context["settlement_form"].errors) == ["amount"]
    assert "Must be less than the balance of 10000.00 USD." in response.content.decode()
    assert not Settlement.objects.exists()


def test_offers_are_decided_from_the_builder(client, account, specialist, supervisor):
    settlement = offer(account, specialist, "7000.00")
    client.force_login(specialist)
    page = client.get(f"/plans/new/{account.pk}/").content.decode()
    assert 'value="approve"' not in page  # a specialist only withdraws
    response = client.post(
        f"/plans/settlements/{settlement.pk}/decide/", {"action": "approve"}, follow=True
    )
    assert "Only a supervisor or an admin may approve settlements." in response.content.decode()

    client.force_login(supervisor)
    client.post(f"/plans/settlements/{settlement.pk}/decide/", {"action": "approve"})
    settlement.refresh_from_db()
    assert settlement.status == SettlementStatus.OFFERED
