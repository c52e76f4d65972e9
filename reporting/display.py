"""How report figures are named and written for people: labels, status words and values with units.

One place for the pages, the e-mails, the exports, the PDF and the calendar, so a status, a side or
a unit reads the same everywhere, in the current language.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from django.utils import formats
from django.utils.translation import get_language, gettext_lazy, pgettext

from slas.models import CommitmentKey
from smarketing.numbers import number_text, rounded

# Every status is shown with a word and an icon, never by colour alone.
STATUS_DISPLAY = {
    "met": (gettext_lazy("Met"), "check-circle-fill", "success"),
    "on_track": (gettext_lazy("On track"), "graph-up-arrow", "success"),
    "missed": (gettext_lazy("Missed"), "x-circle-fill", "danger"),
    "at_risk": (gettext_lazy("At risk"), "exclamation-triangle-fill", "warning"),
    "no_data": (gettext_lazy("No data"), "dash-circle", "secondary"),
}
# The SLA's colours of a status in e-mails, charts and the PDF (Bootstrap's, readable on white).
STATUS_COLOURS = {
    "met": "#198754",
    "on_track": "#198754",
    "missed": "#dc3545",
    "at_risk": "#fd7e14",
    "no_data": "#6c757d",
}
SIDE_LABELS = {"marketing": gettext_lazy("Marketing"), "sales": gettext_lazy("Sales"), "shared": gettext_lazy("Shared")}
STAGE_LABELS = {
    "visitor": gettext_lazy("Visitors"),
    "prospect": gettext_lazy("Prospects"),
    "mql": gettext_lazy("MQLs"),
    "sql": gettext_lazy("SQLs"),
    "opportunity": gettext_lazy("Opportunities"),
    "client": gettext_lazy("Clients"),
}


def commitment_label(key: str) -> str:
    """The commitment's name in the current language (the key itself for an unknown one)."""
    try:
        return str(CommitmentKey(key).label)
    except ValueError:
        return key


def status_label(status: str | None) -> str:
    return str(STATUS_DISPLAY[status][0]) if status in STATUS_DISPLAY else ""


def side_label(side: str | None) -> str:
    return str(SIDE_LABELS.get(side, side or ""))


def unit_symbol(unit: str, currency: str = "EUR") -> str:
    """The unit as written after a figure or in a column header: ``EUR``, ``%`` or a counted word."""
    if unit == "amount":
        return currency or "EUR"
    if unit == "percent":
        return "%"
    return pgettext("unit of a counted figure", "number")


CURRENCY_SIGNS = {"EUR": "€", "USD": "$", "GBP": "£", "CHF": "CHF"}


def format_value(value, unit: str, currency: str = "EUR") -> str:
    """A figure with its unit in the current locale: ``83 334 €``, ``85,7 %``, ``1 204``; ``—`` when missing."""
    if value is None or value == "":
        return "—"
    number = Decimal(str(value))
    if unit == "percent":
        return f"{number_text(number, _decimals(number))}\u00a0%"
    if unit == "amount":
        text = number_text(number, 0, grouping=True)
        sign = CURRENCY_SIGNS.get(currency or "EUR", currency)
        return f"{sign}{text}" if sign == "$" else f"{text}\u00a0{sign}"
    return number_text(number, _decimals(number), grouping=True)


def _decimals(number: Decimal) -> int:
    """One decimal, none for a figure that is whole once rounded to one (``99.96`` → ``100``)."""
    return 0 if rounded(number, 1) == rounded(number, 1).to_integral_value() else 1


# Abbreviated months as French typography writes them (Django's "N" gives "jan.", "fév.").
SHORT_MONTHS = {
    "fr": ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."),
}


def month_label(month: dt.date, short: bool = True) -> str:
    """``Oct 2026`` / ``oct. 2026`` (short) or ``October 2026`` / ``octobre 2026`` in the current language."""
    if not short:
        return formats.date_format(month, "F Y", use_l10n=True)
    names = SHORT_MONTHS.get((get_language() or "en").split("-")[0])
    if names:
        return f"{names[month.month - 1]}\u00a0{month.year}"
    return formats.date_format(month, "M Y", use_l10n=True)


