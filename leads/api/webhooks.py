"""The lead events' payloads, for the OpenAPI ``webhooks`` section (``SPECTACULAR_SETTINGS``)."""

from __future__ import annotations

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from smarketing.api import webhook_doc

from ..models import FollowUp, Handoff, Stage


class HandoffEventSerializer(serializers.Serializer):
    lead = serializers.IntegerField(help_text=_("The lead's id."))
    handoff = serializers.IntegerField(help_text=_("The handoff's id."))
    status = serializers.ChoiceField(choices=Handoff.Status.choices, help_text=_("pending, accepted or rejected."))
    from_team = serializers.IntegerField(help_text=_("The marketing team handing off."))
    from_team_name = serializers.CharField()
    to_team = serializers.IntegerField(help_text=_("The sales team that decides."))
    to_team_name = serializers.CharField()
    sla = serializers.IntegerField(allow_null=True, help_text=_("The SLA version governing it (null: none)."))
    handed_off_at = serializers.DateTimeField()
    decision_due_at = serializers.DateTimeField(allow_null=True, help_text=_("When sales must have decided."))
    decided_at = serializers.DateTimeField(allow_null=True)
    reason = serializers.CharField(allow_blank=True, help_text=_("Why it was rejected (rejected only)."))
    lead_name = serializers.CharField(allow_blank=True)
    lead_email = serializers.CharField(allow_blank=True)
    lead_company = serializers.CharField(allow_blank=True)
    lead_stage = serializers.ChoiceField(choices=Stage.choices)
    maturity_category = serializers.IntegerField(allow_null=True, help_text=_("1, 2 or 3."))
    owner_user = serializers.IntegerField(allow_null=True, help_text=_("The lead's owner after the step."))
    api_url = serializers.URLField(help_text=_("`GET` the lead."))
    web_url = serializers.URLField(help_text=_("The lead's page."))


class FollowUpOverdueEventSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text=_("The follow-up's id."))
    kind = serializers.ChoiceField(choices=FollowUp.Kind.choices)
    title = serializers.CharField(allow_blank=True, help_text=_("What it is about."))
    status = serializers.ChoiceField(choices=FollowUp.Status.choices)
    lead = serializers.IntegerField(allow_null=True)
    sla = serializers.IntegerField(allow_null=True)
    starts_at = serializers.DateTimeField(allow_null=True)
    due_at = serializers.DateTimeField()
    owner_team = serializers.IntegerField(allow_null=True)
    owner_user = serializers.IntegerField(allow_null=True)
    api_url = serializers.URLField(allow_null=True, help_text=_("`GET` the lead (null for an action item)."))
    web_url = serializers.URLField(help_text=_("The page to open."))


_HANDOFF = _("A marketing team handed a lead to a sales team ({what}); `status` says where it stands.")
lead_handed_off = webhook_doc(
    "lead.handed_off",
    HandoffEventSerializer(),
    summary=_("A lead was handed to sales"),
    description=format_lazy(_HANDOFF, what=_("sales owes a decision by `decision_due_at`")),
)
lead_accepted = webhook_doc(
    "lead.accepted",
    HandoffEventSerializer(),
    summary=_("Sales accepted a handoff"),
    description=format_lazy(_HANDOFF, what=_("sales accepted it: the lead is now an SQL")),
)
lead_rejected = webhook_doc(
    "lead.rejected",
    HandoffEventSerializer(),
    summary=_("Sales rejected a handoff"),
    description=format_lazy(_HANDOFF, what=_("sales rejected it with `reason`")),
)
followup_overdue = webhook_doc(
    "followup.overdue",
    FollowUpOverdueEventSerializer(),
    summary=_("A follow-up became overdue"),
    description=_(
        "An SLA obligation (first contact, contact attempts, return …) or an action item passed its due "
        "time while open. Sent once per follow-up."
    ),
)
