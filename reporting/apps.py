from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = _("Reporting")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from leads.models import FollowUp, Handoff, LeadEvent
        from slas.models import SLA, ClosedDate, Commitment, WorkingCalendar, WorkingHours

        from .live import bump

        def changed(sender, **kwargs) -> None:
            bump()

        # Every row the compliance engine reads: a write makes the cached figures stale
        # (``reporting.live``). Bulk updates of follow-ups happen only next to an event.
        for model in (LeadEvent, Handoff, FollowUp, SLA, Commitment, WorkingCalendar, WorkingHours, ClosedDate):
            post_save.connect(changed, sender=model, dispatch_uid=f"reporting-live-{model.__name__}-save", weak=False)
            post_delete.connect(
                changed, sender=model, dispatch_uid=f"reporting-live-{model.__name__}-delete", weak=False
            )
        from leads.signals import rows_bulk_created

        rows_bulk_created.connect(changed, dispatch_uid="reporting-live-bulk", weak=False)
