"""Write-off (charge-off): the nightly policy run and a supervisor's decision.

Dates are pinned (``AS_OF``/``NOW``); every account's DPD is set relative to ``AS_OF``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from importlib import import_module

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import Account, Stage
from plans import services
from plans.models import (
    Plan,
    PlanStatus,
    WriteOff,
    WriteOffKind,
    WriteOffPolicy,
    WriteOffStatus,
)
from plans.services import ConflictError, WriteOffStateError
from plans.services.writeoff import (
    _policy_candidates,
    charge_off_due,
    write_offs_apply_policy,
)
from tests.plans.factories import active_plan, owing_account, pay

pytestmark = pytest.mark.django_db

SEED = "plans.migrations.0010_write_offs"

AS_OF = date(2027, 6, 1)
NOW = datetime(2027, 6, 1, 15, 0, tzinfo=UTC)


def dpd(days: int) -> date:
    """The ``delinquent_since`` that is ``days`` days past due on ``AS_OF``."""
    return AS_OF - timedelta(days=days)


def run(as_of: date = AS_OF, now: datetime = NOW) -> int:
    return write_offs_apply_policy(as_of=as_of, now=now, chunk_size=3)


def entries(model, pk) -> list[LogEntry]:
    return list(
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(model), object_id=pk
        ).order_by("id")
    )


@pytest.fixture(autouse=True)
def _seeded():
    """The data migration's policies (a transactional test elsewhere may have flushed them)."""
    from django.apps import apps

    import_module(SEED).forwards(apps, None)


@pytest.fixture
def portfolio(team, specialist):
    """Accounts either side of each threshold (US cards 180, US loans 120, CN 180) and those
    the policy leaves out whatever their DPD."""
    make = owing_account
    accounts = {
        "card_180": make(team, delinquent_since=dpd(180)),
        "card_179": make(team, delinquent_since=dpd(179)),
        "card_400": make(team, delinquent_since=dpd(400), stage=Stage.LEGAL),
        "loan_120": make(team, delinquent_since=dpd(120), product="personal_loan"),
        "loan_119": make(team, delinquent_since=dpd(119), product="auto_loan"),
        "cn_180": make(
            team,
            delinquent_since=dpd(180),
            currency="CNY",
            customer__jurisdiction="CN",
            customer__time_zone="Asia/Shanghai",
            principal="12345.67",
            interest="89.01",
            fees="0.33",
        ),
        "cn_179": make(
            team,
            delinquent_since=dpd(179),
            currency="CNY",
            customer__jurisdiction="CN",
            customer__time_zone="Asia/Shanghai",
        ),
        "current": make(team, delinquent_since=None),
        "paid": make(team, delinquent_since=dpd(300), stage=Stage.PAID),
        "closed": make(team, delinquent_since=dpd(300), stage=Stage.CLOSED),
        "owes_nothing": make(
            team, delinquent_since=dpd(300), principal="0", interest="0", fees="0"
        ),
        "bank_charged_off": make(team, delinquent_since=dpd(300), charge_off_date=date(2027, 1, 1)),
    }
    on_plan = make(team, delinquent_since=dpd(10))
    started = NOW - timedelta(days=200)
    active_plan(on_plan, specialist, now=started, start_date=started.date())
    # The plan re-aged the account; make it look 250 days late: still left out.
    Account.objects.filter(pk=on_plan.pk).update(delinquent_since=dpd(250))
    accounts["on_plan"] = on_plan
    return accounts


def charged_off(portfolio) -> set[str]:
    ids = set(
        WriteOff.objects.filter(status=WriteOffStatus.APPLIED).values_list("account_id", flat=True)
    )
    return {name for name, account in portfolio.items() if account.pk in ids}


# --- By policy -----------------------------------------------------------------------------------
def test_the_seeded_policies_follow_the_ffiec_policy_and_the_cn_default():
    days = {(p.jurisdiction, p.product): p.days_past_due for p in WriteOffPolicy.objects.all()}
    assert days[("US", "credit_card")] == 180
    assert days[("US", "personal_loan")] == days[("US", "auto_loan")] == 120
    assert days[("US", "consumer_installment")] == 120
    assert days[("CN", "credit_card")] == 180
    assert all(p.citation for p in WriteOffPolicy.objects.all())


