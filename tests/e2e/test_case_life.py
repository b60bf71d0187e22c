"""A whole case's life in a real browser, in English and in Simplified Chinese.

Sam, a specialist, calls Jane and records her promise to pay; the promise breaks overnight; Sam
agrees a plan in the builder and the account stops ageing (plan reminders only); an installment
is missed and the account ages again; Sam reschedules with a payment holiday; the bank's payments
pay everything off and the case leaves the queue. What a person does goes through the browser;
what the night or the bank does is called in-process (``nightly_run``, ``reminders_generate``,
``payment_post``). The clock is pinned (time-machine, ticking) and moved from day to day, every
date derives from it, and each step checks the database as well as the page. A screenshot of
every step lands in ``test-artifacts/<test name>/``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from importlib import import_module

import pytest
import time_machine
from django.apps import apps
from django.db.models import F, Sum

from accounts.models import Account, ReAge, Stage
from contacts.models import ContactLog, Reminder
from outreach.reminders import reminders_generate
from outreach.strategies import templates_seed
from plans.models import Plan, PlanStatus, PromiseStatus, PromiseToPay
from plans.schedule import add_months
from plans.services import payment_post
from tests.e2e.conftest import login
from tests.factories import AccountFactory, ContactPointFactory
from tests.plans.factories import owing_account
from workspace.nightly import nightly_run

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Wednesday 3 March 2027. The day's work happens at 16:00 UTC (11:00 in New York, inside the US
# contact window); the nightly run at 02:00 UTC.
DAY_ONE = date(2027, 3, 3)
WORK_TIME = time(16, 0)
NIGHT_TIME = time(2, 0)

# Only what the catalogue (locale/zh_Hans/LC_MESSAGES/django.po) really says.
TEXT = {
    "en-US": {
        "lang": "en",
        "contact_logged": "Contact logged.",
        "broken_promise": "Broken promise",
        "broken": "Broken",
        "stage": "Stage",
        "dpd": "Days past due",
        "on_plan": "On plan",
        "plan_activated": "Plan activated",
        "active": "Active",
        "installment_missed": "Plan installment missed",
        "rescheduled_message": "Plan rescheduled; the new plan is active.",
        "rescheduled": "Rescheduled",
        "reschedules": "Reschedules plan {n}",
        "paid_off": "Paid off",
        "completed": "Completed",
        "payment": "Payment",
    },
    "zh-CN": {
        "lang": "zh-hans",
        "contact_logged": "联系已记录。",
        "broken_promise": "未兑现的承诺",
        "broken": "已违约",
        "stage": "阶段",
        "dpd": "逾期天数",
        "on_plan": "分期履约中",
        "plan_activated": "分期计划已生效",
        "active": "履约中",
        "installment_missed": "分期计划逾期未还",
        "rescheduled_message": "计划已重新安排；新计划已生效。",
        "rescheduled": "已改期",
        "reschedules": "重新安排计划 {n}",
        "paid_off": "已还清",
        "completed": "已结清",
        "payment": "还款",
    },
}


def at(day: date, moment: time = WORK_TIME) -> datetime:
    return datetime.combine(day, moment, tzinfo=UTC)


@pytest.fixture
def clock(settings):
    """The pinned clock; ``clock.move_to(…)`` starts another day. The business date follows it."""
    settings.BUSINESS_DATE = ""
    with time_machine.travel(at(DAY_ONE), tick=True) as traveller:
        yield traveller


@pytest.fixture
def reminder_defaults(db):
    """The treatment strategies (a data migration the live-server flush removed) and the
    default message templates, as in production."""
    import_module("contacts.migrations.0008_reminder_defaults").strategies_create(apps, None)
    templates_seed()


@pytest.fixture
def jane(clock, team, specialist, reminder_defaults):
    """40 days past due (M2: SMS and email strategies for every tier), reachable by phone and
    email; and Larry, a younger case in the same queue."""
    account = owing_account(
        team,
        assigned_to=specialist,
        customer__name="Jane Roe",
        delinquent_since=DAY_ONE - timedelta(days=40),
    )
    ContactPointFactory(customer=account.customer, value="+12125550142")
    ContactPointFactory(
        customer=account.customer, kind="email", label="home", value="jane@example.com"
    )
    larry = AccountFactory(
        team=team,
        assigned_to=specialist,
        customer__name="Later Larry",
        delinquent_since=DAY_ONE - timedelta(days=10),
    )
    ContactPointFactory(customer=larry.customer, value="+12125550177")
    night(clock, DAY_ONE)  # last night's run: buckets, tiers, queue order
    clock.move_to(at(DAY_ONE))
    return account


def night(clock, day: date) -> None:
    """The nightly run and the day's reminder generation, as beat runs them for ``day``."""
    clock.move_to(at(day, NIGHT_TIME))
    nightly_run(as_of=day, now=at(day, NIGHT_TIME))
    reminders_generate(as_of=day, now=at(day, NIGHT_TIME))


