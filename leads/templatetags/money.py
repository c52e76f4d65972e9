"""``{{ lead.deal_value|money }}``: an amount as people of the page's language write it —
``€12,000.00`` in English, ``12 000,00 €`` in French (the currency of the lead's SLA, or euros)."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.translation import get_language

from smarketing.numbers import number_text

register = template.Library()

SIGNS = {"EUR": "€", "USD": "$", "GBP": "£"}
NBSP = "\u00a0"


@register.filter
def money_whole(value, currency: str = "EUR") -> str:
    """A total without cents: ``€84,000`` / ``84 000 €``."""
    return money(value, currency, decimals=0)


@register.filter
def money(value, currency: str = "EUR", decimals: int = 2) -> str:
    if value is None or value == "":
        return "–"
    number = Decimal(str(value))
    text = number_text(number, int(decimals), grouping=True)
    sign = SIGNS.get(currency or "EUR", currency or "EUR")
    if (get_language() or "en").startswith("fr"):
        return f"{text.replace(' ', NBSP)}{NBSP}{sign}"
    return f"{sign}{text}" if len(sign) == 1 else f"{sign}{NBSP}{text}"
