"""Querysets shared by the evidence tables."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import models


class AppendOnlyQuerySet(models.QuerySet):
    """Evidence (the contact log, compliance decisions): rows are never changed or removed.

    The one exception is ``redact``: once a record's retention period has passed
    (``compliance.retention``), the content its model lists in ``REDACTABLE`` may be cleared,
    the row itself staying, stamped with ``redacted_at``.
    """

    refusal = "The contact log is append-only; log a correction instead."

    def update(self, **kwargs):
        raise PermissionError(self.refusal)

    def delete(self):
        raise PermissionError(self.refusal)

    def redact(self, *, at: datetime, **cleared: Any) -> int:
        """Set the ``REDACTABLE`` fields named in ``cleared`` (to their emptied values) and
        ``redacted_at`` on these rows; any other field is refused."""
        allowed = set(getattr(self.model, "REDACTABLE", ()))
        refused = sorted(set(cleared) - allowed)
        if refused:
            raise PermissionError(f"{self.model.__name__}: {', '.join(refused)} cannot be redacted")
        return super().update(redacted_at=at, **cleared)
