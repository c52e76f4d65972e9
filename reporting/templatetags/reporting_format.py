"""Template tags of the reporting app: figures written by ``reporting.display`` (one helper)."""

from django import template

from reporting.display import format_value

register = template.Library()


@register.simple_tag
def value_with_unit(value, unit: str = "", currency: str = "EUR") -> str:
    """``{% value_with_unit c.actual c.unit currency %}``: ``83 334 €``, ``85,7 %``, ``—`` when missing."""
    return format_value(value, unit or "", currency or "EUR")