def test_the_policy_run_charges_off_exactly_the_accounts_at_or_past_the_threshold(portfolio):
    assert run() == 4

    assert charged_off(portfolio) == {"card_180", "card_400", "loan_120", "cn_180"}
    for name in ("card_180", "card_400", "loan_120", "cn_180"):
        account = Account.objects.get(pk=portfolio[name].pk)
        assert account.charge_off_date == AS_OF
        # Collections go on: the stage and the balances are what they were.
        assert account.stage == portfolio[name].stage
        assert account.total_balance == portfolio[name].total_balance
    for name in ("card_179", "loan_119", "cn_179", "current", "paid", "closed", "on_plan"):
        assert Account.objects.get(pk=portfolio[name].pk).charge_off_date is None
    assert Account.objects.get(pk=portfolio["bank_charged_off"].pk).charge_off_date == date(
        2027, 1, 1
    )


def test_the_amounts_recorded_are_the_balances_to_the_cent(portfolio):
    run()
    cn = WriteOff.objects.get(account=portfolio["cn_180"])
    assert (cn.kind, cn.status, cn.currency) == (WriteOffKind.POLICY, "applied", "CNY")
    assert (cn.principal, cn.interest, cn.fees, cn.total) == (
        Decimal("12345.67"),
        Decimal("89.01"),
        Decimal("0.33"),
        Decimal("12435.01"),
    )
    assert cn.days_past_due == 180
    assert cn.charge_off_date == AS_OF
    assert cn.policy == WriteOffPolicy.objects.get(jurisdiction="CN", product="credit_card")
    assert cn.proposed_by is None and cn.decided_at == NOW
    loan = WriteOff.objects.get(account=portfolio["loan_120"])
    assert (loan.principal, loan.interest, loan.fees, loan.total) == (
        Decimal("9000.00"),
        Decimal("700.00"),
        Decimal("300.00"),
        Decimal("10000.00"),
    )
    assert loan.policy.product == "personal_loan" and loan.days_past_due == 120


def test_a_second_run_charges_off_nothing_twice(portfolio):
    run()
    rows, logs = WriteOff.objects.count(), LogEntry.objects.count()

    assert run() == 0
    assert WriteOff.objects.count() == rows and LogEntry.objects.count() == logs
    # The next night the three accounts a day short cross their thresholds, and only they.
    assert run(as_of=AS_OF + timedelta(days=1), now=NOW + timedelta(days=1)) == 3
    assert charged_off(portfolio) == {
        *("card_180", "card_400", "loan_120", "cn_180"),
        *("card_179", "loan_119", "cn_179"),
    }
    assert WriteOff.objects.count() == rows + 3
    assert LogEntry.objects.count() == logs + 6  # the write-off and the account, each
    card = Account.objects.get(pk=portfolio["card_180"].pk)
    assert card.charge_off_date == AS_OF  # not moved by the later run


def test_the_policy_run_is_audited(portfolio):
    run()
    write_off = WriteOff.objects.get(account=portfolio["card_180"])
    [created] = entries(WriteOff, write_off.pk)
    assert created.action == LogEntry.Action.CREATE and created.actor is None
    assert created.changes["total"] == ["None", "10000.00"]
    [account_entry] = entries(Account, portfolio["card_180"].pk)[-1:]
    assert account_entry.changes == {"charge_off_date": ["None", str(AS_OF)]}


def test_every_policy_write_off_is_audited_as_a_save_would_be(portfolio):
    """On PostgreSQL the entries are written in SQL: field for field what ``_audit`` builds
    from the instances (``str`` of each value, the system as actor, the reason)."""
    charged = run()
    write_offs = list(WriteOff.objects.filter(kind=WriteOffKind.POLICY))
    assert charged == len(write_offs) == 4
    for w in write_offs:
        [created] = entries(WriteOff, w.pk)
        values = {name: getattr(w, "account_id" if name == "account" else name) for name in FIELDS}
        values["policy"] = w.policy_id
        assert created.changes == {k: ["None", str(v)] for k, v in values.items()}
        assert (created.action, created.actor, created.timestamp) == (
            LogEntry.Action.CREATE,
            None,
            NOW,
        )
        assert created.object_repr == f"writeoff {w.pk}" and created.object_pk == str(w.pk)
        assert created.additional_data == {"reason": "write_off_policy"}
        [dated] = entries(Account, w.account_id)[-1:]
        assert dated.changes == {"charge_off_date": ["None", str(AS_OF)]}
        assert (dated.action, dated.object_repr) == (
            LogEntry.Action.UPDATE,
            f"account {w.account_id}",
        )
    cn = next(w for w in write_offs if w.currency == "CNY")
    assert entries(WriteOff, cn.pk)[0].changes["total"] == ["None", "12435.01"]


FIELDS = (
    "account",
    "kind",
    "status",
    "currency",
    "principal",
    "interest",
    "fees",
    "total",
    "days_past_due",
    "charge_off_date",
    "policy",
)


