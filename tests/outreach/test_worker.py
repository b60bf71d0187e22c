"""Reminders through a real Celery worker on Redis and PostgreSQL, including a worker killed
mid-batch: every reminder is still sent, logged and written to the outbox exactly once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from contacts.models import ContactLog, ContactPoint, MessageTemplate, Reminder
from outreach.backends import FileBackend
from outreach.services import message_template_save
from outreach.tasks import reminders_generate_task, reminders_send_due_task
from tests.factories import AccountFactory, TeamFactory

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # 10:00 in New York
pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

_sent_in_this_process = 0


class CrashingFileBackend(FileBackend):
    """The file backend, but the worker process dies (SIGKILL) right after its
    ``SETTLE_CRASH_AFTER``-th send while the flag file exists: the message is out, the
    database doesn't know yet."""

    def send(self, message):
        global _sent_in_this_process
        reference = super().send(message)
        _sent_in_this_process += 1
        flag = Path(os.environ["SETTLE_CRASH_FLAG"])
        if flag.exists() and _sent_in_this_process >= int(os.environ["SETTLE_CRASH_AFTER"]):
            flag.unlink()
            os.kill(os.getpid(), signal.SIGKILL)
        return reference


@dataclass
class WorkerEnv:
    start: Callable[[], subprocess.Popen]
    outbox: str
    crash_flag: Path


def _database_url() -> str:
    s = connection.settings_dict
    user = quote(s["USER"] or "postgres")
    password = f":{quote(s['PASSWORD'])}" if s.get("PASSWORD") else ""
    host = s["HOST"] or "127.0.0.1"
    return f"postgres://{user}{password}@{host}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.fixture
def worker_env(tmp_path, settings):
    queue = f"reminders-test-{uuid.uuid4().hex[:8]}"
    settings.CELERY_TASK_DEFAULT_QUEUE = queue
    settings.SETTLE_TASK_QUEUES = {}  # every task to this test's own queue
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "DATABASE_URL": _database_url(),
        "DATABASE_CONN_MAX_AGE": "0",
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "SETTLE_SPLIT_QUEUES": "false",
        "SETTLE_OUTBOX_DIR": str(tmp_path / "outbox"),
        "SETTLE_CHANNEL_BACKENDS": json.dumps(
            {
                "sms": "tests.outreach.test_worker.CrashingFileBackend",
                "email": "outreach.backends.FileBackend",
                "letter": "outreach.backends.FileBackend",
            }
        ),
        "SETTLE_REMINDER_BATCH_SIZE": "5",
        "SETTLE_CRASH_FLAG": str(tmp_path / "crash"),
        "SETTLE_CRASH_AFTER": "7",
        "SETTLE_BUSINESS_DATE": "2026-11-23",
    }
    started: list[subprocess.Popen] = []

    def start():
        process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "celery"),
                "-A",
                "config",
                "worker",
                "--pool=solo",
                "-Q",
                queue,
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-l",
                "warning",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        started.append(process)
        return process

    yield WorkerEnv(
        start=start, outbox=env["SETTLE_OUTBOX_DIR"], crash_flag=Path(env["SETTLE_CRASH_FLAG"])
    )
    for process in started:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait(condition, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def _template(code="payment-due"):
    # Transactional tests flush the database: the seeded templates may or may not be there.
    variant = {"code": code, "channel": "sms", "language": "en", "tone": "general"}
    return MessageTemplate.objects.filter(**variant).first() or message_template_save(
        template=MessageTemplate(
            **variant,
            name="Payment due",
            jurisdiction="US",
            body="{name}, {amount} {currency} is due on {due_date}. This is an attempt to "
            "collect a debt and any information obtained will be used for that purpose. This "
            "message is from a debt collector. Reply STOP to opt out.",
        )
    )


def _reminders(count: int) -> list[Reminder]:
    team = TeamFactory()
    template = _template()
    rows = []
    for n in range(count):
        account = AccountFactory(team=team, customer__time_zone="America/New_York")
        point = ContactPoint.objects.create(
            customer=account.customer, kind="phone", value=f"+1212555{n:04d}", region="US"
        )
        rows.append(
            Reminder.objects.create(
                account=account,
                kind=Reminder.Kind.INSTALLMENT_DUE,
                channel="sms",
                contact_point=point,
                template=template,
                idempotency_key=f"inst:{n}:2026-11-26:sms:d-3",
                due_at=NOW,
                next_attempt_at=NOW,
            )
        )
    return rows


def _outbox_keys(outbox: str) -> list[str]:
    path = Path(outbox) / "sms.jsonl"
    return [json.loads(line)["key"] for line in path.read_text().splitlines()]


def test_worker_generates_and_sends_reminders_end_to_end(worker_env):
    from contacts.models import TreatmentStrategy

    team = TeamFactory()
    _template("collection-notice")
    TreatmentStrategy.objects.all().delete()
    TreatmentStrategy.objects.create(
        code="us-m1-sms-general",
        name="US M1 general SMS",
        jurisdiction="US",
        risk_tier="general",
        bucket_code="M1",
        channel="sms",
        template_code="collection-notice",
        cadence_days=7,
    )
    accounts = [
        AccountFactory(team=team, risk_tier="general", delinquent_since=date(2026, 11, 10))
        for _ in range(3)
    ]
    for n, account in enumerate(accounts):
        ContactPoint.objects.create(
            customer=account.customer, kind="phone", value=f"+1646555{n:04d}", region="US"
        )
    worker_env.start()

    # The generate task queues the send task when its transaction commits.
    reminders_generate_task.delay("2026-11-23", NOW.isoformat())

    assert _wait(lambda: Reminder.objects.filter(status="sent").count() == 3), list(
        Reminder.objects.values_list("status", "last_error")
    )
    assert ContactLog.objects.filter(source="system", decision__isnull=False).count() == 3
    assert sorted(_outbox_keys(worker_env.outbox)) == sorted(
        Reminder.objects.values_list("idempotency_key", flat=True)
    )


def test_killing_the_worker_mid_batch_still_sends_each_reminder_exactly_once(worker_env):
    reminders = _reminders(20)
    worker_env.crash_flag.touch()
    first = worker_env.start()

    reminders_send_due_task.delay(NOW.isoformat())

    first.wait(timeout=90)
    assert first.returncode == -signal.SIGKILL
    assert Reminder.objects.filter(status="sent").count() == 5  # the first batch of 5
    assert Reminder.objects.filter(status="claimed").count() == 5  # the batch it died in
    assert len(_outbox_keys(worker_env.outbox)) == 7  # two of those already went out

    worker_env.start()
    # Past the claim timeout: the dead worker's claims are taken over.
    reminders_send_due_task.delay((NOW + timedelta(minutes=11)).isoformat())

    assert _wait(lambda: Reminder.objects.filter(status="sent").count() == len(reminders))
    keys = _outbox_keys(worker_env.outbox)
    assert sorted(keys) == sorted(r.idempotency_key for r in reminders)  # one line per key
    assert ContactLog.objects.count() == len(reminders)
    contact_ids = set(Reminder.objects.values_list("contact_id", flat=True))
    assert len(contact_ids) == len(reminders)
