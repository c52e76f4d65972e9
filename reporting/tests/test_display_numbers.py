"""Figures are rounded, not cut, wherever they are shown (e-mails, PDF, report page, money).

Django's ``number_format`` with ``decimal_pos`` slices the decimals: the report PDF said "16,6 %"
for 1 met out of 6 (16.67 %), and 99.96 % read "99,9 %".
"""

from __future__ import annotations

import pytest
from django.utils import translation

from leads.templatetags.money import money, money_whole
from reporting.display import format_value

NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("value", "english", "french"),
    [
        (100 / 6, "16.7", "16,7"),
        (66.67, "66.7", "66,7"),
        (85.71, "85.7", "85,7"),
        (99.96, "100", "100"),  # whole once rounded: no ",0"
        (0.04, "0", "0"),
        (50, "50", "50"),
    ],
)
def test_a_percentage_is_rounded_half_up_to_one_decimal(value, english, french):
    with translation.override("en"):
        assert format_value(value, "percent") == f"{english}{NBSP}%"
    with translation.override("fr"):
        assert format_value(value, "percent") == f"{french}{NBSP}%"


def test_counts_and_amounts_are_rounded_too():
    with translation.override("en"):
        assert format_value(1234.56, "count") == "1,234.6"
        assert format_value(83333.5, "amount") == f"83,334{NBSP}€"
        assert money_whole(84000.6) == "€84,001"
        assert money(12.345) == "€12.35"
    with translation.override("fr"):
        assert format_value(1234.56, "count").endswith("234,6")
        assert money_whole(84000.6).startswith("84") and money_whole(84000.6).endswith(f"001{NBSP}€")