def test_a_product_without_a_policy_row_gets_the_default(portfolio):
    WriteOffPolicy.objects.filter(jurisdiction="US", product="personal_loan").delete()
    run()
    assert "loan_120" in charged_off(portfolio)
    loan = WriteOff.objects.get(account=portfolio["loan_120"])
    assert loan.policy is None and loan.days_past_due == 120


def test_an_inactive_policy_charges_off_nothing(portfolio):
    WriteOffPolicy.objects.filter(jurisdiction="US").update(active=False)
    run()
    assert charged_off(portfolio) == {"cn_180"}


def test_a_policy_write_off_supersedes_a_proposal(portfolio, specialist):
    proposal = services.write_off_propose(
        account=portfolio["card_180"], by=specialist, reason="Customer deceased", now=NOW
    )
    run()
    proposal.refresh_from_db()
    assert proposal.status == WriteOffStatus.REJECTED
    assert "policy" in proposal.decision_note
    assert entries(WriteOff, proposal.pk)[-1].changes["status"] == ["proposed", "rejected"]


@pytest.mark.parametrize("days", [0, 1, 119, 120, 121, 179, 180, 181])
def test_the_sql_rule_is_the_python_rule(team, days):
    account = owing_account(team, delinquent_since=dpd(days))
    policy = WriteOffPolicy(pk=1, jurisdiction="US", product="credit_card", days_past_due=120)
    in_sql = _policy_candidates(AS_OF, [policy]).filter(pk=account.pk).exists()
    assert in_sql == charge_off_due(account.delinquent_since, AS_OF, 120) == (days >= 120)


# --- By decision ---------------------------------------------------------------------------------
@pytest.fixture
def small(team):
    """Owes 1,075.00, 30 days past due: within a supervisor's authority (US 5,000)."""
    return owing_account(
        team, delinquent_since=dpd(30), principal="1000.00", interest="50.00", fees="25.00"
    )


def test_a_decision_needs_another_supervisor(small, specialist, supervisor, other_supervisor):
    proposal = services.write_off_propose(
        account=small, by=supervisor, reason="Bankruptcy discharge", now=NOW
    )
    assert proposal.status == WriteOffStatus.PROPOSED
    assert Account.objects.get(pk=small.pk).charge_off_date is None

    with pytest.raises(PermissionDenied, match="another supervisor"):
        services.write_off_approve(write_off=proposal, by=supervisor, now=NOW)
    with pytest.raises(PermissionDenied, match="Only a supervisor"):
        services.write_off_approve(write_off=proposal, by=specialist, now=NOW)

    applied = services.write_off_approve(
        write_off=proposal, by=other_supervisor, note="Discharge order seen", now=NOW
    )
    assert applied.status == WriteOffStatus.APPLIED
    assert applied.charge_off_date == AS_OF
    assert applied.decided_by == other_supervisor
    assert applied.total == Decimal("1075.00")
    account = Account.objects.get(pk=small.pk)
    assert account.charge_off_date == AS_OF
    assert account.stage == small.stage  # collections go on
    assert account.total_balance == Decimal("1075.00")  # still owed


def test_a_decision_is_audited_with_who(small, specialist, supervisor):
    proposal = services.write_off_propose(
        account=small, by=specialist, reason="Fraud victim", now=NOW
    )
    services.write_off_approve(write_off=proposal, by=supervisor, note="ok", now=NOW)
    actors = [(e.action, e.actor) for e in entries(WriteOff, proposal.pk)]
    assert actors[0] == (LogEntry.Action.CREATE, specialist)
    assert actors[-1] == (LogEntry.Action.UPDATE, supervisor)
    account_entry = entries(Account, small.pk)[-1]
    assert account_entry.actor == supervisor
    assert account_entry.changes["charge_off_date"] == ["None", str(AS_OF)]


def test_stop_collecting_takes_the_account_out_of_collections(small, specialist, supervisor):
    proposal = services.write_off_propose(
        account=small, by=specialist, reason="Uncollectable", stop_collecting=True, now=NOW
    )
    services.write_off_approve(write_off=proposal, by=supervisor, note="agreed", now=NOW)
    assert Account.objects.get(pk=small.pk).stage == Stage.WRITTEN_OFF


def test_the_amounts_are_measured_again_when_applied(small, specialist, supervisor):
    proposal = services.write_off_propose(account=small, by=specialist, reason="x", now=NOW)
    pay(small, "75.00", reference="WO-1", received_at=NOW)
    applied = services.write_off_approve(write_off=proposal, by=supervisor, now=NOW)
    assert applied.total == Decimal("1000.00")
    assert applied.total == applied.principal + applied.interest + applied.fees


