"""Rescheduling a plan (issue 18 item 2; API.md "The life of a case")."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Account, ReAge, Stage
from accounts.services import account_update
from plans import services
from plans.models import Installment, Plan, PlanPolicy, PlanStatus
from plans.reschedule import Arrears, first_due_after_holiday, restructure, unpaid_of
from tests.plans.factories import active_plan, draft_plan, owing_account, pay

pytestmark = pytest.mark.django_db

ORIGINAL = date(2026, 8, 20)
# The worked example starts 2026-12-01: installments 1 and 2 (2027-01-01, 2027-02-01) are past
# due on 15 February 2027, unpaid: their interest is 100.00 + 92.12.
LATER = datetime(2027, 2, 15, 15, 0, tzinfo=UTC)
ARREARS = Decimal("192.12")
NEW_TERMS = {"method": "equal_installment", "annual_rate": Decimal("0.12"), "installments": 24}


def on_plan(team, specialist, **terms):
    account = owing_account(team, delinquent_since=ORIGINAL, assigned_to=specialist)
    plan = active_plan(account, specialist, **terms)
    account.refresh_from_db()
    return account, plan


def reschedule(plan, by, *, now=LATER, arrears="capitalise", **changes):
    return services.plan_reschedule(
        plan=plan, by=by, arrears=arrears, reason="Lost overtime.", now=now, **NEW_TERMS | changes
    )


# --- The pure rules ----------------------------------------------------------------------------
class Row:
    def __init__(self, due, principal, interest, fee="0", paid=("0", "0", "0")):
        self.due_date = due
        self.principal, self.interest, self.fee = (
            Decimal(principal),
            Decimal(interest),
            Decimal(fee),
        )
        self.paid_principal, self.paid_interest, self.paid_fee = (Decimal(p) for p in paid)


def test_unpaid_principal_counts_every_installment_and_arrears_only_those_past_due():
    rows = [
        Row(date(2027, 1, 1), "100.00", "10.00", "1.00", paid=("100.00", "4.00", "1.00")),
        Row(date(2027, 2, 1), "100.00", "9.00", "1.00"),
        Row(date(2027, 3, 1), "100.00", "8.00", "1.00"),  # due on as_of: not yet past due
    ]
    unpaid = unpaid_of(rows, as_of=date(2027, 3, 1))
    assert (unpaid.principal, unpaid.arrears_interest, unpaid.arrears_fee) == (
        Decimal("200.00"),
        Decimal("15.00"),
        Decimal("1.00"),
    )


def test_capitalised_arrears_join_the_principal_and_waived_ones_are_a_concession():
    capitalised = restructure(Decimal("900.00"), Decimal("30.00"), Arrears.CAPITALISE)
    waived = restructure(Decimal("900.00"), Decimal("30.00"), "waive")
    assert (capitalised.principal, capitalised.capitalised, capitalised.waived) == (
        Decimal("930.00"),
        Decimal("30.00"),
        0,
    )
    assert (waived.principal, waived.capitalised, waived.waived) == (
        Decimal("900.00"),
        0,
        Decimal("30.00"),
    )


def test_a_payment_holiday_moves_the_first_due_date_by_whole_months():
    start = date(2027, 1, 31)
    assert first_due_after_holiday(start, "monthly", None, 0) == date(2027, 2, 28)
    assert first_due_after_holiday(start, "monthly", None, 2) == date(2027, 4, 28)
    assert first_due_after_holiday(start, "monthly", date(2027, 3, 31), 1) == date(2027, 4, 30)
    assert first_due_after_holiday(start, "weekly", None, 1) == date(2027, 3, 7)


cents = st.integers(min_value=0, max_value=10_000_00).map(lambda c: Decimal(c) / 100)


@given(
    rows=st.lists(
        st.tuples(st.integers(0, 400), cents, cents, cents, st.floats(0, 1), st.floats(0, 1)),
        min_size=1,
        max_size=24,
    ),
    as_of_day=st.integers(0, 400),
    treatment=st.sampled_from(list(Arrears)),
)
def test_restructuring_conserves_every_cent(rows, as_of_day, treatment):
    start = date(2027, 1, 1)
    installments = []
    for day, principal, interest, fee, paid_p, paid_i in rows:
        row = Row(start + timedelta(days=day), principal, interest, fee)
        row.paid_principal = (principal * Decimal(str(paid_p))).quantize(Decimal("0.01"))
        row.paid_interest = (interest * Decimal(str(paid_i))).quantize(Decimal("0.01"))
        installments.append(row)
    unpaid = unpaid_of(installments, as_of=start + timedelta(days=as_of_day))
    new = restructure(unpaid.principal, unpaid.arrears, treatment)
    assert new.principal + new.waived == unpaid.total
    assert new.principal == unpaid.principal + new.capitalised
    assert min(new.capitalised, new.waived) == 0


# --- The service -------------------------------------------------------------------------------
def test_capitalising_books_the_arrears_and_the_new_plan_replaces_the_old(team, specialist):
    account, old = on_plan(team, specialist)
    services.plans_reage(as_of=LATER.date(), now=LATER)  # installments 1 and 2 fell past due
    account.refresh_from_db()
    assert account.delinquent_since == date(2027, 1, 1)

    new = reschedule(old, specialist)

    old.refresh_from_db()
    account.refresh_from_db()
    assert (old.status, old.replaced_by, old.rescheduled_at) == ("rescheduled", new, LATER)
    assert (new.status, new.replaces, new.proposed_by) == ("active", old, specialist)
    assert (new.principal, new.arrears_capitalised, new.arrears_waived) == (
        Decimal("10192.12"),
        ARREARS,
        0,
    )
    assert (new.start_date, new.first_due_date) == (date(2027, 2, 15), date(2027, 3, 15))
    assert (new.installment_count, new.frequency) == (24, old.frequency)
    # The arrears are on the account now, and the new plan restructures all of it.
    assert account.interest_balance == Decimal("700.00") + ARREARS
    assert account.total_balance == new.principal
    # Still on plan, measured against the new plan; the debt's own date is kept.
    assert account.stage == Stage.ON_PLAN
    assert (account.delinquent_since, account.original_delinquent_since) == (None, ORIGINAL)
    assert ReAge.objects.filter(account=account).latest("id").plan_id == new.pk
    assert old.events.latest("id").action == "rescheduled"
    assert "Replaced by plan" in old.events.latest("id").note
    new_events = list(new.events.values_list("action", flat=True))
    assert new_events == ["created", "activated"]
    assert "Arrears of 192.12 USD capitalised" in new.events.latest("id").note


def test_waived_arrears_are_a_concession_and_the_principal_is_what_is_unpaid(team, specialist):
    account, old = on_plan(team, specialist)
    pay(account, "888.49", reference="FIRST", received_at=datetime(2027, 1, 2, tzinfo=UTC))

    new = reschedule(old, specialist, arrears="waive")

    account.refresh_from_db()
    # Installment 1 was paid (788.49 of principal); installment 2's 92.12 interest is waived.
    assert (new.principal, new.arrears_waived) == (Decimal("9211.51"), Decimal("92.12"))
    assert new.authority_concessions == Decimal("92.12")
    assert account.total_balance == new.principal
    assert "waived (a concession)" in new.events.latest("id").note


def test_a_payment_holiday_moves_the_first_due_date_within_the_policy(team, specialist):
    _account, old = on_plan(team, specialist)
    new = reschedule(old, specialist, payment_holiday_months=3)
    assert (new.payment_holiday_months, new.first_due_date) == (3, date(2027, 6, 15))

    _account, other = on_plan(team, specialist)
    with pytest.raises(ValidationError) as refused:
        reschedule(other, specialist, payment_holiday_months=4)  # the default maximum is 3
    assert list(refused.value.message_dict) == ["payment_holiday_months"]
    other.refresh_from_db()
    assert other.status == PlanStatus.ACTIVE  # nothing half-saved


def test_the_policy_limits_reschedules_in_twelve_months(team, specialist):
    _account, plan = on_plan(team, specialist)
    plan = reschedule(plan, specialist)
    plan = reschedule(plan, specialist, now=LATER + timedelta(days=1))
    with pytest.raises(services.ConflictError) as refused:
        reschedule(plan, specialist, now=LATER + timedelta(days=2))
    assert "rescheduled 2 time(s) in the last 12 months" in refused.value.message
    plan.refresh_from_db()
    assert plan.status == PlanStatus.ACTIVE

    # Twelve months after the first, one more is allowed.
    later = LATER + timedelta(days=365, hours=12)
    assert services.reschedules_in_window(plan.account_id, later) == 1
    assert reschedule(plan, specialist, now=later).status == PlanStatus.ACTIVE


def test_a_broken_plan_can_be_rescheduled_and_the_account_goes_back_on_plan(team, specialist):
    account, old = on_plan(team, specialist)
    as_of = date(2027, 3, 20)  # installments 1 and 2 past their grace days
    services.plans_reage(as_of=as_of, now=LATER)
    assert services.plans_break_overdue(as_of=as_of, now=LATER) == [old.pk]
    account.refresh_from_db()
    assert account.stage == Stage.LATE

    now = datetime(2027, 3, 20, 15, 0, tzinfo=UTC)
    new = reschedule(old, specialist, now=now, arrears="waive")

    old.refresh_from_db()
    account.refresh_from_db()
    assert (old.status, old.broken_at is not None) == ("rescheduled", True)
    assert old.events.latest("id").from_status == "broken"
    assert new.status == PlanStatus.ACTIVE
    assert account.stage == Stage.ON_PLAN and account.delinquent_since is None
    # 3 installments past due by 20 March: their interest is waived.
    due = old.installments.filter(due_date__lt=now.date())
    assert due.count() == 3
    assert new.arrears_waived == sum((row.interest for row in due), Decimal(0))


def test_beyond_the_proposers_authority_the_new_plan_waits_and_the_account_stays_on_plan(
    team, specialist, supervisor
):
    PlanPolicy.objects.filter(jurisdiction="US").update(specialist_concession_limit=100)
    account, old = on_plan(team, specialist)
    services.plans_reage(as_of=LATER.date(), now=LATER)

    new = reschedule(old, specialist, arrears="waive")  # 192.12 waived > 100.00

    old.refresh_from_db()
    account.refresh_from_db()
    assert (new.status, old.status) == ("pending_approval", "rescheduled")
    assert "Concessions of 192.12 USD exceed the proposer's authority" in new.approval_reason
    assert account.stage == Stage.ON_PLAN
    assert not Plan.objects.filter(account=account, status="active").exists()

    new = services.plan_approve(plan=new, by=supervisor, now=LATER)
    account.refresh_from_db()
    assert new.status == "active" and account.delinquent_since is None


def test_a_rejected_replacement_returns_the_account_to_collections(team, specialist, supervisor):
    PlanPolicy.objects.filter(jurisdiction="US").update(specialist_concession_limit=100)
    account, old = on_plan(team, specialist)
    services.plans_reage(as_of=LATER.date(), now=LATER)
    new = reschedule(old, specialist, arrears="waive")

    services.plan_reject(plan=new, by=supervisor, reason="Not again.", now=LATER)

    account.refresh_from_db()
    assert account.stage in (Stage.EARLY, Stage.LATE)
    assert account.delinquent_since == ORIGINAL  # collections resume with the debt's history
    assert account.total_balance == Decimal("10000.00")  # waived arrears were never booked


def test_an_unaffordable_reschedule_waits_for_approval(team, specialist):
    account = owing_account(team, customer__monthly_income=Decimal("5000.00"))  # 1,000 a month
    old = active_plan(account, specialist, installments=24)  # 470.73 a month
    new = reschedule(old, specialist, installments=6)
    assert new.status == PlanStatus.PENDING_APPROVAL and new.affordable is False
    assert "the customer can afford" in new.approval_reason


def test_only_active_or_broken_plans_are_rescheduled(team, specialist):
    draft = draft_plan(owing_account(team), specialist)
    with pytest.raises(services.PlanStateError):
        reschedule(draft, specialist)
    _account, old = on_plan(team, specialist)
    reschedule(old, specialist)
    old.refresh_from_db()
    with pytest.raises(services.PlanStateError):
        reschedule(old, specialist)  # already rescheduled


def test_a_balance_that_moved_is_a_conflict_and_nothing_changes(team, specialist):
    account, old = on_plan(team, specialist)
    account_update(account=account, by=None, data={"fee_balance": Decimal("350.00")})
    with pytest.raises(services.PlanStateError) as refused:
        reschedule(old, specialist)
    assert "not the 10000.00 still unpaid" in refused.value.message
    old.refresh_from_db()
    assert old.status == PlanStatus.ACTIVE


def test_bad_terms_leave_the_old_plan_in_force(team, specialist):
    account, old = on_plan(team, specialist)
    with pytest.raises(ValidationError) as refused:
        reschedule(old, specialist, installments=61)
    assert list(refused.value.message_dict) == ["installments"]
    old.refresh_from_db()
    account.refresh_from_db()
    assert old.status == PlanStatus.ACTIVE and account.interest_balance == Decimal("700.00")


def test_conditional_concessions_of_the_replaced_plan_come_back_if_the_new_one_breaks(
    team, specialist
):
    account, old = on_plan(
        team, specialist, waived_interest=Decimal("300.00"), concessions_conditional=True
    )
    new = reschedule(old, specialist, arrears="waive")
    as_of = date(2027, 6, 1)  # the new plan's first installments are long past due
    services.plans_reage(as_of=as_of, now=LATER)
    assert services.plans_break_overdue(as_of=as_of, now=LATER) == [new.pk]

    old.refresh_from_db()
    account.refresh_from_db()
    assert old.concessions_reinstated_at is not None
    assert account.interest_balance == Decimal("700.00")  # the 300.00 waived is back
    assert f"of plan {old.pk} reinstated" in new.events.latest("id").note


def test_a_replacement_paid_in_full_after_waived_arrears_settles_the_account(team, specialist):
    account, old = on_plan(team, specialist)
    new = reschedule(old, specialist, arrears="waive", installments=1)
    pay(account, str(new.total_payable), reference="ALL", received_at=LATER, now=LATER)
    account.refresh_from_db()
    new.refresh_from_db()
    assert (new.status, account.stage) == ("completed", Stage.SETTLED)


# --- Money is conserved and re-ageing never touches it ------------------------------------------
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    payments=st.lists(st.integers(1, 2_000_00).map(lambda c: Decimal(c) / 100), max_size=3),
    days=st.integers(min_value=1, max_value=200),
    treatment=st.sampled_from(["capitalise", "waive"]),
    reage_days=st.lists(st.integers(0, 500), min_size=1, max_size=3),
)
def test_a_reschedule_conserves_money_and_re_ageing_never_changes_a_balance(
    team, specialist, payments, days, treatment, reage_days
):
    with transaction.atomic():  # each example rolls back
        PlanPolicy.objects.filter(jurisdiction="US").update(specialist_concession_limit=10**6)
        account, old = on_plan(team, specialist)
        for number, amount in enumerate(payments):
            received = datetime(2026, 12, 2, tzinfo=UTC) + timedelta(days=number * 30)
            pay(account, str(amount), reference=f"P-{account.pk}-{number}", received_at=received)
        now = datetime(2026, 12, 2, 15, tzinfo=UTC) + timedelta(days=days)
        old.refresh_from_db()
        if old.status != PlanStatus.ACTIVE:  # paid off by the payments: nothing to reschedule
            transaction.set_rollback(True)
            return
        unpaid = unpaid_of(Installment.objects.filter(plan=old), as_of=now.date())

        new = reschedule(old, specialist, now=now, arrears=treatment)

        account.refresh_from_db()
        assert new.principal + new.arrears_waived == unpaid.total
        assert account.total_balance == new.principal
        balances = (
            account.principal_balance,
            account.interest_balance,
            account.fee_balance,
            account.past_due_amount,
        )
        for offset in reage_days:
            as_of = now.date() + timedelta(days=offset)
            services.plans_reage(as_of=as_of, now=now)
            services.plan_reage(new, reason="plan_payment", by=None, now=now, as_of=as_of)
            account.refresh_from_db()
            assert (
                account.principal_balance,
                account.interest_balance,
                account.fee_balance,
                account.past_due_amount,
            ) == balances
        transaction.set_rollback(True)


# --- The API -----------------------------------------------------------------------------------
@pytest.fixture
def later():
    with time_machine.travel(LATER, tick=False):
        yield


def url(plan) -> str:
    return f"/api/v1/plans/{plan.pk}/reschedule/"


BODY = {
    "installments": 24,
    "method": "equal_installment",
    "annual_rate": "0.12",
    "payment_holiday_months": 1,
    "arrears": "capitalise",
    "reason": "Lost overtime.",
}


def test_the_endpoint_answers_201_with_the_new_plan(api, team, specialist, later):
    _account, old = on_plan(team, specialist)
    response = api.as_user(specialist).post(url(old), BODY, format="json")
    data = response.json()
    assert response.status_code == 201, data
    assert (data["status"], data["replaces"], data["principal"]) == ("active", old.pk, "10192.12")
    assert (data["arrears_capitalised"], data["arrears_waived"]) == ("192.12", "0.00")
    assert (data["payment_holiday_months"], data["first_due_date"]) == (1, "2027-04-15")
    previous = api.get(f"/api/v1/plans/{old.pk}/").json()
    assert (previous["status"], previous["replaced_by"]) == ("rescheduled", data["id"])
    assert previous["events"][-1]["action"] == "rescheduled"


@pytest.mark.parametrize(
    ("field", "change"),
    [
        ("arrears", {"arrears": "forgive"}),
        ("reason", {"reason": ""}),
        ("installments", {"installments": 0}),
        ("annual_rate", {"annual_rate": None}),
        ("payment_holiday_months", {"payment_holiday_months": 9}),
        ("first_due_date", {"first_due_date": "2027-02-01"}),
    ],
)
def test_bad_terms_are_a_400_naming_the_field(api, team, specialist, later, field, change):
    _account, old = on_plan(team, specialist)
    response = api.as_user(specialist).post(url(old), {**BODY, **change}, format="json")
    assert (response.status_code, list(response.json())) == (400, [field]), response.json()
    old.refresh_from_db()
    assert old.status == PlanStatus.ACTIVE


def test_another_teams_plan_is_refused(api, team, specialist, other_specialist, later):
    _account, old = on_plan(team, specialist)
    response = api.as_user(other_specialist).post(url(old), BODY, format="json")
    assert response.status_code in (403, 404)
    assert api.post("/api/v1/plans/999999/reschedule/", BODY, format="json").status_code == 404


def test_wrong_state_and_too_many_reschedules_are_409(api, team, specialist, later):
    client = api.as_user(specialist)
    draft = draft_plan(owing_account(team), specialist)
    response = client.post(url(draft), BODY, format="json")
    assert (response.status_code, response.json()["status"]) == (409, "draft")

    PlanPolicy.objects.filter(jurisdiction="US").update(max_reschedules_per_year=1)
    _account, old = on_plan(team, specialist)
    new_id = client.post(url(old), BODY, format="json").json()["id"]
    again = client.post(f"/api/v1/plans/{new_id}/reschedule/", BODY, format="json")
    assert again.status_code == 409
    assert "the policy allows 1" in again.json()["detail"]
    assert Plan.objects.get(pk=new_id).status == PlanStatus.ACTIVE


def test_the_schema_describes_the_reschedule(api, admin_user):
    paths = api.as_user(admin_user).get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    assert "/api/v1/plans/{id}/reschedule/" in paths["paths"]


# --- The plan page -----------------------------------------------------------------------------
def test_the_plan_page_reschedules_through_the_service(client, team, specialist, later):
    _account, old = on_plan(team, specialist)
    client.force_login(specialist)
    page = client.get(f"/plans/{old.pk}/").content.decode()
    assert 'id="reschedule-plan"' in page

    response = client.post(
        f"/plans/{old.pk}/reschedule/",
        {
            "method": "equal_installment",
            "annual_rate": "12",
            "installments": "24",
            "payment_holiday_months": "0",
            "arrears": "waive",
            "reason": "Lost overtime.",
        },
    )
    new = Plan.objects.get(replaces=old)
    assert response.status_code == 302 and response["Location"] == f"/plans/{new.pk}/"
    page = client.get(f"/plans/{new.pk}/").content.decode()
    assert f"Reschedules plan {old.pk}" in page and "Plan rescheduled" in page
    assert 'id="reschedule-plan"' in page  # the new plan can be rescheduled in turn
    assert f"Rescheduled as plan {new.pk}" in client.get(f"/plans/{old.pk}/").content.decode()


def test_the_plan_page_shows_the_errors_by_the_fields(client, team, specialist, later):
    _account, old = on_plan(team, specialist)
    client.force_login(specialist)
    response = client.post(
        f"/plans/{old.pk}/reschedule/",
        {
            "method": "equal_installment",
            "annual_rate": "12",
            "installments": "24",
            "payment_holiday_months": "5",
            "arrears": "waive",
            "reason": "x",
        },
    )
    assert response.status_code == 400
    form = response.context["reschedule_form"]
    assert list(form.errors) == ["payment_holiday_months"]
    assert "from 0 to 3" in response.content.decode()
    old.refresh_from_db()
    assert old.status == PlanStatus.ACTIVE


def test_accounts_module_sees_no_second_open_plan(team, specialist):
    account, old = on_plan(team, specialist)
    reschedule(old, specialist)
    assert Account.objects.get(pk=account.pk).plans.filter(status__in=["active"]).count() == 1
