"""Numbers as people read them: rounded, then formatted in the current locale.

Django's ``formats.number_format(value, decimal_pos=n)`` *cuts* the decimals instead of rounding
them (``66.67`` with one decimal gives ``66.6``, ``99.96`` gives ``99.9``). Every figure the
product shows goes through ``number_text``, which rounds half up first.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.utils import formats


def rounded(number: Decimal, decimals: int) -> Decimal:
    """``number`` rounded half up to ``decimals`` places (``Decimal("66.67")``, 1 → ``66.7``)."""
    return number.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def number_text(number: Decimal, decimals: int, *, grouping: bool = False) -> str:
    """``number`` rounded to ``decimals`` places and written in the current locale."""
    return formats.number_format(
        rounded(number, decimals), decimal_pos=decimals, use_l10n=True, force_grouping=grouping
    )
