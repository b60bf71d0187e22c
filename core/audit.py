"""Who the audit trail names for the writes inside a block."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from auditlog.context import set_actor


@contextlib.contextmanager
def acting_as(user: Any) -> Iterator[None]:
    """Attribute the audit rows written inside to ``user`` (API token calls included)."""
    if user is None or not user.is_authenticated:
        yield
        return
    with set_actor(user):
        yield
