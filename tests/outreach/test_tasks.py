"""The reminder tasks: registered under the names the beat rows use, one retry policy."""

from __future__ import annotations

import pytest

from config.celery import app
from outreach.tasks import TASK_RETRY_POLICY, reminders_generate_task, reminders_send_due_task


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


@pytest.mark.parametrize("task", [reminders_generate_task, reminders_send_due_task])
def test_the_reminder_tasks_follow_the_one_retry_policy(task):
    assert task.autoretry_for == TASK_RETRY_POLICY["autoretry_for"]
    assert (task.retry_backoff, task.retry_backoff_max, task.max_retries) == (
        TASK_RETRY_POLICY["retry_backoff"],
        TASK_RETRY_POLICY["retry_backoff_max"],
        TASK_RETRY_POLICY["max_retries"],
    )
    assert (task.soft_time_limit, task.time_limit) == (
        TASK_RETRY_POLICY["soft_time_limit"],
        TASK_RETRY_POLICY["time_limit"],
    )


def test_the_hard_time_limit_stays_below_the_claim_timeout(settings):
    assert TASK_RETRY_POLICY["time_limit"] < settings.SETTLE_REMINDERS["claim_timeout_seconds"]
