"""The comparison of two versions reads as sentences, section by section, in both languages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.html import strip_tags

from slas import services
from slas.diff import compare_versions
from slas.models import SLA, ClosedDate, SharedGoal
from slas.tests.factories import make_sla

pytestmark = pytest.mark.django_db


@pytest.fixture
def versions(roles):
    signed = make_sla(roles.marketing, roles.sales, status=SLA.Status.ACTIVE)
    draft = services.sla_amend(sla=signed, by=roles.mkt_manager)
    draft.commitments.filter(key="handoff_response").update(hours=Decimal(3), target=Decimal(95))
    draft.commitments.filter(key="first_contact").update(category_hours={"1": 2, "2": 24, "3": 72})
    draft.commitments.filter(key="return_feedback").delete()
    draft.maturity_rules.filter(category=1).update(response_hours=Decimal(2))
    SharedGoal.objects.create(
        sla=draft, specific="Fifty more clients", metric="Clients", target=50, deadline=draft.end_date
    )
    draft.calendar.hours.filter(weekday=4).update(end=dt.time(17))
    ClosedDate.objects.create(calendar=draft.calendar, date=draft.start_date + dt.timedelta(days=40))
    draft.title = "Renamed"
    draft.save()
    return signed, SLA.objects.get(pk=draft.pk)


def _lines(sections) -> dict[str, list[str]]:
    found = {}
    for section in sections:
        lines = []
        for row in section.rows:
            if row.kind == "changed":
                lines += [f"{row.subject}|{c.label}: {c.old} → {c.new}".lstrip("|") for c in row.changes]
            else:
                lines.append(f"{row.kind} {row.subject}: {strip_tags(row.text)}")
        found[section.key] = lines
    return found


def test_each_change_is_a_sentence_in_its_section(versions):
    signed, draft = versions
    with translation.override("en"):
        lines = _lines(compare_versions(signed, draft))
    assert lines["parties"] == [f"Title: {signed.title} → Renamed"]
    assert "Handoff decided in time|Target: 90 % → 95 %" in lines["commitments"]
    assert "Handoff decided in time|Business hours: 4 h → 3 h" in lines["commitments"]
    assert "First contact in time|Category 1: 4 h → 2 h" in lines["commitments"]
    assert (
        "removed Returns with feedback: 90 % of the leads returned to marketing come with feedback"
        in lines["commitments"]
    )
    assert len(lines["commitments"]) == 4
    assert lines["goals"] == ["added Fifty more clients: Clients: 50 by " + lines["goals"][0].rsplit("by ", 1)[1]]
    assert lines["maturity_rules"] == ["1 – short-term project|Response time: 4 h → 2 h"]
    assert lines["milestones"] == []
    assert lines["calendar"][0] == "Friday: 09:00–18:00 → 09:00–17:00"
    assert lines["calendar"][1].startswith("added Closed date: ")


def test_the_same_comparison_in_french(versions):
    signed, draft = versions
    with translation.override("fr"):
        lines = _lines(compare_versions(signed, draft))
    assert lines["commitments"] == [
        "removed Retours avec compte rendu: 90 % des leads renvoyés au marketing le sont avec un compte rendu",
        "Premier contact à temps|Catégorie 1: 4 h → 2 h",
        "Transmissions traitées à temps|Cible: 90 % → 95 %",
        "Transmissions traitées à temps|Heures ouvrées: 4 h → 3 h",
    ]
    assert lines["maturity_rules"] == ["1 – projet à court terme|Délai de réponse: 4 h → 2 h"]
    assert lines["calendar"] == ["vendredi: 09:00–18:00 → 09:00–17:00", "added Jour de fermeture: 10 février 2026"]


def test_the_page_shows_the_sections_and_no_raw_keys(versions, client, roles):
    _signed, draft = versions
    client.force_login(roles.viewer)
    response = client.get(reverse("slas:compare", args=[draft.pk]))
    text = " ".join(strip_tags(response.content.decode()).split())
    assert "Business hours: 4 h → 3 h" in text and "Target: 90 % → 95 %" in text
    assert "handoff_response" not in text and "key:" not in text
    assert "From version 1 (Active) to version 2 (Draft): 9 changes" in text
    client.cookies.load({"django_language": "fr"})
    french = " ".join(strip_tags(client.get(reverse("slas:compare", args=[draft.pk])).content.decode()).split())
    assert "Engagements" in french and "4 h → 3 h" in french and "Business hours" not in french
