"""The lead page as a work surface: only allowed moves, next steps with business-hours
countdowns, the qualification panel, activities and feedback, the human timeline — and the one
identity rule (only a visitor may be anonymous) in every way a lead is made."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from leads import imports, services
from leads.models import Lead, Stage


def _lead(roles, stage=Stage.PROSPECT, email="p@example.com", **data):
    return services.lead_create(
        data={"email": email, "first_name": "Paula", **data}, team=roles.marketing, by=roles.mkt_manager, stage=stage
    )


def _offered_moves(body: str) -> list[str]:
    select = re.search(r'<select name="to"[^>]*>(.*?)</select>', body, re.S).group(1)
    return re.findall(r'<option value="([a-z_]+)"', select)


def test_change_stage_offers_only_the_moves_the_server_accepts(roles, client):
    lead = _lead(roles, stage=Stage.MQL)
    client.force_login(roles.mkt_member)
    body = client.get(reverse("leads:detail", args=[lead.pk])).content.decode()
    assert _offered_moves(body) == ["prospect", "lost"]
    assert services.transition_targets(lead) == ["prospect", "lost"]
    lead = _lead(roles, email="v@example.com", stage=Stage.VISITOR)
    assert services.transition_targets(lead) == ["prospect", "mql", "lost"]
    body = client.get(reverse("leads:detail", args=[lead.pk])).content.decode()
    assert _offered_moves(body)[0] == "prospect"


@pytest.mark.parametrize("stage", [Stage.PROSPECT, Stage.MQL])
def test_only_a_visitor_may_be_anonymous(roles, stage):
    with pytest.raises(ValidationError):
        services.lead_create(data={"company": ""}, team=roles.marketing, by=roles.mkt_manager, stage=stage)
    assert not Lead.objects.exists()
    visitor = services.lead_create(data={}, team=roles.marketing, by=roles.mkt_manager, stage=Stage.VISITOR)
    with pytest.raises(ValidationError):
        services.lead_transition(lead=visitor, to=Stage.MQL, by=roles.mkt_manager)
    visitor.refresh_from_db()
    assert visitor.stage == Stage.VISITOR


def test_the_import_refuses_a_prospect_without_name_or_email(roles):
    text = "first_name;email;company;stage\n;;Acme;prospect\n;;Acme;visitor\nAnn;;Acme;mql\n"
    checked = imports.preview(text, default_team=roles.marketing)
    assert [(error["row"], error["field"]) for error in checked.errors] == [(1, "last_name")]
    assert not checked.ok


def test_qualification_panel_saves_the_answers_and_shows_the_category(roles, client):
    lead = _lead(roles)
    client.force_login(roles.mkt_member)
    url = reverse("leads:action", args=[lead.pk, "qualify"])
    answers = {"team_formed": "on", "timing_defined": "on", "pain_identified": "on", "scope_defined": "on"}
    response = client.post(url, {**answers, "version": lead.version}, follow=True)
    lead.refresh_from_db()
    assert lead.maturity_category == 2 and not lead.budget_voted and lead.scope_defined
    body = response.content.decode()
    assert "Qualification saved." in body and "2 – medium-term project" in body
    # An answer form based on an older version changes nothing.
    response = client.post(url, {"budget_voted": "on", "version": lead.version - 1}, follow=True)
    lead.refresh_from_db()
    assert not lead.budget_voted
    client.force_login(roles.viewer)
    body = client.get(reverse("leads:detail", args=[lead.pk])).content.decode()
    assert f'action="/leads/{lead.pk}/do/qualify/"' not in body


def test_meeting_feedback_is_highlighted_for_marketing_and_the_timeline_is_human(roles, client, sla):
    lead = _lead(roles, stage=Stage.MQL)
    services.lead_handoff(lead=lead, team=roles.sales, by=roles.mkt_member)
    client.force_login(roles.sales_manager)
    body = client.get(reverse("leads:detail", args=[lead.pk])).content.decode()
    assert "Accept or reject the handoff" in body and "due in" in body and 'href="#action-accept"' in body
    services.lead_accept(lead=lead, by=roles.sales_member)
    services.activity_log(
        lead=lead, by=roles.sales_member, kind="meeting", outcome="interested", note="Budget freezes in March."
    )
    services.activity_log(lead=lead, by=roles.sales_member, kind="call", outcome="no_answer")
    client.force_login(roles.mkt_member)
    body = client.get(reverse("leads:detail", args=[lead.pk])).content.decode()
    feedback = body[body.index("Feedback from the field") : body.index("Activities")]
    assert "Budget freezes in March." in feedback and "Meeting" in feedback
    assert "no_answer" not in body and "logged an activity: Call — No answer" in body
    assert "handed it off to Inside sales" in body and "accepted the handoff for Inside sales" in body


def test_french_lead_page_speaks_french(roles, client, sla):
    from slas.models import Profile

    lead = _lead(roles, stage=Stage.MQL)
    services.lead_handoff(lead=lead, team=roles.sales, by=roles.mkt_member)
    services.lead_accept(lead=lead, by=roles.sales_member)
    services.activity_log(lead=lead, by=roles.sales_member, kind="call", outcome="no_answer", note="Rappeler")
    Profile.objects.update_or_create(user=roles.mkt_member, defaults={"language": "fr"})
    client.force_login(roles.mkt_member)
    body = client.get(reverse("leads:detail", args=[lead.pk]), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    english_only = ("Next due", "Qualification saved", "Feedback from the field", "logged an activity", "handed it off")
    for english in english_only:
        assert english not in body, english
