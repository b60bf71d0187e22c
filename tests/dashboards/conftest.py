"""A small hand-built portfolio whose every KPI is known (see test_kpis.py for the answers).

Business date 2026-11-23 (UTC business day). Team "us-east" (sam, supervised by sue) and team
"cn-sh" (li). Dates in the comments are 2026 unless said otherwise.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from accounts.models import BucketHistory, Stage
from compliance.models import ComplianceDecision
from contacts.models import Complaint, ContactLog
from plans.models import Payment, Plan, PlanStatus, PromiseToPay
from tests.factories import AccountFactory
from tests.plans.factories import active_plan, owing_account

TODAY = date(2026, 11, 23)


def at(month: int, day: int, hour: int = 15) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=UTC)


def stay(account, bucket, entered, exited=None, to=""):
    return BucketHistory.objects.create(
        account=account,
        bucket=bucket,
        entered_on=entered,
        entry_balance=account.total_balance,
        exited_on=exited,
        exit_balance=account.total_balance if exited else None,
        exited_to=to,
    )


def contact(account, user, *, when, outcome, channel="call", direction="outbound", **extra):
    return ContactLog.objects.create(
        account=account,
        customer=account.customer,
        channel=channel,
        direction=direction,
        occurred_at=when,
        outcome=outcome,
        user=user,
        **extra,
    )


@pytest.fixture
def portfolio(settings, team, other_team, specialist, other_specialist, supervisor):
    settings.BUSINESS_DATE = TODAY.isoformat()
    # Balances 1,075.00 each (factory: 1000 + 50 + 25).
    a1 = AccountFactory(
        team=team, assigned_to=specialist, delinquent_since=None, risk_tier="good"
    )  # M0
    a2 = AccountFactory(
        team=team, assigned_to=specialist, delinquent_since=date(2026, 11, 13), risk_tier="general"
    )  # 10 DPD, M1
    a3 = AccountFactory(
        team=team, assigned_to=specialist, delinquent_since=date(2026, 10, 10), risk_tier="high"
    )  # 44 DPD, M2
    a4 = AccountFactory(
        team=other_team,
        assigned_to=other_specialist,
        currency="CNY",
        product="personal_loan",
        customer__jurisdiction="CN",
        customer__time_zone="Asia/Shanghai",
        delinquent_since=date(2026, 11, 3),
        risk_tier="high",
    )  # 20 DPD, M1
    a5 = AccountFactory(team=team, assigned_to=specialist, stage=Stage.CLOSED)  # not open

    # Bucket history. End of Sep → end of Oct: a1 M0→M0, a2 M1→M0 (cured), a3 M1→M2,
    # a4 M1→M3 (moved on 31 Oct, so in M3 that day); a5 has no stay on 30 Sep.
    stay(a1, "M0", date(2026, 1, 1))
    stay(a2, "M1", date(2026, 9, 5), date(2026, 10, 5), "M0")
    stay(a2, "M0", date(2026, 10, 5), date(2026, 11, 14), "M1")
    stay(a2, "M1", date(2026, 11, 14))
    stay(a3, "M1", date(2026, 9, 15), date(2026, 10, 15), "M2")
    stay(a3, "M2", date(2026, 10, 15))
    stay(a4, "M1", date(2026, 9, 1), date(2026, 10, 1), "M2")
    stay(a4, "M2", date(2026, 10, 1), date(2026, 10, 31), "M3")
    stay(a4, "M3", date(2026, 10, 31), date(2026, 11, 3), "M1")
    stay(a4, "M1", date(2026, 11, 3))
    stay(a5, "M0", date(2026, 10, 10))

    # Contacts by sam (team us-east): 6 effective outbound call/visit attempts, 4 reached a
    # person, 3 right-party. Reasons: unemployment 2, illness 1.
    contact(a2, specialist, when=at(11, 20), outcome="conversation", reason="unemployment")
    contact(a2, specialist, when=at(11, 20), outcome="no_answer")
    contact(a3, specialist, when=at(11, 20), outcome="third_party")
    contact(
        a3, specialist, when=at(11, 20), outcome="conversation", channel="visit", reason="illness"
    )
    contact(a1, specialist, when=at(11, 20), outcome="delivered", channel="sms")  # not an attempt
    contact(
        a1,
        specialist,
        when=at(11, 21),
        outcome="conversation",
        channel="inbound_call",
        direction="inbound",
        reason="unemployment",
    )  # inbound: not an attempt
    wrong = contact(a3, specialist, when=at(11, 21), outcome="conversation")
    contact(a3, specialist, when=at(11, 21), outcome="no_answer", corrects=wrong)  # replaces it
    contact(a1, specialist, when=at(11, 21), outcome="conversation")
    contact(a1, specialist, when=at(10, 1), outcome="conversation")  # before the range tested
    # li (cn-sh): 1 attempt, right party.
    contact(a4, other_specialist, when=at(11, 20), outcome="conversation")

    # Promises: made in range by sam: p1, p2 (2). Due in range and resolved: p1 kept, p2 broken,
    # p3 partially kept (3) → kept rate 1/3.
    def promise(account, amount, due, status, created):
        return PromiseToPay.objects.create(
            account=account,
            amount=Decimal(amount),
            due_date=due,
            status=status,
            created_by=specialist,
            created_at=created,
        )

    promise(a1, "100.00", date(2026, 11, 21), "kept", at(11, 20))
    promise(a2, "80.00", date(2026, 11, 22), "broken", at(11, 20))
    promise(a3, "60.00", date(2026, 11, 15), "partially_kept", at(10, 20))

    # Payments: us-east USD 100.00 + 50.00; cn-sh CNY 300.00.
    for ref, account, amount, when in (
        ("P1", a1, "100.00", at(11, 21)),
        ("P2", a2, "50.00", at(11, 22)),
        ("P3", a4, "300.00", at(11, 21)),
    ):
        Payment.objects.create(
            account=account, reference=ref, amount=Decimal(amount), received_at=when, source="api"
        )

    # Plans (us-east, proposed by sam): one active, one completed on 20 Nov, two broken on
    # 18/19 Nov → broken rate 2/3. Plus one pending approval (not counted).
    plans = [
        active_plan(owing_account(team, assigned_to=specialist, product="auto_loan"), specialist)
        for _ in range(4)
    ]
    Plan.objects.filter(pk=plans[1].pk).update(status=PlanStatus.COMPLETED, completed_at=at(11, 20))
    Plan.objects.filter(pk=plans[2].pk).update(status=PlanStatus.BROKEN, broken_at=at(11, 18))
    Plan.objects.filter(pk=plans[3].pk).update(status=PlanStatus.BROKEN, broken_at=at(11, 19))
    pending = active_plan(
        owing_account(team, assigned_to=specialist, product="auto_loan"),
        specialist,
        waived_interest=Decimal("700.00"),
    )
    assert pending.status == PlanStatus.PENDING_APPROVAL
    plan_accounts = [p.account for p in [*plans, pending]]
    Plan.objects.filter(pk=plans[0].pk).update(activated_at=at(11, 2))
    Plan.objects.filter(pk__in=[p.pk for p in plans[1:]]).update(activated_at=at(9, 1))

    Complaint.objects.create(
        account=a2,
        customer=a2.customer,
        description="Too many calls",
        opened_at=at(11, 20),
        due_date=date(2026, 12, 5),
    )

    # Compliance: two blocked decisions (rules: time 2, frequency 1), one allowed.
    for allowed, rules in (
        (False, ["us_time_of_day", "us_frequency"]),
        (False, ["us_time_of_day"]),
        (True, []),
    ):
        ComplianceDecision.objects.create(
            account=a2,
            customer=a2.customer,
            channel="call",
            at=at(11, 22),
            allowed=allowed,
            violations=[{"rule": r, "citation": "x", "message": "y"} for r in rules],
            jurisdiction="US",
            purpose="contact_log",
            checked_by=specialist,
        )
    return {
        "a1": a1,
        "a2": a2,
        "a3": a3,
        "a4": a4,
        "a5": a5,
        "plan_accounts": plan_accounts,
        "pending": pending,
    }
