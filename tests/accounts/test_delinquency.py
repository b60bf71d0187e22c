"""DPD and bucket at every boundary, on the database and in Python, and bucket moves."""

from datetime import date, timedelta

import pytest
import time_machine

from accounts import delinquency
from accounts.delinquency import DEFAULT_BUCKETS, Bucket, BucketConfigurationError
from accounts.models import Account, BucketHistory, Stage
from tests.factories import AccountFactory

TODAY = date(2026, 11, 23)

# (days past due, bucket) at every edge of the default ranges.
BOUNDARIES = [
    (0, "M0"),
    (1, "M1"),
    (29, "M1"),
    (30, "M2"),
    (59, "M2"),
    (60, "M3"),
    (89, "M3"),
    (90, "M4"),
    (119, "M4"),
    (120, "M5"),
    (179, "M5"),
    (180, "M6"),
    (1000, "M6"),
]


def test_days_past_due_counts_from_the_day_after_the_due_date():
    assert delinquency.days_past_due(TODAY, TODAY) == 0
    assert delinquency.days_past_due(TODAY - timedelta(days=1), TODAY) == 1
    assert delinquency.days_past_due(None, TODAY) == 0
    assert delinquency.days_past_due(TODAY + timedelta(days=5), TODAY) == 0


@pytest.mark.parametrize(("dpd", "code"), BOUNDARIES)
def test_bucket_for_each_boundary(dpd, code):
    assert delinquency.bucket_for(dpd, DEFAULT_BUCKETS).code == code


@pytest.mark.django_db
@time_machine.travel("2026-11-23 12:00:00+00:00", tick=False)
def test_annotation_and_property_agree_at_every_boundary():
    accounts = {
        dpd: AccountFactory(delinquent_since=TODAY - timedelta(days=dpd) if dpd else None)
        for dpd, _ in BOUNDARIES
    }
    annotated = {a.pk: a for a in Account.objects.with_delinquency()}
    for dpd, code in BOUNDARIES:
        account = accounts[dpd]
        assert account.days_past_due() == dpd
        assert account.bucket().code == code
        assert annotated[account.pk].dpd == dpd
        assert annotated[account.pk].bucket_code == code


@pytest.mark.django_db
def test_a_future_delinquent_since_is_current():
    account = AccountFactory(delinquent_since=TODAY + timedelta(days=3))
    row = Account.objects.with_delinquency(TODAY).get(pk=account.pk)
    assert (row.dpd, row.bucket_code) == (0, "M0")


@pytest.mark.django_db
def test_configured_buckets_come_from_the_database_and_drive_the_annotation():
    from accounts.models import BucketRange

    BucketRange.objects.all().delete()
    BucketRange.objects.create(code="A", label="0-9", min_days=0, max_days=9)
    BucketRange.objects.create(code="B", label="10+", min_days=10, max_days=None)
    account = AccountFactory(delinquent_since=TODAY - timedelta(days=10))
    assert Account.objects.with_delinquency(TODAY).get(pk=account.pk).bucket_code == "B"
    assert account.bucket(TODAY).code == "B"


@pytest.mark.parametrize(
    "buckets",
    [
        (Bucket("A", "", 1, 9), Bucket("B", "", 10, None)),  # does not start at 0
        (Bucket("A", "", 0, 9), Bucket("B", "", 11, None)),  # gap
        (Bucket("A", "", 0, 9), Bucket("B", "", 10, 20)),  # closed at the end
        (Bucket("A", "", 0, None), Bucket("B", "", 10, None)),  # open before the end
    ],
)
def test_bad_bucket_configurations_are_rejected(buckets):
    with pytest.raises(BucketConfigurationError):
        delinquency.validate_buckets(buckets)


@pytest.mark.django_db
def test_each_bucket_move_writes_one_history_row_and_closes_the_previous_stay():
    account = AccountFactory(delinquent_since=date(2026, 10, 25))  # 29 DPD on Nov 23: M1
    first = delinquency.bucket_moves_record(as_of=TODAY)
    assert (first.opened, first.moved) == (1, 0)
    assert BucketHistory.objects.filter(account=account).count() == 1

    # Next day: 30 DPD, M2. One new row, the M1 stay closed with the balance that day.
    second = delinquency.bucket_moves_record(as_of=TODAY + timedelta(days=1))
    assert (second.opened, second.moved) == (0, 1)
    stays = list(BucketHistory.objects.filter(account=account).order_by("id"))
    assert [(s.bucket, s.exited_on, s.exited_to) for s in stays] == [
        ("M1", TODAY + timedelta(days=1), "M2"),
        ("M2", None, ""),
    ]
    assert stays[0].exit_balance == account.total_balance
    assert stays[1].entry_days_past_due == 30


@pytest.mark.django_db
def test_bucket_moves_are_idempotent_for_a_date():
    AccountFactory.create_batch(3, delinquent_since=date(2026, 9, 1))
    delinquency.bucket_moves_record(as_of=TODAY)
    count = BucketHistory.objects.count()
    again = delinquency.bucket_moves_record(as_of=TODAY)
    assert again.examined == 0
    assert BucketHistory.objects.count() == count


@pytest.mark.django_db
def test_a_cure_moves_the_account_back_to_current():
    account = AccountFactory(delinquent_since=date(2026, 10, 1))
    delinquency.bucket_moves_record(as_of=TODAY)
    Account.objects.filter(pk=account.pk).update(delinquent_since=None)
    delinquency.bucket_moves_record(as_of=TODAY + timedelta(days=1))
    assert list(BucketHistory.objects.filter(account=account).values_list("bucket", flat=True)) == [
        "M2",
        "M0",
    ]


@pytest.mark.django_db
def test_closed_accounts_are_not_moved():
    AccountFactory(delinquent_since=date(2026, 9, 1), stage=Stage.CLOSED)
    assert delinquency.bucket_moves_record(as_of=TODAY).examined == 0


@pytest.mark.django_db
def test_moves_work_across_chunks():
    AccountFactory.create_batch(7, delinquent_since=date(2026, 9, 1))
    summary = delinquency.bucket_moves_record(as_of=TODAY, chunk_size=3)
    assert summary.opened == 7
    assert BucketHistory.objects.filter(exited_on__isnull=True).count() == 7


def test_business_date_can_be_pinned(settings):
    settings.BUSINESS_DATE = "2027-01-15"
    assert delinquency.business_date() == date(2027, 1, 15)