def morning(page, live_server, clock, day: date) -> None:
    """A new working day: yesterday's session has expired, so Sam logs in again."""
    clock.move_to(at(day))
    login(page, live_server, "sam")
    page.wait_for_selector("nav a[href$='/accounts/queue/']")


def open_queue(page) -> None:
    page.click("nav a[href$='/accounts/queue/']")
    page.wait_for_selector("#queue")


def queue_row(page, account):
    return page.locator(f"#queue tr[data-account='{account.pk}']")


def next_action(row) -> str:
    return row.locator("td").nth(8).inner_text().strip()


def fact(page, label: str) -> str:
    """The value beside ``label`` in the case page's account card."""
    return page.locator(f"dl.facts dt:text-is('{label}') + dd").first.inner_text().strip()


def open_case(page, live_server, account) -> None:
    page.goto(f"{live_server.url}/accounts/{account.pk}/")
    page.wait_for_selector("#timeline")


@pytest.mark.parametrize("browser_locale", ["en-US", "zh-CN"], ids=["en", "zh"])
def test_a_case_from_first_call_to_paid_off(page, live_server, clock, jane, browser_locale):
    text = TEXT[browser_locale]

    # 1. Sam opens the queue and the case, and logs a call: Jane promises 250.00 in five days.
    morning(page, live_server, clock, DAY_ONE)
    assert page.locator("html").get_attribute("lang") == text["lang"]
    open_queue(page)
    first = page.locator("#queue a.case-link").first
    assert first.inner_text() == "Jane Roe"
    first.click()
    page.wait_for_url(f"**/accounts/{jane.pk}/")
    page.wait_for_selector("#log-contact")
    promised_by = DAY_ONE + timedelta(days=5)
    phone = jane.customer.contact_points.get(kind="phone")
    page.select_option("#id_channel", "call")
    page.select_option("#id_contact_point", str(phone.pk))
    page.fill("#id_occurred_at", f"{DAY_ONE.isoformat()}T10:30")
    page.select_option("#id_outcome", "conversation")
    page.select_option("#id_disposition", "promise_to_pay")
    page.fill("#id_promise_amount", "250.00")
    page.fill("#id_promise_date", promised_by.isoformat())
    page.fill("#id_notes", "Will pay on payday.")
    page.wait_for_selector("[data-check=allowed]")
    page.click("#log-submit")
    page.wait_for_selector(f"text={text['contact_logged']}")
    assert "250.00 USD" in page.locator("[data-open-promises]").inner_text()
    entry = ContactLog.objects.get(account=jane)
    assert (entry.outcome, entry.disposition) == ("conversation", "promise_to_pay")
    assert entry.decision_id is not None
    promise = PromiseToPay.objects.get(account=jane)
    assert (promise.status, promise.amount, promise.due_date) == (
        PromiseStatus.PENDING,
        Decimal("250.00"),
        promised_by,
    )
    page.snap("call-logged-with-promise")

    # 2. Nothing is paid: the night after the promised date breaks it, and the queue says so.
    # Off plan, the account is the collection strategies' (M2: SMS and email).
    broke_on = promised_by + timedelta(days=1)
    night(clock, broke_on)
    promise.refresh_from_db()
    assert promise.status == PromiseStatus.BROKEN
    strategy_kinds = set(
        Reminder.objects.filter(account=jane, kind=Reminder.Kind.STRATEGY).values_list(
            "channel", flat=True
        )
    )
    assert strategy_kinds == {"sms", "email"}
    morning(page, live_server, clock, broke_on)
    open_queue(page)
    row = queue_row(page, jane)
    assert row.locator(".reason-promise_broken").inner_text() == text["broken_promise"]
    assert next_action(row) != "—"  # a collection strategy's channel
    page.snap("queue-broken-promise")
    open_case(page, live_server, jane)
    assert text["broken"] in page.locator("#plans").inner_text()
    page.snap("case-broken-promise")

    # 3. Sam agrees a 12-month plan in the builder; within authority and budget it is active.
    page.click(f"a[href$='/plans/new/{jane.pk}/']")
    page.wait_for_selector("#options")
    page.click("#options button[name=pick][value='12']")
    page.wait_for_selector("#options tr.chosen[data-term='12']")
    page.select_option("#id_acceptance_channel", "recorded_call")
    page.fill("#id_acceptance_reference", f"REC-{broke_on.isoformat()}")
    page.click("#plan-submit")
    page.wait_for_url("**/plans/*/")
    plan = Plan.objects.get(account=jane)
    assert (plan.status, plan.installment_count, plan.concessions_total) == (
        PlanStatus.ACTIVE,
        12,
        Decimal("0.00"),
    )
    assert text["active"] in page.locator("h1").inner_text()
    page.snap("plan-active")

    # 4. On the plan the account stops ageing: current, stage "on plan".
    jane.refresh_from_db()
    assert (jane.stage, jane.delinquent_since) == (Stage.ON_PLAN, None)
    assert jane.original_delinquent_since == DAY_ONE - timedelta(days=40)
    open_case(page, live_server, jane)
    assert fact(page, text["stage"]) == text["on_plan"]
    assert fact(page, text["dpd"]) == "0"
    assert page.locator("#timeline tr.event-re_age", has_text=text["plan_activated"]).count() == 1
    page.snap("case-on-plan")
    # Nights up to the first due date: the plan's installment reminders are the account's only
    # automatic messages, while Larry, off plan, still gets the strategies'.
    activated = plan.activated_at
    first = plan.installments.filter(number__gte=1).order_by("number").first()
    for offset in range(1, (first.due_date - broke_on).days):
        night(clock, broke_on + timedelta(days=offset))
    since_plan = Reminder.objects.filter(account=jane, created_at__gte=activated)
    assert set(since_plan.values_list("kind", flat=True)) == {Reminder.Kind.INSTALLMENT_DUE}
    assert set(since_plan.values_list("due_date", "channel")) == {
        (first.due_date, "sms"),
        (first.due_date, "email"),
    }
    larry = Account.objects.get(customer__name="Later Larry")
    assert Reminder.objects.filter(
        account=larry, kind=Reminder.Kind.STRATEGY, created_at__gte=activated
    ).exists()
    jane.refresh_from_db()
    assert jane.delinquent_since is None

    # 5. The first installment is not paid: the next night ages the account against the plan,
    # and the queue says why.
    missed_on = first.due_date + timedelta(days=1)
    night(clock, missed_on)
    jane.refresh_from_db()
    assert (jane.stage, jane.delinquent_since) == (Stage.ON_PLAN, first.due_date)
    assert jane.re_ages.filter(reason=ReAge.Reason.PLAN_INSTALLMENT_MISSED).count() == 1
    morning(page, live_server, clock, missed_on)
    open_queue(page)
    row = queue_row(page, jane)
    assert row.locator(".reason-installment_missed").inner_text() == text["installment_missed"]
    assert row.locator("td.num").first.inner_text() == "1"  # DPD
    assert next_action(row) == "—"  # no collection strategy reaches a plan's account
    page.snap("queue-installment-missed")

    # 6. Sam reschedules from the plan page with a month's payment holiday.
    page.goto(f"{live_server.url}/plans/{plan.pk}/")
    page.wait_for_selector("#reschedule")
    page.fill("#id_reschedule_installments", "12")
    page.fill("#id_reschedule_payment_holiday_months", "1")
    page.select_option("#id_reschedule_arrears", "capitalise")
    page.fill("#id_reschedule_reason", "Lost overtime; back to full pay in two months.")
    page.click("#reschedule-plan")
    page.wait_for_selector(f"text={text['rescheduled_message']}")
    plan.refresh_from_db()
    new = Plan.objects.get(replaces=plan)
    assert plan.status == PlanStatus.RESCHEDULED and plan.replaced_by == new
    assert (new.status, new.payment_holiday_months) == (PlanStatus.ACTIVE, 1)
    # One period after today, then the month's holiday.
    new_first = new.installments.filter(number__gte=1).order_by("number").first()
    assert new_first.due_date == add_months(missed_on, 2, missed_on.day)
    assert text["reschedules"].format(n=plan.pk) in page.content()
    jane.refresh_from_db()
    assert (jane.stage, jane.delinquent_since) == (Stage.ON_PLAN, None)
    page.snap("plan-rescheduled")

    # 7. The bank's payments pay the new plan off: the account is paid and leaves the queue.
    paid_on = missed_on + timedelta(days=2)
    clock.move_to(at(paid_on, time(9, 0)))
    owing = new.installments.aggregate(owing=Sum(F("amount") - F("paid_amount")))["owing"]
    first_payment = Decimal("500.00")
    for n, amount in enumerate((first_payment, owing - first_payment), start=1):
        payment_post(
            account=jane,
            amount=amount,
            received_at=at(paid_on, time(9, n)),
            reference=f"BANK-{jane.pk}-{n}",
            by=None,
        )
    new.refresh_from_db()
    jane.refresh_from_db()
    assert new.status == PlanStatus.COMPLETED
    assert (jane.stage, jane.total_balance, jane.delinquent_since) == (
        Stage.PAID,
        Decimal("0.00"),
        None,
    )
    # That night the account's bucket stay ends in the stage it left to, and nothing more is
    # sent to a customer who owes nothing.
    reminders_before = Reminder.objects.filter(account=jane).count()
    night(clock, paid_on + timedelta(days=1))
    assert jane.bucket_history.get(exited_on__isnull=False, exited_to=Stage.PAID)
    assert not jane.bucket_history.filter(exited_on__isnull=True).exists()
    assert Reminder.objects.filter(account=jane).count() == reminders_before
    morning(page, live_server, clock, paid_on + timedelta(days=1))
    open_case(page, live_server, jane)
    assert fact(page, text["stage"]) == text["paid_off"]
    assert fact(page, text["dpd"]) == "0"
    timeline = page.locator("#timeline")
    payments = timeline.locator("tr.event-payment")
    assert payments.count() == 2
    assert all(text["payment"] in row for row in payments.all_inner_texts())
    assert timeline.locator("tr.event-plan", has_text=text["completed"]).count() == 1
    assert timeline.locator("tr.event-plan", has_text=text["rescheduled"]).count() == 1
    page.snap("case-paid-off")
    open_queue(page)
    assert queue_row(page, jane).count() == 0
    assert queue_row(page, larry).count() == 1
    page.snap("queue-without-the-paid-case")
