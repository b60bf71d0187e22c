"""Querysets shared by the evidence tables."""

from __future__ import annotations

from django.db import models


class AppendOnlyQuerySet(models.QuerySet):
    """Evidence (the contact log, compliance decisions): rows are never changed or removed."""

    refusal = "The contact log is append-only; log a correction instead."

    def update(self, **kwargs):
        raise PermissionError(self.refusal)

    def delete(self):
        raise PermissionError(self.refusal)
