"""Every Settle task follows the one retry policy (core/tasks.py) and has time limits."""

from __future__ import annotations

import pytest

from config.celery import app
from core.tasks import RETRY_ON, TASK_RETRY_POLICY

APPS = (
    "accounts",
    "contacts",
    "compliance",
    "plans",
    "outreach",
    "workspace",
    "feeds",
    "dashboards",
)


def _settle_tasks():
    app.loader.import_default_modules()
    return sorted(
        (name, task) for name, task in app.tasks.items() if task.__module__.split(".")[0] in APPS
    )


def test_there_are_tasks_to_check():
    names = [name for name, _ in _settle_tasks()]
    assert "accounts.tasks.nightly_run_task" in names
    assert "dashboards.tasks.facts_refresh_task" in names


@pytest.mark.parametrize("name", [name for name, _ in _settle_tasks()])
def test_each_task_retries_by_the_one_policy(name):
    task = app.tasks[name]
    assert task.acks_late is True
    assert tuple(task.autoretry_for) == RETRY_ON
    assert (task.max_retries, task.retry_backoff, task.retry_backoff_max) == (
        TASK_RETRY_POLICY["max_retries"],
        TASK_RETRY_POLICY["retry_backoff"],
        TASK_RETRY_POLICY["retry_backoff_max"],
    )
    assert task.time_limit and task.soft_time_limit < task.time_limit
