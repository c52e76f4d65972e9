"""The report event's payload, for the OpenAPI ``webhooks`` section (``SPECTACULAR_SETTINGS``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from smarketing.api import webhook_doc

from .serializers import OverallSerializer


class ReportReadyEventSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text=_("The report's id."))
    sla = serializers.IntegerField()
    sla_title = serializers.CharField()
    series = serializers.UUIDField()
    month = serializers.RegexField(r"^\d{4}-\d{2}$", help_text=_("YYYY-MM"))
    overall = OverallSerializer()
    engine_version = serializers.CharField()
    api_url = serializers.URLField(help_text=_("`GET` the report (its `data` has every figure)."))
    web_url = serializers.URLField(help_text=_("The report's page."))


report_ready = webhook_doc(
    "report.ready",
    ReportReadyEventSerializer(),
    summary=_("A monthly report was computed"),
    description=_("The monthly compliance report of a closed month is stored (or was recomputed)."),
)
