from __future__ import annotations

from rest_framework import serializers

from reporting.models import MonthlyReport


class CommitmentStatusSerializer(serializers.Serializer):
    key = serializers.CharField()
    side = serializers.ChoiceField(choices=["marketing", "sales", "shared"])
    unit = serializers.CharField()
    target = serializers.FloatField(allow_null=True)
    actual = serializers.FloatField(
        allow_null=True, help_text="Two decimals; the status is decided on the exact value."
    )
    projected = serializers.FloatField(allow_null=True, help_text="Two decimals.")
    status = serializers.ChoiceField(choices=["met", "missed", "on_track", "at_risk", "no_data"])


class OverallSerializer(serializers.Serializer):
    met = serializers.IntegerField()
    evaluable = serializers.IntegerField()
    score = serializers.FloatField(allow_null=True, help_text="met ÷ evaluable, in %")


class SLAStatusSerializer(serializers.Serializer):
    """Documents SPEC §6's status shape (the engine's dict is returned as is)."""

    sla = serializers.IntegerField(
        help_text="The version whose targets apply (any version's id gives the same answer)."
    )
    series = serializers.UUIDField(help_text="The agreement: every version of the SLA.")
    version = serializers.IntegerField()
    month = serializers.CharField(help_text="YYYY-MM")
    state = serializers.ChoiceField(choices=["in_progress", "closed"])
    overall = OverallSerializer()
    commitments = CommitmentStatusSerializer(many=True)
    funnel = serializers.DictField()
    currency = serializers.CharField()


class MonthlyReportSerializer(serializers.ModelSerializer):
    month = serializers.DateField(format="%Y-%m")
    computed_by = serializers.StringRelatedField()

    class Meta:
        model = MonthlyReport
        fields = [
            "id",
            "sla",
            "series",
            "month",
            "data",
            "engine_version",
            "computed_at",
            "computed_by",
            "computed_by_task",
            "sent_at",
        ]
        read_only_fields = fields
