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


# --- Queues: each kind of task on its own queue ------------------------------------------------
def _queue(name: str) -> str:
    """The queue Celery would send task ``name`` to, as the app routes it."""
    options = app.amqp.router.route({}, name)
    return options["queue"].name


def test_each_kind_of_task_has_its_own_queue(settings):
    settings.SETTLE_TASK_QUEUES = {k: k for k in ("reminders", "nightly", "imports", "dashboards")}
    assert _queue("contacts.tasks.reminders_send_due_task") == "reminders"
    assert _queue("contacts.tasks.reminders_generate_task") == "reminders"
    assert _queue("accounts.tasks.nightly_run_task") == "nightly"
    assert _queue("dashboards.tasks.facts_refresh_task") == "dashboards"
    assert _queue("feeds.tasks.any_import") == "imports"


def test_with_queues_not_split_every_task_goes_to_the_default_queue(settings):
    settings.SETTLE_TASK_QUEUES = {}
    settings.CELERY_TASK_DEFAULT_QUEUE = app.conf.task_default_queue
    for name, _task in _settle_tasks():
        assert _queue(name) == app.conf.task_default_queue


def test_every_kind_names_tasks_that_exist():
    """A renamed task must not drop silently to the default queue."""
    from config.celery import TASK_KINDS

    names = [name for name, _ in _settle_tasks()]
    for prefix, kind in TASK_KINDS.items():
        if kind == "imports":
            continue  # imports run as commands today; their tasks will take this queue
        assert any(name.startswith(prefix) for name in names), prefix
