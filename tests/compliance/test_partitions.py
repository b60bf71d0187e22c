"""Monthly partitions of the evidence tables (``core.partitions``) and retention by partition
(``compliance.retention_partitions``), on PostgreSQL.

The clock is pinned to 2026-11-20; the default periods are 2 years where the law allows it, so
the US keeps 3 (12 CFR 1006.100: cutoff 2023-11-20) and China 2 (第68条: cutoff 2024-11-20).
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from auditlog.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django_celery_beat.models import PeriodicTask

from compliance.models import ComplianceDecision
from compliance.retention_partitions import partitions_retire
from compliance.selectors import contact_log_window
from compliance.tasks import partitions_ensure_task
from config.celery import app
from contacts.models import ContactFollowUp, ContactLog, InboundMessage, Reminder
from core.partitions import (
    partitioned_tables,
    partitions_ensure,
    partitions_list,
    table_partition,
    table_unpartition,
)
from plans.models import PromiseToPay
from tests.compliance.test_retention import _contact
from tests.factories import AccountFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

AS_OF = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
LOG = "contacts_contactlog"
DECISIONS = "compliance_compliancedecision"
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 32


@pytest.fixture(autouse=True)
def _pinned(settings, tmp_path):
    settings.BUSINESS_DATE = AS_OF.date().isoformat()
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SETTLE_RETENTION_YEARS = {"contact": 2, "decision": 2, "reveal": 2}
    with time_machine.travel(AS_OF, tick=False):
        partitions_ensure()  # the months around AS_OF, whenever the test database was made
        yield


def _decision(account, at: datetime) -> ComplianceDecision:
    with time_machine.travel(at, tick=False):
        return ComplianceDecision.objects.create(
            account=account,
            customer=account.customer,
            channel="sms",
            at=at,
            allowed=True,
            jurisdiction=account.customer.jurisdiction,
            inputs={"message_sha256": "9f2c"},
            purpose="contact_log",
        )


def _partition_of(table: str, pk: int) -> str | None:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tableoid::regclass::text FROM {table} WHERE id = %s", [pk])  # noqa: S608
        row = cursor.fetchone()
    return row[0] if row else None


def _names(table: str) -> list[str]:
    return [p.name for p in partitions_list(table)]


# --- The partitions ---------------------------------------------------------------------------
def test_the_evidence_tables_are_partitioned_by_month_after_migrate():
    assert partitioned_tables() == {LOG: "occurred_at", DECISIONS: "created_at"}
    for table in (LOG, DECISIONS):
        names = _names(table)
        assert f"{table}_default" == names[-1]
        # The migration ran on the real day (not the pinned one): that month and three more.
        today = time_machine.escape_hatch.datetime.datetime.now(UTC)
        this_month = f"{table}_p{today:%Y_%m}"
        assert this_month in names
        assert len(names[names.index(this_month) :]) == 3 + 1 + 1
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_constraint WHERE contype = 'f' "
            "AND confrelid IN (%s::regclass, %s::regclass)",
            [LOG, DECISIONS],
        )
        assert cursor.fetchone()[0] == 0  # no constraint can point at a partitioned table


def test_rows_land_in_their_months_partition_and_waiting_ones_move_out_of_the_default(team):
    account = AccountFactory(team=team)
    now = _contact(account, AS_OF)
    old = _contact(account, datetime(2022, 3, 4, 15, tzinfo=UTC))
    decision = _decision(account, datetime(2022, 3, 4, 15, tzinfo=UTC))
    assert _partition_of(LOG, now.pk) == f"{LOG}_p2026_11"
    assert _partition_of(LOG, old.pk) == f"{LOG}_default"  # no partition for March 2022 yet

    created = partitions_ensure()

    assert sorted(created) == [f"{DECISIONS}_p2022_03", f"{LOG}_p2022_03"]
    assert _partition_of(LOG, old.pk) == f"{LOG}_p2022_03"
    assert _partition_of(DECISIONS, decision.pk) == f"{DECISIONS}_p2022_03"
    assert ContactLog.objects.filter(account=account).count() == 2
    assert partitions_ensure() == []  # idempotent


def test_partitions_ensure_creates_the_coming_months_once():
    with time_machine.travel(datetime(2027, 3, 2, tzinfo=UTC), tick=False):
        created = partitions_ensure(months_ahead=3)
        again = partitions_ensure_task()
    months = {name.rsplit("_p", 1)[1] for name in created}
    assert {"2027_03", "2027_04", "2027_05", "2027_06"} <= months
    assert f"{LOG}_p2027_06" in created and f"{DECISIONS}_p2027_06" in created
    assert again == []


def test_partitions_can_be_made_before_loading_history(team):
    created = partitions_ensure(since=date(2025, 9, 10))

    assert {f"{LOG}_p2025_09", f"{LOG}_p2026_10", f"{DECISIONS}_p2025_09"} <= set(created)
    entry = _contact(AccountFactory(team=team), datetime(2025, 10, 2, tzinfo=UTC))
    assert _partition_of(LOG, entry.pk) == f"{LOG}_p2025_10"


def test_the_partitions_beat_task_runs_nightly_before_retention():
    app.loader.import_default_modules()
    schedule = PeriodicTask.objects.get(task="compliance.tasks.partitions_ensure_task")
    assert (schedule.crontab.minute, schedule.crontab.hour) == ("10", "3")
    assert schedule.task in app.tasks


def test_converting_a_table_with_rows_keeps_rows_ids_indexes_and_the_sequence(team):
    account = AccountFactory(team=team)
    rows = [_contact(account, at) for at in (datetime(2025, 1, 5, tzinfo=UTC), AS_OF)]
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = %s", [LOG])
        indexes = {row[0] for row in cursor.fetchall()}

    table_unpartition(LOG, "occurred_at")
    assert LOG not in partitioned_tables()
    assert _partition_of(LOG, rows[0].pk) == LOG
    table_partition(LOG, "occurred_at")

    assert partitioned_tables()[LOG] == "occurred_at"
    assert _partition_of(LOG, rows[0].pk) == f"{LOG}_p2025_01"  # its month, from the data
    assert f"{LOG}_p2025_02" not in _names(LOG)  # only months that hold rows, and the coming
    assert _partition_of(LOG, rows[1].pk) == f"{LOG}_p2026_11"
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = %s", [LOG])
        assert {row[0] for row in cursor.fetchall()} == indexes
    later = _contact(account, AS_OF)
    assert later.pk > rows[1].pk  # ids continue


def test_a_frequency_window_reads_only_its_months_partition(team):
    account = AccountFactory(team=team)
    for at in (datetime(2022, 3, 4, tzinfo=UTC), datetime(2025, 6, 1, tzinfo=UTC), AS_OF):
        _contact(account, at)
    partitions_ensure()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE contacts_contactlog")

    plan = contact_log_window([account.customer_id], AS_OF - timedelta(days=7), AS_OF).explain()

    assert f"{LOG}_p2026_11" in plan
    for other in (f"{LOG}_p2022_03", f"{LOG}_p2025_06", f"{LOG}_p2026_12", f"{LOG}_default"):
        assert other not in plan


# --- Retention by partition -------------------------------------------------------------------
@pytest.fixture
def months(team):
    """Old months of evidence: some past their period throughout, some held."""
    closed = AccountFactory(team=team, stage="closed")  # US, silent since 2023-01
    chinese = AccountFactory(
        team=team,
        stage="written_off",
        customer__jurisdiction="CN",
        customer__time_zone="Asia/Shanghai",
    )  # silent since June 2024: past China's two years, not the US three
    open_ = AccountFactory(team=team, stage="late")
    referred = AccountFactory(team=team, stage="settled")

    march = datetime(2022, 3, 4, 15, tzinfo=UTC)
    decision = _decision(closed, march)
    entry = _contact(
        closed, march, decision=decision, attachment=SimpleUploadedFile("call.wav", WAV)
    )
    _contact(closed, march + timedelta(days=2), corrects=entry)  # a correction, same month
    follow_up = ContactFollowUp.objects.create(
        entry=entry, account=closed, created_at=march, done_at=march
    )
    # April 2022: a closed account's entry beside an open account's; the decision it passed.
    april = datetime(2022, 4, 2, tzinfo=UTC)
    _contact(closed, april, decision=_decision(closed, april))
    _contact(open_, datetime(2022, 4, 9, tzinfo=UTC))
    # May 2022: a closed account's entry a promise was made in.
    promised = _contact(referred, datetime(2022, 5, 3, tzinfo=UTC))
    promise = PromiseToPay.objects.create(
        account=referred, amount=Decimal("50.00"), due_date=date(2022, 5, 10), contact=promised
    )
    # June 2022: a decision a reminder passed.
    held = _decision(referred, datetime(2022, 6, 1, tzinfo=UTC))
    reminder = Reminder.objects.create(
        account=referred,
        kind="strategy",
        channel="sms",
        idempotency_key="old-1",
        due_at=datetime(2022, 6, 1, tzinfo=UTC),
        status="sent",
        decision=held,
    )
    # January 2023: an entry an inbound message of no known account refers to.
    replied = _contact(closed, datetime(2023, 1, 10, tzinfo=UTC))
    InboundMessage.objects.create(
        channel="sms",
        provider_message_id="m-1",
        sender="+12125550142",
        received_at=datetime(2023, 1, 10, tzinfo=UTC),
        intent="reply",
        entry=replied,
    )
    chinese_entry = _contact(chinese, datetime(2024, 6, 15, tzinfo=UTC))
    partitions_ensure()
    return {
        "entry": entry,
        "follow_up": follow_up,
        "chinese_entry": chinese_entry,
        "decision": decision,
        "held": held,
        "promise": promise,
        "reminder": reminder,
    }


def _verdicts(report) -> dict[str, str]:
    return {
        v.partition.name: ("drop: " if v.droppable else "keep: ") + v.reason()
        for v in report.verdicts
    }


DROPPED = {
    f"{LOG}_p2024_06",  # China, two years
    f"{LOG}_p2022_05",  # the promise made in it, of an account past its period, lets go
    f"{LOG}_p2022_03",
    f"{DECISIONS}_p2022_06",  # so does the reminder
    f"{DECISIONS}_p2022_03",  # its only reference was in the contact log's March 2022
}


def test_the_dry_run_reports_each_month_and_changes_nothing(months):
    before = _names(LOG) + _names(DECISIONS)

    report = partitions_retire(dry_run=True)

    verdicts = _verdicts(report)
    assert {name for name, reason in verdicts.items() if reason.startswith("drop")} == DROPPED
    assert verdicts[f"{LOG}_p2022_04"] == "keep: 1 rows of 1 accounts open or within the period"
    assert verdicts[f"{LOG}_p2023_01"] == "keep: referred to by 1 contacts_inboundmessage.entry_id"
    assert verdicts[f"{DECISIONS}_p2022_04"] == (
        "keep: referred to by 1 contacts_contactlog.decision_id"  # evidence is never changed
    )
    assert verdicts[f"{LOG}_p2022_05"] == (
        "drop: every row past its period, nothing keeps it; "
        "releases 1 plans_promisetopay.contact_id"
    )
    assert _names(LOG) + _names(DECISIONS) == before
    assert not LogEntry.objects.filter(additional_data__has_key="retention").exists()
    months["promise"].refresh_from_db()
    assert months["promise"].contact_id is not None
    assert report.dropped == []


def test_the_run_drops_the_eligible_months_only_with_an_audit_entry(months):
    storage = ContactLog._meta.get_field("attachment").storage
    assert storage.exists(months["entry"].attachment.name)

    report = partitions_retire()

    assert {v.partition.name for v in report.dropped} == DROPPED
    remaining = set(_names(LOG) + _names(DECISIONS))
    assert not DROPPED & remaining
    assert {f"{LOG}_p2022_04", f"{LOG}_p2023_01", f"{DECISIONS}_p2022_04"} <= remaining
    assert not ContactLog.objects.filter(pk=months["entry"].pk).exists()
    assert not ComplianceDecision.objects.filter(pk=months["decision"].pk).exists()
    assert ContactLog.objects.filter(occurred_at__year=2022, occurred_at__month=4).count() == 2
    assert ContactLog.objects.filter(occurred_at__year=2023).count() == 1
    assert not storage.exists(months["entry"].attachment.name)  # the recording went with it

    entry = LogEntry.objects.get(object_pk=f"{LOG}_p2022_03")
    assert entry.action == LogEntry.Action.DELETE and entry.actor is None
    assert entry.content_type.model_class() is ContactLog
    assert entry.additional_data["retention"] == {
        "kinds": ["partition"],
        "table": LOG,
        "partition": f"{LOG}_p2022_03",
        "from": "2022-03-01T00:00:00+00:00",
        "to": "2022-04-01T00:00:00+00:00",
        "rows": 2,
        "accounts": 1,
        "evidence_files": 1,
        "released": {"contacts_contactfollowup.entry_id": 1},
        "years": {"US": 3},
        "citations": {"US": "12 CFR 1006.100"},
        "as_of": "2026-11-20",
        "reason": entry.additional_data["retention"]["reason"],
    }
    chinese = LogEntry.objects.get(object_pk=f"{LOG}_p2024_06")
    assert chinese.additional_data["retention"]["years"] == {"CN": 2}
    assert chinese.additional_data["retention"]["citations"] == {
        "CN": "《商业银行信用卡业务监督管理办法》第68条"
    }

    # The working records that referred to the months stay, without the reference, audited.
    promise = PromiseToPay.objects.get(pk=months["promise"].pk)
    reminder = Reminder.objects.get(pk=months["reminder"].pk)
    assert (promise.contact_id, reminder.decision_id) == (None, None)
    assert not ContactFollowUp.objects.filter(pk=months["follow_up"].pk).exists()
    contact_id = months["promise"].contact_id  # as the fixture made it
    released = LogEntry.objects.get(
        content_type__model="promisetopay",
        object_pk=str(promise.pk),
        additional_data__has_key="retention",
    )
    assert released.action == LogEntry.Action.UPDATE
    assert released.changes == {"contact": [str(contact_id), "None"]}
    assert released.additional_data["retention"]["partition"] == f"{LOG}_p2022_05"
    follow_up = LogEntry.objects.get(
        content_type__model="contactfollowup", additional_data__has_key="retention"
    )
    assert follow_up.action == LogEntry.Action.DELETE

    again = partitions_retire()
    assert again.dropped == []
    assert LogEntry.objects.filter(additional_data__retention__kinds=["partition"]).count() == 5


def test_a_month_with_an_account_back_in_contact_is_kept(months):
    """The Chinese account is contacted again: its period starts over, June 2024 stays."""
    account = months["chinese_entry"].account
    _contact(account, AS_OF - timedelta(days=3))

    verdicts = _verdicts(partitions_retire(dry_run=True))

    assert verdicts[f"{LOG}_p2024_06"] == "keep: 1 rows of 1 accounts open or within the period"


def test_a_promise_of_an_account_within_its_period_keeps_the_month(months):
    """The settled account the promise belongs to is contacted again: the promise's account is
    no longer past its period, so neither May 2022 nor its entry goes."""
    _contact(months["promise"].account, AS_OF - timedelta(days=3))

    report = partitions_retire()

    verdicts = _verdicts(report)
    assert verdicts[f"{LOG}_p2022_05"] == "keep: 1 rows of 1 accounts open or within the period"
    months["promise"].refresh_from_db()
    assert ContactLog.objects.filter(pk=months["promise"].contact_id).exists()


def test_the_command_and_the_nightly_task_include_the_partitions(months):
    out = io.StringIO()
    call_command("retention", "--dry-run", "--as-of", "2026-11-20", stdout=out)
    text = out.getvalue()
    assert "Partitions past the retention period as of 2026-11-20: would drop" in text
    line = next(row for row in text.splitlines() if f"{LOG}_p2023_01" in row)
    assert "keep: referred to by 1 contacts_inboundmessage.entry_id" in line

    from compliance.tasks import retention_apply_task

    result = retention_apply_task()
    assert set(result["partitions_dropped"]) == DROPPED
    assert retention_apply_task()["partitions_dropped"] == []
