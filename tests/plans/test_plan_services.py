"""The plan lifecycle through its services: every transition, its guards, events and audit."""

from datetime import timedelta
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import translation

from accounts.models import Stage
from plans import services
from plans.models import Installment, Plan, PlanPolicy, PlanStatus
from plans.services import PlanStateError
from tests.plans.factories import (
    NOW,
    START,
    accepted_plan,
    active_plan,
    draft_plan,
    owing_account,
)

pytestmark = pytest.mark.django_db


def actions(plan):
    return list(plan.events.values_list("action", "from_status", "to_status"))


def field_errors(excinfo):
    return excinfo.value.message_dict


# --- Create ------------------------------------------------------------------------------------
def test_create_stores_the_worked_example_as_a_draft(team, specialist):
    account = owing_account(team)
    plan = draft_plan(account, specialist)

    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT
    assert plan.principal == Decimal("10000.00")
    assert plan.total_interest == Decimal("661.86")
    assert plan.total_payable == Decimal("10661.86")
    assert plan.apr == Decimal("0.1200")
    assert plan.first_due_date == START.replace(month=1, year=2027)
    rows = list(plan.installments.order_by("number"))
    assert len(rows) == 12
    assert (rows[0].amount, rows[0].interest, rows[0].principal) == (
        Decimal("888.49"),
        Decimal("100.00"),
        Decimal("788.49"),
    )
    assert (rows[-1].amount, rows[-1].principal, rows[-1].interest) == (
        Decimal("888.47"),
        Decimal("879.67"),
        Decimal("8.80"),
    )
    assert actions(plan) == [("created", "", "draft")]
    assert plan.events.get().by == specialist
    assert LogEntry.objects.get_for_object(plan).get().actor == specialist


def test_the_down_payment_is_installment_zero_due_on_the_start_date(team, specialist):
    plan = draft_plan(owing_account(team), specialist, down_payment=Decimal("1000.00"))

    zero = plan.installments.get(number=0)
    assert (zero.due_date, zero.amount, zero.principal) == (
        START,
        Decimal("1000.00"),
        Decimal("1000.00"),
    )
    assert plan.amount_financed == Decimal("9000.00")
    assert plan.installments.count() == 13


def test_principal_defaults_to_the_balance_less_concessions(team, specialist):
    account = owing_account(team)
    plan = draft_plan(
        account, specialist, waived_interest=Decimal("700.00"), waived_fees=Decimal("300.00")
    )
    assert plan.principal == Decimal("9000.00")
    assert plan.concessions_total == Decimal("1000.00")


def test_a_principal_other_than_the_balance_less_concessions_is_refused(team, specialist):
    with pytest.raises(ValidationError) as excinfo:
        draft_plan(owing_account(team), specialist, principal=Decimal("9999.00"))
    assert "10000.00" in field_errors(excinfo)["principal"][0]


def test_a_concession_above_its_balance_is_refused(team, specialist):
    with pytest.raises(ValidationError) as excinfo:
        draft_plan(owing_account(team), specialist, waived_fees=Decimal("300.01"))
    assert list(field_errors(excinfo)) == ["waived_fees"]


def test_a_principal_reduction_lowers_the_principal_restructured(team, specialist):
    plan = draft_plan(owing_account(team), specialist, principal_reduction=Decimal("400.00"))
    assert plan.principal == Decimal("9600.00")
    assert plan.concessions_total == Decimal("400.00")


def test_a_principal_reduction_above_the_principal_balance_is_refused(team, specialist):
    # 9,500.00 is below the 10,000.00 owed but above the 9,000.00 principal it comes off.
    with pytest.raises(ValidationError) as excinfo:
        draft_plan(owing_account(team), specialist, principal_reduction=Decimal("9500.00"))
    assert field_errors(excinfo) == {
        "principal_reduction": ["Must not exceed the account's balance of 9000.00."]
    }


def test_concessions_that_leave_nothing_to_restructure_are_refused(team, specialist):
    with pytest.raises(ValidationError) as excinfo:
        draft_plan(
            owing_account(team),
            specialist,
            waived_interest=Decimal("700.00"),
            waived_fees=Decimal("300.00"),
            principal_reduction=Decimal("9000.00"),
        )
    assert list(field_errors(excinfo)) == ["principal"]


