"""Template filters of the accounts floor: risk factors and bucket labels in the reader's
language."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import pgettext_lazy

from accounts.risk import factor_text

register = template.Library()

# Bucket labels are data (``accounts.aging.DEFAULT_BUCKETS``, editable in the admin). The only
# default one in words is shown in the reader's language; a label an admin typed, as typed.
BUCKET_LABELS = {"Current": pgettext_lazy("delinquency bucket", "Current")}


@register.filter
def risk_factor(factor: Any) -> str:
    """A stored risk factor's reason in the active language (``accounts.risk.factor_text``)."""
    return factor_text(factor) if isinstance(factor, dict) else str(factor)


@register.filter
def top_risk_factors(factors: Any, count: int = 2) -> list[str]:
    """The reasons of the ``count`` factors adding the most points (none that add nothing)."""
    if not isinstance(factors, list):
        return []
    weighty = [f for f in factors if isinstance(f, dict) and (f.get("points") or 0) > 0]
    weighty.sort(key=lambda f: -int(f.get("points") or 0))
    return [factor_text(f) for f in weighty[: int(count)]]


@register.filter
def bucket_label(label: Any) -> str:
    """A bucket's label in the active language when it is a default label in words."""
    return str(BUCKET_LABELS.get(label, label))
