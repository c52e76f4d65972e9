"""The SLA events' payloads, for the OpenAPI ``webhooks`` section (``SPECTACULAR_SETTINGS``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from smarketing.api import webhook_doc

from ..models import SLA, Unit


class SLAActivatedEventSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text=_("The SLA version now in force."))
    title = serializers.CharField()
    version = serializers.IntegerField()
    series = serializers.UUIDField(help_text=_("The agreement (every version)."))
    status = serializers.ChoiceField(choices=SLA.Status.choices)
    marketing_team = serializers.IntegerField()
    marketing_team_name = serializers.CharField()
    sales_team = serializers.IntegerField()
    sales_team_name = serializers.CharField()
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    in_force_from = serializers.DateField()
    supersedes = serializers.IntegerField(allow_null=True, help_text=_("The version it replaces, if any."))
    currency = serializers.CharField()
    api_url = serializers.URLField(help_text=_("`GET` the SLA."))
    status_url = serializers.URLField(help_text=_("`GET` its compliance status."))
    web_url = serializers.URLField(help_text=_("The SLA's page."))


class SLAAtRiskEventSerializer(serializers.Serializer):
    sla = serializers.IntegerField()
    sla_title = serializers.CharField()
    month = serializers.RegexField(r"^\d{4}-\d{2}$", help_text=_("YYYY-MM"))
    key = serializers.CharField(help_text=_("The commitment at risk."))
    side = serializers.CharField(help_text=_("Who owes it."))
    unit = serializers.ChoiceField(choices=Unit.choices)
    target = serializers.FloatField(allow_null=True)
    actual = serializers.FloatField(allow_null=True)
    projected = serializers.FloatField(allow_null=True)
    status = serializers.ChoiceField(choices=["at_risk"])
    basis = serializers.IntegerField()
    hours = serializers.FloatField(allow_null=True)
    attempts = serializers.IntegerField(allow_null=True)
    days = serializers.IntegerField(allow_null=True)
    api_url = serializers.URLField(help_text=_("`GET` the month's status."))
    web_url = serializers.URLField(help_text=_("The SLA's page."))


sla_activated = webhook_doc(
    "sla.activated",
    SLAActivatedEventSerializer(),
    summary=_("An SLA came into force"),
    description=_("Both parties signed: this version is now the agreement in force (from `in_force_from`)."),
)
sla_at_risk = webhook_doc(
    "sla.at_risk",
    SLAAtRiskEventSerializer(),
    summary=_("A commitment is at risk this month"),
    description=_(
        "The projection of a commitment fell below its target in the current month. Sent once per commitment and month."
    ),
)