def test_the_jurisdictions_maximum_term_caps_installments(team, specialist):
    with pytest.raises(ValidationError) as excinfo:
        draft_plan(owing_account(team), specialist, installments=61)
    assert field_errors(excinfo)["installments"] == ["Must be a whole number from 1 to 60."]


def test_the_maximum_term_is_data(team, specialist):
    PlanPolicy.objects.filter(jurisdiction="US").update(max_installments=24)
    with pytest.raises(ValidationError):
        draft_plan(owing_account(team), specialist, installments=36)


def test_an_installment_below_the_minimum_is_refused(team, specialist):
    account = owing_account(team, principal="200.00", interest="0.00", fees="0.00")
    with pytest.raises(ValidationError) as excinfo:
        draft_plan(account, specialist, installments=12)  # about 17.77 a month, minimum 25.00
    assert "below the minimum of 25.00 USD" in field_errors(excinfo)["installments"][0]
    assert draft_plan(account, specialist, installments=8).installment_count == 8


def test_a_start_date_in_the_past_is_refused(team, specialist):
    with pytest.raises(ValidationError) as excinfo:
        draft_plan(owing_account(team), specialist, start_date=NOW.date() - timedelta(days=1))
    assert list(field_errors(excinfo)) == ["start_date"]


def test_engine_errors_name_their_field(team, specialist):
    with pytest.raises(ValidationError) as excinfo:
        draft_plan(owing_account(team), specialist, annual_rate=None)
    assert list(field_errors(excinfo)) == ["annual_rate"]


def test_a_closed_account_gets_no_plan(team, specialist):
    with pytest.raises(ValidationError) as excinfo:
        draft_plan(owing_account(team, stage=Stage.CLOSED), specialist)
    assert list(field_errors(excinfo)) == ["account"]


def test_a_user_without_a_role_cannot_propose(team):
    from tests.factories import UserFactory

    with pytest.raises(PermissionDenied):
        draft_plan(owing_account(team), UserFactory(team=team))


# --- Accept and submit -------------------------------------------------------------------------
def test_acceptance_is_recorded_with_when_how_and_evidence(team, specialist):
    plan = accepted_plan(owing_account(team), specialist)

    assert plan.accepted_at == NOW
    assert plan.acceptance_channel == "recorded_call"
    assert plan.acceptance_reference == "REC-1"
    assert plan.acceptance_recorded_by == specialist
    assert plan.status == PlanStatus.DRAFT
    assert actions(plan)[-1] == ("accepted", "draft", "draft")


def test_the_acceptance_event_note_is_in_english_whatever_the_page_language(team, specialist):
    plan = draft_plan(owing_account(team), specialist)
    with translation.override("zh-hans"):
        services.plan_accept(
            plan=plan, channel="recorded_call", accepted_at=NOW, by=specialist, now=NOW
        )

    note = plan.events.get(action="accepted").note
    assert note == f"Recorded phone call at {NOW.isoformat()}"


def test_acceptance_in_the_future_or_before_the_draft_is_refused(team, specialist):
    plan = draft_plan(owing_account(team), specialist)
    for when in (NOW + timedelta(hours=1), NOW - timedelta(hours=1)):
        with pytest.raises(ValidationError) as excinfo:
            services.plan_accept(
                plan=plan, channel="e_signature", accepted_at=when, by=specialist, now=NOW
            )
        assert list(field_errors(excinfo)) == ["accepted_at"]


def test_submitting_without_acceptance_is_a_state_error(team, specialist):
    plan = draft_plan(owing_account(team), specialist)
    with pytest.raises(PlanStateError, match="acceptance"):
        services.plan_submit(plan=plan, by=specialist, now=NOW)
    assert Plan.objects.get(pk=plan.pk).status == PlanStatus.DRAFT


def test_within_authority_a_submitted_plan_is_active_at_once(team, specialist):
    account = owing_account(team)
    plan = accepted_plan(
        account, specialist, waived_fees=Decimal("300.00"), concessions_conditional=True
    )
    plan = services.plan_submit(plan=plan, by=specialist, now=NOW)

    assert plan.status == PlanStatus.ACTIVE
    assert plan.activated_at == NOW
    assert plan.approved_by is None
    assert actions(plan)[-1] == ("activated", "draft", "active")
    account.refresh_from_db()
    assert account.stage == Stage.ON_PLAN
    assert account.fee_balance == Decimal("0.00")  # the waived fees came off the balance
    assert account.total_balance == plan.principal
    entries = LogEntry.objects.get_for_object(plan)
    assert ["draft", "active"] in [e.changes_dict.get("status") for e in entries]
    assert set(entries.values_list("actor", flat=True)) == {specialist.pk}


