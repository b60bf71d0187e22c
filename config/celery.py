"""The Celery application; tasks live beside the logic they run (``<app>/tasks.py``)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("settle")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

#: Which queue each kind of task goes to (``settings.SETTLE_TASK_QUEUES`` names the queues), by
#: task-name prefix. Anything else goes to ``CELERY_TASK_DEFAULT_QUEUE``.
TASK_KINDS = {
    "contacts.tasks.reminders_": "reminders",
    "accounts.tasks.nightly_run_task": "nightly",
    "workspace.tasks.propensity_train_task": "nightly",
    "workspace.tasks.phone_zones_resolve_task": "imports",
    "dashboards.tasks.": "dashboards",
    "feeds.tasks.": "imports",
}


def route_task(name, args, kwargs, options, task=None, **kw):
    """Celery router: a kind's queue when queues are split, else the default queue (None).

    Read at each call, so a test or canary that empties ``SETTLE_TASK_QUEUES`` sends everything
    to its own default queue.
    """
    from django.conf import settings

    queues = settings.SETTLE_TASK_QUEUES
    for prefix, kind in TASK_KINDS.items():
        if name.startswith(prefix) and kind in queues:
            return {"queue": queues[kind]}
    return None
