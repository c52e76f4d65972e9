"""Signal receivers: the review is prepared when the month's report is stored."""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction

logger = logging.getLogger(__name__)


def prepare_review(sender, report, **kwargs) -> None:
    """``reporting.signals.report_created``: prepare the series' review of the month (idempotent).

    Runs inside the report's transaction, in a savepoint: a review that cannot be prepared is
    logged and never costs the report (a manager can still prepare it from the review list).
    """
    from .services import review_for_report

    try:
        with transaction.atomic():
            review_for_report(report)
    except (DatabaseError, ValidationError, ValueError, LookupError):
        logger.exception("could not prepare the review of report %s", report.pk)