def test_above_the_proposers_authority_a_plan_waits_for_approval(team, specialist):
    account = owing_account(team)
    plan = accepted_plan(account, specialist, waived_interest=Decimal("700.00"))
    plan = services.plan_submit(plan=plan, by=specialist, now=NOW)

    assert plan.status == PlanStatus.PENDING_APPROVAL
    assert actions(plan)[-1] == ("submitted", "draft", "pending_approval")
    assert "700.00 USD exceed the proposer's authority of 500.00" in plan.events.last().note
    account.refresh_from_db()
    assert account.stage == Stage.EARLY
    assert account.interest_balance == Decimal("700.00")


@pytest.mark.parametrize("status", ["pending_approval", "active", "cancelled"])
def test_only_a_draft_can_be_submitted_or_accepted(team, specialist, status):
    plan = draft_plan(owing_account(team), specialist)
    Plan.objects.filter(pk=plan.pk).update(status=status)
    with pytest.raises(PlanStateError) as excinfo:
        services.plan_submit(plan=plan, by=specialist, now=NOW)
    assert excinfo.value.plan_status == status
    assert f"is {PlanStatus(status).label.lower()}" in excinfo.value.message
    with pytest.raises(PlanStateError):
        services.plan_accept(plan=plan, channel="written", accepted_at=NOW, by=specialist, now=NOW)


def test_a_second_plan_cannot_be_submitted_while_one_is_active(team, specialist):
    account = owing_account(team)
    first = active_plan(account, specialist)
    second = accepted_plan(account, specialist)
    with pytest.raises(PlanStateError, match=f"plan {first.pk}"):
        services.plan_submit(plan=second, by=specialist, now=NOW)


def test_the_database_allows_one_open_plan_per_account(team, specialist):
    account = owing_account(team)
    active_plan(account, specialist)
    second = draft_plan(account, specialist)
    with pytest.raises(IntegrityError), transaction.atomic():
        Plan.objects.filter(pk=second.pk).update(status=PlanStatus.PENDING_APPROVAL)


def test_activation_refuses_a_plan_drafted_on_an_old_balance(team, specialist):
    account = owing_account(team)
    plan = accepted_plan(account, specialist)
    account.__class__.objects.filter(pk=account.pk).update(fee_balance=Decimal("350.00"))
    with pytest.raises(PlanStateError, match="10050.00"):
        services.plan_submit(plan=plan, by=specialist, now=NOW)


# --- Approve and reject ------------------------------------------------------------------------
def pending(team, specialist, **concessions):
    concessions = concessions or {"waived_interest": Decimal("700.00")}
    plan = accepted_plan(owing_account(team), specialist, **concessions)
    return services.plan_submit(plan=plan, by=specialist, now=NOW)


def test_a_supervisor_approves_and_the_plan_becomes_active(team, specialist, supervisor):
    plan = pending(team, specialist)
    later = NOW + timedelta(hours=2)
    plan = services.plan_approve(plan=plan, by=supervisor, now=later)

    assert plan.status == PlanStatus.ACTIVE
    assert (plan.approved_by, plan.approved_at, plan.activated_at) == (supervisor, later, later)
    assert actions(plan)[-1] == ("approved", "pending_approval", "active")
    assert plan.events.last().by == supervisor
    plan.account.refresh_from_db()
    assert plan.account.stage == Stage.ON_PLAN
    assert plan.account.interest_balance == Decimal("0.00")


def test_a_specialist_cannot_approve(team, specialist):
    plan = pending(team, specialist)
    with pytest.raises(PermissionDenied):
        services.plan_approve(plan=plan, by=specialist, now=NOW)


def test_a_supervisor_cannot_approve_their_own_proposal(team, supervisor, other_supervisor):
    plan = accepted_plan(owing_account(team), supervisor, principal_reduction=Decimal("6000.00"))
    plan = services.plan_submit(plan=plan, by=supervisor, now=NOW)
    assert plan.status == PlanStatus.PENDING_APPROVAL  # 6,000 exceeds a supervisor's 5,000
    with pytest.raises(PermissionDenied, match="You proposed"):
        services.plan_approve(plan=plan, by=supervisor, now=NOW)


