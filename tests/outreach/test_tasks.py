"""The reminder tasks: registered under the names the beat rows use, sent before a claim can
be taken over. (Their retry policy: tests/test_task_policy.py, for every task.)"""

from __future__ import annotations

import pytest

from config.celery import app
from outreach.tasks import reminders_generate_task, reminders_send_due_task


@pytest.mark.django_db
def test_every_scheduled_task_is_registered_under_its_name():
    from django_celery_beat.models import PeriodicTask

    app.loader.import_default_modules()  # what a worker does at start: autodiscovery
    scheduled = set(PeriodicTask.objects.values_list("task", flat=True))

    assert {
        "contacts.tasks.reminders_generate_task",
        "contacts.tasks.reminders_send_due_task",
    } <= scheduled
    assert scheduled <= set(app.tasks)


def test_the_hard_time_limit_stays_below_the_claim_timeout(settings):
    for task in (reminders_generate_task, reminders_send_due_task):
        assert task.time_limit < settings.SETTLE_REMINDERS["claim_timeout_seconds"]
