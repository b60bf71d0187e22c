"""The reminder settings, ``settings.SETTLE_REMINDERS``: read at each use, so a test or a
deployment that overrides them is seen at once."""

from __future__ import annotations

from typing import Any

from django.conf import settings


def setting(name: str) -> Any:
    return settings.SETTLE_REMINDERS[name]
