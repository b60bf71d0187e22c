"""Concurrent posting on PostgreSQL: one payment per reference, allocations that add up.

Each thread has its own database connection (Django's are per thread) and closes it at the end.
The transactional test flushes the database, so the users here need no role groups: a superuser
has every role.
"""

from __future__ import annotations

import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum

from plans import services
from plans.models import Allocation, Installment, Payment, PlanStatus
from tests.factories import TeamFactory, UserFactory
from tests.plans.factories import NOW, active_plan, owing_account

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def post_all(account, posts: list[tuple[str, Decimal]], workers: int = 20) -> list:
    start = threading.Barrier(workers)

    def post(args):
        reference, amount = args
        try:
            with contextlib.suppress(threading.BrokenBarrierError):
                start.wait(timeout=10)  # each batch of `workers` posts races together
            return services.payment_post(
                account=account,
                amount=amount,
                received_at=NOW,
                reference=reference,
                by=None,
                now=NOW,
            ).created
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(post, posts))


def test_100_concurrent_posts_of_one_reference_create_exactly_one_payment():
    boss = UserFactory(username="boss", is_superuser=True)
    account = owing_account(TeamFactory(code="race"))
    plan = active_plan(account, boss)

    created = post_all(account, [("RACE-1", Decimal("1000.00"))] * 100)

    assert created.count(True) == 1
    assert Payment.objects.filter(reference="RACE-1").count() == 1
    payment = Payment.objects.get(reference="RACE-1")
    assert payment.allocations.aggregate(t=Sum("amount"))["t"] == Decimal("1000.00")
    paid = Installment.objects.filter(plan=plan).aggregate(t=Sum("paid_amount"))["t"]
    assert paid == Decimal("1000.00")
    account.refresh_from_db()
    assert account.last_payment_amount == Decimal("1000.00")


def test_concurrent_posts_of_different_references_all_allocate_consistently():
    boss = UserFactory(username="boss", is_superuser=True)
    account = owing_account(TeamFactory(code="race"))
    plan = active_plan(account, boss)
    posts = [(f"MANY-{n}", Decimal("333.33")) for n in range(40)]  # 13,333.20: overpays the plan

    created = post_all(account, posts)

    assert all(created)
    total = Decimal("333.33") * 40
    assert Allocation.objects.aggregate(t=Sum("amount"))["t"] == total
    plan.refresh_from_db()
    assert plan.status == PlanStatus.COMPLETED
    credit = Allocation.objects.filter(component="credit").aggregate(t=Sum("amount"))["t"]
    assert credit == total - plan.total_payable
    assert not Installment.objects.filter(plan=plan).exclude(status="paid").exists()
