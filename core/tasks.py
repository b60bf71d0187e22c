"""The one retry policy of Settle's Celery tasks.

Every task is idempotent (it claims its work or replaces its results), so a retry after a
database or broker hiccup is safe. Retries: up to 3, exponential backoff with jitter from 30 s,
capped at 10 minutes; the message is acknowledged late, so a worker that dies mid-task leaves
it for another. Each task states only its time limits: they differ by job, and a task whose
claim can be taken over after a timeout keeps its hard limit below that timeout.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import DatabaseError

logger = logging.getLogger(__name__)

#: Errors worth another try: the database (connection lost, deadlock, serialization failure)
#: and I/O to a channel or gateway (sockets, timeouts, HTTP clients: all ``OSError``). A bug
#: raises something else and fails at once rather than three more times.
RETRY_ON: tuple[type[BaseException], ...] = (DatabaseError, OSError)

TASK_RETRY_POLICY: dict[str, Any] = {
    "acks_late": True,
    "autoretry_for": RETRY_ON,
    "retry_backoff": 30,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 3,
}


def time_limits(seconds: int, *, grace: int = 60) -> dict[str, int]:
    """A hard limit of ``seconds`` and a soft one ``grace`` seconds before it."""
    return {"time_limit": seconds, "soft_time_limit": seconds - grace}


#: Seconds a request waits for an unreachable broker before leaving its work to the sweep.
BROKER_TIMEOUT = 1.0


def task_send(name: str, *args: Any) -> bool:
    """Queue task ``name`` now; False, logged, when the broker can't be reached.

    For work recorded in an outbox row first (e.g. ``contacts.ContactFollowUp``): the row stays
    pending and a periodic sweep runs it once the broker is back, so a broker outage never fails
    the request that recorded it. Sent by name, so a lower floor can queue an upper floor's task.
    """
    from celery import current_app
    from kombu.exceptions import OperationalError

    try:
        with current_app.connection_for_write(connect_timeout=BROKER_TIMEOUT) as connection:
            connection.ensure_connection(max_retries=1)  # fail in about a second, not six
            current_app.send_task(name, args=list(args), connection=connection, retry=False)
    except (OperationalError, OSError) as error:
        logger.warning("broker unreachable, %s(%s) left for the sweep: %s", name, args, error)
        return False
    return True
