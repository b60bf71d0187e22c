"""The periodic job that abandons unfinished checkouts, and its beat entry."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django_celery_beat.models import PeriodicTask

from checkout.models import CheckoutSession
from checkout.tasks import sessions_expire_task
from config.celery import app
from tests.checkout.conftest import NOW, start

pytestmark = pytest.mark.django_db

Status = CheckoutSession.Status


def test_the_task_abandons_only_stale_open_sessions_once(account, pinned):
    stale = start(account, "10.00")
    paid = start(account, "20.00")
    CheckoutSession.objects.filter(pk=paid.pk).update(status=Status.PAID)
    pinned.shift(timedelta(minutes=30))
    fresh = start(account, "30.00", now=NOW + timedelta(minutes=30))
    pinned.shift(timedelta(minutes=31))

    assert sessions_expire_task() == 1
    assert sessions_expire_task() == 0

    statuses = dict(CheckoutSession.objects.values_list("pk", "status"))
    assert statuses == {stale.pk: "abandoned", paid.pk: "paid", fresh.pk: "pending"}


def test_beat_runs_it_every_quarter_hour(db):
    app.loader.import_default_modules()
    task = PeriodicTask.objects.get(task="checkout.tasks.sessions_expire_task")
    assert task.enabled and task.crontab.minute == "*/15"
    assert task.task in app.tasks
