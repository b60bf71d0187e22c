"""Compliance results as people read them: rule messages in the page's language."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext

register = template.Library()

#: Parameters that are themselves catalog texts (a wording category's label).
TRANSLATED_PARAMS = frozenset({"label"})


@register.filter
def violation_text(violation: Any) -> str:
    """A violation's message in the active language; the stored and API text stays English."""
    template_text = getattr(violation, "template", "")
    if not template_text:
        return getattr(violation, "message", str(violation))
    params = {
        name: gettext(value) if name in TRANSLATED_PARAMS else value
        for name, value in violation.params
    }
    return gettext(template_text) % params