def test_above_a_supervisors_authority_only_an_admin_approves(
    team, specialist, supervisor, admin_user
):
    plan = pending(team, specialist, principal_reduction=Decimal("6000.00"))
    with pytest.raises(PermissionDenied, match="an admin must approve"):
        services.plan_approve(plan=plan, by=supervisor, now=NOW)
    assert services.plan_approve(plan=plan, by=admin_user, now=NOW).status == PlanStatus.ACTIVE


def test_approving_a_plan_that_is_not_pending_is_a_state_error(team, specialist, supervisor):
    plan = draft_plan(owing_account(team), specialist)
    with pytest.raises(PlanStateError, match="is draft; only a pending approval plan"):
        services.plan_approve(plan=plan, by=supervisor, now=NOW)


def test_a_rejected_plan_is_cancelled_with_the_reason(team, specialist, supervisor):
    plan = services.plan_reject(
        plan=pending(team, specialist), by=supervisor, reason="Too generous.", now=NOW
    )
    assert plan.status == PlanStatus.CANCELLED
    assert plan.cancel_reason == "Too generous."
    assert actions(plan)[-1] == ("rejected", "pending_approval", "cancelled")
    with pytest.raises(PlanStateError):
        services.plan_reject(plan=plan, by=supervisor, reason="again", now=NOW)


def test_rejecting_needs_a_reason_and_a_supervisor(team, specialist, supervisor):
    plan = pending(team, specialist)
    with pytest.raises(ValidationError) as excinfo:
        services.plan_reject(plan=plan, by=supervisor, reason="  ", now=NOW)
    assert list(field_errors(excinfo)) == ["reason"]
    with pytest.raises(PermissionDenied):
        services.plan_reject(plan=plan, by=specialist, reason="no", now=NOW)


# --- Cancel and complete -----------------------------------------------------------------------
def test_a_specialist_cancels_a_draft(team, specialist):
    plan = services.plan_cancel(
        plan=draft_plan(owing_account(team), specialist),
        by=specialist,
        reason="Customer changed their mind.",
        now=NOW,
    )
    assert plan.status == PlanStatus.CANCELLED
    assert plan.cancelled_at == NOW
    assert actions(plan)[-1] == ("cancelled", "draft", "cancelled")


def test_only_a_supervisor_cancels_an_active_plan(team, specialist, supervisor):
    account = owing_account(team)
    plan = active_plan(
        account, specialist, waived_fees=Decimal("300.00"), concessions_conditional=True
    )
    with pytest.raises(PermissionDenied):
        services.plan_cancel(plan=plan, by=specialist, reason="x", now=NOW)

    plan = services.plan_cancel(plan=plan, by=supervisor, reason="Restructure again.", now=NOW)
    assert plan.status == PlanStatus.CANCELLED
    assert plan.concessions_reinstated_at == NOW
    assert "reinstated" in plan.events.last().note
    account.refresh_from_db()
    assert account.fee_balance == Decimal("300.00")
    assert account.stage == Stage.EARLY  # 53 days past due on the business date of NOW
    with pytest.raises(PlanStateError, match="is cancelled"):
        services.plan_cancel(plan=plan, by=supervisor, reason="again", now=NOW)


def test_cancelling_keeps_unconditional_concessions(team, specialist, supervisor):
    account = owing_account(team)
    plan = active_plan(account, specialist, waived_fees=Decimal("300.00"))
    services.plan_cancel(plan=plan, by=supervisor, reason="x", now=NOW)
    account.refresh_from_db()
    assert account.fee_balance == Decimal("0.00")


def test_completing_needs_every_installment_paid(team, specialist):
    plan = active_plan(owing_account(team), specialist)
    with pytest.raises(PlanStateError, match="12 installment"):
        services.plan_complete(plan=plan, now=NOW)
    Installment.objects.filter(plan=plan).update(
        paid_principal=F("principal"),
        paid_interest=F("interest"),
        paid_fee=F("fee"),
        paid_amount=F("amount"),
        status="paid",
    )
    plan = services.plan_complete(plan=plan, now=NOW)
    assert plan.status == PlanStatus.COMPLETED
    assert plan.completed_at == NOW
    assert actions(plan)[-1] == ("completed", "active", "completed")
    plan.account.refresh_from_db()
    assert plan.account.stage == Stage.EARLY  # balances untouched here, so back to collections