def format_hours(value) -> str:
    """A duration in business hours with its unit: ``3.5 h`` / ``3,5 h``; ``—`` when missing."""
    if value is None or value == "":
        return "—"
    return f"{format_value(value, 'count')}\u00a0h"


# French typography (Imprimerie nationale): a non-breaking space before ":" and "%" and inside
# guillemets, a narrow non-breaking space before ";", "?" and "!", and the currency sign after the
# number with a non-breaking space. Only spaces already there are replaced (and a space is added
# between a number and "%" or "€"), so "10:00", "https://" or "3/4" never change.
NBSP, NNBSP = "\u00a0", "\u202f"
_FRENCH_RULES = (
    (re.compile(r"[ \u00a0\u202f]+([:%])"), NBSP + r"\1"),
    (re.compile(r"[ \u00a0\u202f]+([;?!])"), NNBSP + r"\1"),
    (re.compile(r"(\d)(%|€)"), r"\1" + NBSP + r"\2"),
    (re.compile(r"(\d)[ \u202f](%|€)"), r"\1" + NBSP + r"\2"),
    (re.compile(r"«[ \u00a0\u202f]*"), "«" + NBSP),
    (re.compile(r"[ \u00a0\u202f]*»"), NBSP + "»"),
)
# In HTML, text between tags only: never inside a tag, a <style> or a <script>.
_HTML_TEXT = re.compile(r"(<style\b.*?</style>|<script\b.*?</script>|<[^>]*>)", re.DOTALL | re.IGNORECASE)


def typeset(text: str, *, html: bool = False, language: str | None = None) -> str:
    """``text`` with the spacing rules of ``language`` (default: the current one) — the one helper
    every output (e-mails, PDFs, CSV and XLSX headers and cells) passes its words through.

    French gets its non-breaking spaces (``Responsable : Ventes`` → ``Responsable\\u00a0: Ventes``,
    ``85,7 %``, ``50 000 €``, ``Pourquoi ?``); other languages are returned unchanged. With ``html``,
    only the text between tags and the attributes people read (``alt``, ``title``, ``aria-label``)
    change."""
    language = (language or get_language() or "en").split("-")[0]
    if language != "fr" or not text:
        return text
    if html:
        return "".join(
            (_typeset_attributes(part) if index % 2 else _typeset_fr(part))
            for index, part in enumerate(_HTML_TEXT.split(text))
        )
    return _typeset_fr(text)


# Attributes people read (image descriptions, tooltips, screen-reader labels).
_READ_ATTRIBUTES = re.compile(r'(\s(?:alt|title|aria-label)=")([^"]*)(")', re.IGNORECASE)


def _typeset_attributes(tag: str) -> str:
    if not tag.startswith("<") or tag[:6].lower() in ("<style", "<scrip"):
        return tag
    return _READ_ATTRIBUTES.sub(lambda m: m.group(1) + _typeset_fr(m.group(2)) + m.group(3), tag)


# A colon, semicolon, question or exclamation mark glued to the word before it and followed by a
# space or the end ("Propriétaire: Sofia", "Pourquoi?"): the space French wants is added. Never in a
# time ("17:00"), a URL ("https://", "?a=1") or an HTML entity ("&nbsp;").
_GLUED = re.compile(r"(&#?\w+;)|([^\s\d\u00a0\u202f/])([:;?!])(?=\s|$)")


def _unglue(match: re.Match) -> str:
    if match.group(1):
        return match.group(1)
    space = NBSP if match.group(3) == ":" else NNBSP
    return f"{match.group(2)}{space}{match.group(3)}"


def _typeset_fr(text: str) -> str:
    for pattern, replacement in _FRENCH_RULES:
        text = pattern.sub(replacement, text)
    return _GLUED.sub(_unglue, text)
