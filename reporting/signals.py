"""Signals of the reporting app, for the apps above it (``reporting`` imports none of them).

``report_created`` is sent inside the transaction of ``reporting.services.report_compute``, once,
when the snapshot of a (series, month) is stored: a receiver's writes commit with the report or
not at all. ``reviews`` prepares the month's review meeting from it.
"""

from __future__ import annotations

from django.dispatch import Signal

# Sent with ``report`` (the new ``MonthlyReport``); sender: ``MonthlyReport``.
report_created = Signal()
