"""The report event's payload, for the OpenAPI ``webhooks`` section (``SPECTACULAR_SETTINGS``)."""

from __future__ import annotations

from rest_framework import serializers

from smarketing.api import webhook_doc

from .serializers import OverallSerializer


class ReportReadyEventSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The report's id.")
    sla = serializers.IntegerField()
    sla_title = serializers.CharField()
    series = serializers.UUIDField()
    month = serializers.RegexField(r"^\d{4}-\d{2}$", help_text="YYYY-MM")
    overall = OverallSerializer()
    engine_version = serializers.CharField()
    api_url = serializers.URLField(help_text="`GET` the report (its `data` has every figure).")
    web_url = serializers.URLField(help_text="The report's page.")


report_ready = webhook_doc(
    "report.ready",
    ReportReadyEventSerializer(),
    summary="A monthly report was computed",
    description="The monthly compliance report of a closed month is stored (or was recomputed).",
)
