"""How the SLA's clauses read: one sentence per commitment, the same in the document, the
editor (with inputs in place of the figures), the comparison and the review.

``commitment_sentence`` fills the sentence of a commitment key with either plain figures
(``figures_of``) or the HTML of form inputs (``slas.forms.CommitmentForm.sentence``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from django.utils import formats
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .models import COMMITMENT_CATALOGUE, CommitmentKey, MaturityCategory

# ``{target}``, ``{hours}``, ``{attempts}``, ``{days}`` and ``{currency}`` are replaced by the
# figures (or the inputs); every parameter of the catalogue (SPEC §4) appears in its sentence.
COMMITMENT_SENTENCES = {
    CommitmentKey.PROSPECTS_VOLUME: _("At least {target} new prospects a month"),
    CommitmentKey.MQL_VOLUME: _("At least {target} new MQLs a month"),
    CommitmentKey.MQL_ACCEPTANCE_RATE: _("At least {target} % of the MQLs handed off are accepted by sales"),
    CommitmentKey.HANDOFF_RESPONSE: _("{target} % of handoffs accepted or rejected within {hours} business hours"),
    CommitmentKey.FIRST_CONTACT: _("{target} % of accepted leads contacted within {hours} business hours"),
    CommitmentKey.CONTACT_ATTEMPTS: _(
        "{target} % of accepted leads get {attempts} contact attempts within {days} business days"
    ),
    CommitmentKey.RETURN_FEEDBACK: _("{target} % of the leads returned to marketing come with feedback"),
    CommitmentKey.WON_REVENUE: _("At least {target} {currency} of won revenue a month"),
    CommitmentKey.NEW_CLIENTS: _("At least {target} new clients a month"),
}
CATEGORY_HOURS = _("category {category}: {hours} h")
# The sentence, then its hours per category: "…within 8 business hours; category 1: 2 h".
WITH_CATEGORIES = _("{sentence}; {categories}")
CATEGORIES = [str(value) for value in MaturityCategory.values]


def number(value) -> str:
    """A figure as people write it: ``4.00`` → ``4``, ``2.50`` → ``2,5`` in French, ``12000`` → ``12 000``."""
    if value in (None, ""):
        return "—"
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    if not amount.is_finite():
        return str(value)
    amount = amount.quantize(Decimal(1)) if amount == amount.to_integral_value() else amount.normalize()
    return formats.number_format(amount, use_l10n=True, force_grouping=True)


def day(value) -> str:
    if not value:
        return "—"
    if isinstance(value, str):
        value = dt.date.fromisoformat(value)
    return formats.date_format(value, "DATE_FORMAT")


def commitment_sentence(key: str, parts: Mapping[str, str], *, category_hours: Mapping[str, str] = ()) -> SafeString:
    """The sentence of ``key`` with ``parts`` (escaped text or safe HTML) in place of its figures.

    ``category_hours`` (category → text or HTML) follows as "; category 1: 2 h, category 3: 24 h".
    """
    sentence = format_html(str(COMMITMENT_SENTENCES[key]), **{name: parts.get(name, "") for name in _PLACES})
    categories = [(category, category_hours[category]) for category in CATEGORIES if category in category_hours]
    if categories:
        listed = format_html_join(
            ", ",
            "{}",
            ((format_html(str(CATEGORY_HOURS), category=category, hours=hours),) for category, hours in categories),
        )
        sentence = format_html(str(WITH_CATEGORIES), sentence=sentence, categories=listed)
    return sentence


_PLACES = ("target", "hours", "attempts", "days", "currency")


def figures_of(canonical: Mapping, currency: str) -> tuple[dict[str, str], dict[str, str]]:
    """The plain figures of a commitment (``Commitment.canonical()``) for ``commitment_sentence``."""
    parts = {name: number(canonical.get(name)) for name in ("target", "hours", "attempts", "days")}
    parts["currency"] = currency
    categories = {str(k): number(v) for k, v in (canonical.get("category_hours") or {}).items()}
    return parts, categories


def describe_commitment(canonical: Mapping, currency: str) -> SafeString:
    """ "95 % of accepted leads contacted within 8 business hours; category 1: 2 h"."""
    parts, categories = figures_of(canonical, currency)
    return commitment_sentence(canonical["key"], parts, category_hours=categories)


def commitment_params(key: str) -> tuple[str, ...]:
    return COMMITMENT_CATALOGUE[key]["params"]


def target_text(key: str, value, currency: str) -> str:
    """A target with its unit: ``90 %``, ``30``, ``12 000 EUR``."""
    unit = COMMITMENT_CATALOGUE[key]["unit"]
    if unit == "percent":
        return gettext("%(value)s %%") % {"value": number(value)}
    if unit == "amount":
        return f"{number(value)} {currency}"
    return number(value)
