"""The lead events' payloads, for the OpenAPI ``webhooks`` section (``SPECTACULAR_SETTINGS``)."""

from __future__ import annotations

from rest_framework import serializers

from smarketing.api import webhook_doc

from ..models import FollowUp, Handoff, Stage


class HandoffEventSerializer(serializers.Serializer):
    lead = serializers.IntegerField(help_text="The lead's id.")
    handoff = serializers.IntegerField(help_text="The handoff's id.")
    status = serializers.ChoiceField(choices=Handoff.Status.choices, help_text="pending, accepted or rejected.")
    from_team = serializers.IntegerField(help_text="The marketing team handing off.")
    from_team_name = serializers.CharField()
    to_team = serializers.IntegerField(help_text="The sales team that decides.")
    to_team_name = serializers.CharField()
    sla = serializers.IntegerField(allow_null=True, help_text="The SLA version governing it (null: none).")
    handed_off_at = serializers.DateTimeField()
    decision_due_at = serializers.DateTimeField(allow_null=True, help_text="When sales must have decided.")
    decided_at = serializers.DateTimeField(allow_null=True)
    reason = serializers.CharField(allow_blank=True, help_text="Why it was rejected (rejected only).")
    lead_name = serializers.CharField(allow_blank=True)
    lead_email = serializers.CharField(allow_blank=True)
    lead_company = serializers.CharField(allow_blank=True)
    lead_stage = serializers.ChoiceField(choices=Stage.choices)
    maturity_category = serializers.IntegerField(allow_null=True, help_text="1, 2 or 3.")
    owner_user = serializers.IntegerField(allow_null=True, help_text="The lead's owner after the step.")
    api_url = serializers.URLField(help_text="`GET` the lead.")
    web_url = serializers.URLField(help_text="The lead's page.")


class FollowUpOverdueEventSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The follow-up's id.")
    kind = serializers.ChoiceField(choices=FollowUp.Kind.choices)
    title = serializers.CharField(allow_blank=True, help_text="What it is about.")
    status = serializers.ChoiceField(choices=FollowUp.Status.choices)
    lead = serializers.IntegerField(allow_null=True)
    sla = serializers.IntegerField(allow_null=True)
    starts_at = serializers.DateTimeField(allow_null=True)
    due_at = serializers.DateTimeField()
    owner_team = serializers.IntegerField(allow_null=True)
    owner_user = serializers.IntegerField(allow_null=True)
    api_url = serializers.URLField(allow_null=True, help_text="`GET` the lead (null for an action item).")
    web_url = serializers.URLField(help_text="The page to open.")


_HANDOFF = "A marketing team handed a lead to a sales team ({what}); `status` says where it stands."
lead_handed_off = webhook_doc(
    "lead.handed_off",
    HandoffEventSerializer(),
    summary="A lead was handed to sales",
    description=_HANDOFF.format(what="sales owes a decision by `decision_due_at`"),
)
lead_accepted = webhook_doc(
    "lead.accepted",
    HandoffEventSerializer(),
    summary="Sales accepted a handoff",
    description=_HANDOFF.format(what="sales accepted it: the lead is now an SQL"),
)
lead_rejected = webhook_doc(
    "lead.rejected",
    HandoffEventSerializer(),
    summary="Sales rejected a handoff",
    description=_HANDOFF.format(what="sales rejected it with `reason`"),
)
followup_overdue = webhook_doc(
    "followup.overdue",
    FollowUpOverdueEventSerializer(),
    summary="A follow-up became overdue",
    description="An SLA obligation (first contact, contact attempts, return …) or an action item passed its due "
    "time while open. Sent once per follow-up.",
)
