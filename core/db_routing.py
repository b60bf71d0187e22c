"""Reads that may lag the primary a little (the dashboard, its CSV exports) go to a replica.

``DATABASE_REPLICA_URL`` configures the ``replica`` database; ``SETTLE_READ_REPLICA`` turns the
routing on. Only code inside ``replica_reads()`` (or a view decorated with
``reads_from_replica``) reads from it; everything else, and every write, uses the primary, so a
page never reads back a stale copy of what it has just written.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings

REPLICA = "replica"
_replica_reads: ContextVar[bool] = ContextVar("settle_replica_reads", default=False)


@contextmanager
def replica_reads() -> Iterator[None]:
    token = _replica_reads.set(True)
    try:
        yield
    finally:
        _replica_reads.reset(token)


def reads_from_replica(view: Callable[..., Any]) -> Callable[..., Any]:
    """Run the view's reads (including rendering its template) on the replica."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        with replica_reads():
            return view(*args, **kwargs)

    return wrapped


class ReplicaRouter:
    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        if _replica_reads.get() and settings.SETTLE_READ_REPLICA and REPLICA in settings.DATABASES:
            return REPLICA
        return None

    def db_for_write(self, model: Any, **hints: Any) -> str | None:
        return None

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # the replica holds the same rows

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db != REPLICA
