"""The demo portfolio: reproducible, spread over every bucket, with local names and numbers."""

from datetime import date

import phonenumbers
import pytest
from django.core.management import call_command

from accounts.models import Account, BucketHistory, ContactPoint, Customer

pytestmark = pytest.mark.django_db
AS_OF = date(2026, 11, 23)


def seed(n=400, seed=7):
    call_command("seed_demo", accounts=n, seed=seed, as_of=AS_OF, no_progress=True, chunk_size=150)


def build_in_memory(seed_value):
    from workspace.demo import PortfolioBuilder, Tables, ensure_teams_and_specialists

    teams = ensure_teams_and_specialists()
    builder = PortfolioBuilder(
        seed=seed_value, as_of=AS_OF, teams=teams, specialists={t.id: [] for t in teams.values()}
    )
    tables = Tables()
    ids = {"customer": 0, "account": 0, "contact_point": 0, "history": 0, "contact": 0}
    for _ in range(50):
        ids["customer"] += 1
        ids["account"] += 1
        builder.build(ids, tables)
    return [row[2:5] for row in tables.customers]  # name, national ID, date of birth


def test_seed_is_reproducible():
    assert build_in_memory(7) == build_in_memory(7)
    assert build_in_memory(7) != build_in_memory(8)


def test_seed_loads_some_contact_history_at_ordinary_local_hours():
    from zoneinfo import ZoneInfo

    from contacts.models import ContactLog

    seed()
    entries = ContactLog.objects.select_related("customer")
    assert entries.count() > 50
    assert {e.channel for e in entries} == {"call", "sms"}
    for entry in entries:
        local = entry.occurred_at.astimezone(ZoneInfo(entry.customer.time_zone))
        assert 9 <= local.hour <= 18
        assert entry.source == "history"


def test_seed_covers_every_bucket_and_both_jurisdictions():
    seed()
    buckets = set(Account.objects.with_delinquency(AS_OF).values_list("bucket_code", flat=True))
    assert buckets == {"M0", "M1", "M2", "M3", "M4", "M5", "M6"}
    assert set(Customer.objects.values_list("jurisdiction", flat=True)) == {"US", "CN"}
    cn = Customer.objects.filter(jurisdiction="CN").first()
    assert "\u4e00" <= cn.name[0] <= "\u9fff"  # a Chinese surname
    assert len(cn.national_id) == 18


def test_seeded_phone_numbers_are_valid_e164():
    seed(n=100)
    for value in ContactPoint.objects.filter(kind="phone").values_list("value", flat=True):
        assert phonenumbers.is_valid_number(phonenumbers.parse(value)), value


def test_history_ends_in_the_current_bucket_with_one_open_stay():
    seed(n=200)
    accounts = Account.objects.with_delinquency(AS_OF)
    open_stays = dict(
        BucketHistory.objects.filter(exited_on__isnull=True).values_list("account_id", "bucket")
    )
    assert len(open_stays) == accounts.count()
    for account in accounts:
        assert open_stays[account.pk] == account.bucket_code


def test_open_accounts_are_assigned_evenly_within_each_team():
    seed()
    from django.db.models import Count

    loads = (
        Account.objects.open()
        .exclude(assigned_to=None)
        .values("team", "assigned_to")
        .annotate(n=Count("id"))
    )
    by_team = {}
    for row in loads:
        by_team.setdefault(row["team"], []).append(row["n"])
    for counts in by_team.values():
        assert max(counts) - min(counts) <= 1


def test_seeding_twice_with_if_empty_adds_nothing():
    seed(n=50)
    call_command("seed_demo", accounts=50, seed=1, if_empty=True, no_progress=True)
    assert Account.objects.count() == 50


def test_new_rows_after_seeding_get_fresh_ids():
    from tests.factories import AccountFactory

    seed(n=20)
    account = AccountFactory()
    assert account.pk > 20


def test_demo_activity_goes_through_the_real_services(settings):
    from datetime import UTC, datetime
    from importlib import import_module

    from django.apps import apps

    from contacts.models import Dispute, StrategyVersion
    from legal.models import LegalReferral
    from plans.models import Plan, PlanEvent, PromiseToPay
    from workspace.demo import seed_activity

    settings.BUSINESS_DATE = AS_OF.isoformat()
    seed(n=300)
    # The seeded strategies and their champion (data migrations a flush may have removed).
    import_module("contacts.migrations.0008_reminder_defaults").strategies_create(apps, None)
    import_module("contacts.migrations.0018_strategy_versions").forwards(apps, None)
    made = seed_activity(
        seed=1,
        plans=5,
        promises=5,
        disputes=2,
        legal=3,
        now=datetime(2026, 11, 23, 15, tzinfo=UTC),
    )
    assert made == {"plans": 5, "promises": 5, "disputes": 2, "legal": 3, "challengers": 1}
    referrals = LegalReferral.objects.select_related("account")
    assert referrals.count() == 3
    assert all(r.status == "pending" or r.account.stage == "legal" for r in referrals)
    assert Plan.objects.exclude(status="draft").count() == 5
    assert PlanEvent.objects.filter(to_status="active").exists()
    assert PromiseToPay.objects.filter(status="pending").count() == 5
    assert all(d.restriction_id for d in Dispute.objects.all())
    challenger = StrategyVersion.objects.get(status="challenger")
    assert challenger.started_at < datetime(2026, 11, 23, tzinfo=UTC)
