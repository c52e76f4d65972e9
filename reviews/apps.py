from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewsConfig(AppConfig):
    """The monthly smarketing review. It plugs into the apps below it, which never import it: the
    report signal prepares the review, the e-mail builders send its invitations and minutes, and two
    hooks add its panel to the dashboard and its links to the SLA pages."""

    name = "reviews"
    verbose_name = _("Reviews")

    def ready(self) -> None:
        from reporting import emails as reporting_emails
        from reporting.models import Notification
        from reporting.signals import report_created
        from smarketing import hooks

        from . import emails, panels, receivers

        report_created.connect(receivers.prepare_review, dispatch_uid="reviews.prepare_review")
        reporting_emails.register(Notification.Kind.REVIEW_INVITATION, emails.invitation)
        reporting_emails.register(Notification.Kind.REVIEW_MINUTES, emails.minutes)
        hooks.register("dashboard.panels", panels.dashboard_panel)
        hooks.register("sla.links", panels.sla_links)
