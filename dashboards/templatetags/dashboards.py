from django import template

from accounts.models import CLOSED_STAGES, RiskTier, Stage

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


@register.filter
def column_label(code: str) -> str:
    """A roll-rate column: a bucket code as is, a closed stage by its name."""
    return str(dict(Stage.choices).get(code, code)) if code in CLOSED_STAGES else code