def test_beyond_a_supervisors_authority_an_admin_approves(team, specialist, supervisor, admin_user):
    big = owing_account(team, delinquent_since=dpd(90))  # owes 10,000.00 > 5,000.00
    proposal = services.write_off_propose(account=big, by=specialist, reason="x", now=NOW)
    with pytest.raises(PermissionDenied, match="an admin must approve"):
        services.write_off_approve(write_off=proposal, by=supervisor, now=NOW)
    assert services.write_off_approve(write_off=proposal, by=admin_user, now=NOW).status == (
        WriteOffStatus.APPLIED
    )


def test_a_rejection_needs_a_reason_and_ends_the_proposal(small, specialist, supervisor):
    proposal = services.write_off_propose(account=small, by=specialist, reason="x", now=NOW)
    with pytest.raises(ValidationError):
        services.write_off_reject(write_off=proposal, by=supervisor, reason=" ", now=NOW)
    with pytest.raises(PermissionDenied):
        services.write_off_reject(write_off=proposal, by=specialist, reason="no", now=NOW)
    services.write_off_reject(write_off=proposal, by=supervisor, reason="Keep trying", now=NOW)
    proposal.refresh_from_db()
    assert proposal.status == WriteOffStatus.REJECTED and proposal.decision_note == "Keep trying"
    assert Account.objects.get(pk=small.pk).charge_off_date is None
    with pytest.raises(WriteOffStateError):
        services.write_off_approve(write_off=proposal, by=supervisor, now=NOW)
    # A new proposal may follow a rejected one.
    services.write_off_propose(account=small, by=specialist, reason="Again", now=NOW)


def test_one_proposal_at_a_time(small, specialist):
    services.write_off_propose(account=small, by=specialist, reason="x", now=NOW)
    with pytest.raises(ConflictError, match="already waiting"):
        services.write_off_propose(account=small, by=specialist, reason="y", now=NOW)


def test_a_reason_is_required(small, specialist):
    with pytest.raises(ValidationError) as error:
        services.write_off_propose(account=small, by=specialist, reason="", now=NOW)
    assert "reason" in error.value.message_dict


@pytest.mark.parametrize("stage", [Stage.PAID, Stage.SETTLED, Stage.CLOSED, Stage.WRITTEN_OFF])
def test_a_closed_account_cannot_be_written_off(team, specialist, stage):
    account = owing_account(team, delinquent_since=dpd(200), stage=stage)
    with pytest.raises(ConflictError, match="only an account in collections"):
        services.write_off_propose(account=account, by=specialist, reason="x", now=NOW)


def test_an_account_on_a_plan_cannot_be_written_off(team, specialist):
    account = owing_account(team, delinquent_since=dpd(200))
    started = NOW - timedelta(days=10)
    plan = active_plan(account, specialist, now=started, start_date=started.date())
    with pytest.raises(ConflictError, match=f"plan {plan.pk}.*waits for it to end"):
        services.write_off_propose(account=account, by=specialist, reason="x", now=NOW)


def test_a_plan_activated_after_the_proposal_blocks_the_approval(small, specialist, supervisor):
    proposal = services.write_off_propose(account=small, by=specialist, reason="x", now=NOW)
    active_plan(small, specialist, now=NOW, start_date=AS_OF)
    assert Plan.objects.get(account=small).status == PlanStatus.ACTIVE
    with pytest.raises(ConflictError, match="waits for it to end"):
        services.write_off_approve(write_off=proposal, by=supervisor, now=NOW)


def test_an_account_charged_off_once_is_refused(small, specialist, supervisor):
    proposal = services.write_off_propose(account=small, by=specialist, reason="x", now=NOW)
    services.write_off_approve(write_off=proposal, by=supervisor, now=NOW)
    with pytest.raises(ConflictError, match="charged off on"):
        services.write_off_propose(account=small, by=specialist, reason="again", now=NOW)
    assert run() == 0


def test_payments_after_a_write_off_still_reduce_what_is_owed(small, specialist, supervisor):
    proposal = services.write_off_propose(account=small, by=specialist, reason="x", now=NOW)
    services.write_off_approve(write_off=proposal, by=supervisor, now=NOW)
    pay(small, "100.00", reference="WO-REC-1", received_at=NOW + timedelta(days=3))
    account = Account.objects.get(pk=small.pk)
    assert account.total_balance == Decimal("975.00")
    assert WriteOff.objects.get(pk=proposal.pk).total == Decimal("1075.00")  # the record stays
