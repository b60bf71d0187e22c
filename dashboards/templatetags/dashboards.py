from django import template

from accounts.models import RiskTier

register = template.Library()


@register.filter
def pct(rate) -> str:
    """A share (0–1) as a percentage with one decimal; an em dash when undefined."""
    if rate is None or rate == "":
        return "—"
    return f"{rate * 100:.1f}%"


@register.filter
def tier_label(code: str) -> str:
    return str(dict(RiskTier.choices).get(code, code))
