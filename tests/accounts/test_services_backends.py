"""The real services CI provides: PostgreSQL for the database, Redis for cache and broker."""

import pytest
from django.core.cache import cache
from django.db import connection


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_suite_runs_on_postgresql():
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        assert cursor.fetchone()[0].startswith("PostgreSQL")


@pytest.mark.redis
def test_celery_broker_is_redis_and_reachable():
    from config.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1)
        assert conn.transport_cls == "redis"


@pytest.mark.redis
def test_the_cache_uses_redis():
    from django.conf import settings

    assert "RedisCache" in settings.CACHES["default"]["BACKEND"]
    cache.set("settle-ci-probe", "ok", 5)
    assert cache.get("settle-ci-probe") == "ok"
