"""Issue 11: everything that reads an SLA follows its series — alerts, report runs, calendar, lists —
and the one rule for overdue / open-at / "my follow-ups"."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from icalendar import Calendar

from leads import services as lead_services
from leads.models import FollowUp, Lead
from reporting import compliance
from reporting.models import MonthlyReport, Notification
from reporting.notifications.at_risk import notify_at_risk
from reporting.notifications.monthly import monthly_reports_due
from reporting.services import report_compute
from reporting.tests.builders import at
from slas import services as sla_services
from slas.models import SLA, Milestone, Profile
from slas.tests.factories import make_sla

pytestmark = pytest.mark.django_db


def signed(roles, **kwargs) -> SLA:
    sla = make_sla(roles.marketing, roles.sales, **kwargs)
    sla_services.sla_submit(sla=sla, by=roles.mkt_manager)
    sla_services.sla_sign(sla=sla, team=roles.marketing, by=roles.mkt_manager)
    sla_services.sla_sign(sla=sla, team=roles.sales, by=roles.sales_manager)
    return SLA.objects.get(pk=sla.pk)


def amended(roles, sla: SLA) -> SLA:
    draft = sla_services.sla_amend(sla=sla, by=roles.mkt_manager)
    draft.commitments.filter(key="mql_volume").update(target=Decimal(45))
    sla_services.sla_submit(sla=draft, by=roles.mkt_manager)
    sla_services.sla_sign(sla=draft, team=roles.marketing, by=roles.mkt_manager)
    sla_services.sla_sign(sla=draft, team=roles.sales, by=roles.sales_manager)
    return SLA.objects.get(pk=draft.pk)


AT_RISK = [{"key": "first_contact", "side": "sales", "target": 90, "actual": 50, "projected": 60, "status": "at_risk"}]


def test_an_amendment_does_not_repeat_an_at_risk_alert_of_the_month(roles, django_capture_on_commit_callbacks):
    with time_machine.travel(at("2026-11-16 10:00"), tick=False), django_capture_on_commit_callbacks(execute=True):
        v1 = signed(roles)
        assert notify_at_risk(v1, "2026-11", AT_RISK) == 1
        v2 = amended(roles, v1)
        assert notify_at_risk(v2, "2026-11", AT_RISK) == 0
    assert Notification.objects.filter(kind=Notification.Kind.AT_RISK).count() == 1


def test_the_monthly_run_is_due_once_per_series(roles):
    with time_machine.travel(at("2026-11-16 10:00"), tick=False):
        v1 = signed(roles)
        v2 = amended(roles, v1)
    with time_machine.travel(at("2026-12-01 06:00"), tick=False):
        due = monthly_reports_due()
        assert [(sla.series, month) for sla, month in due] == [(v1.series, dt.date(2026, 11, 1))]
        report = report_compute(sla=due[0][0], month=due[0][1])
        assert report.sla == v2
        MonthlyReport.objects.filter(pk=report.pk).update(sent_at=at("2026-12-01 06:00"))
        assert monthly_reports_due() == []


def test_the_report_list_and_api_find_the_series_by_any_version(roles, client):
    with time_machine.travel(at("2026-11-16 10:00"), tick=False):
        v1 = signed(roles)
        report = report_compute(sla=v1, month=dt.date(2026, 10, 1))
        v2 = amended(roles, v1)
    client.force_login(roles.viewer)
    for version in (v1, v2):
        page = client.get(reverse("reporting:report_list"), {"sla": version.pk}).content.decode()
        assert reverse("reporting:report_detail", args=[report.pk]) in page
        body = client.get("/api/v1/reports/", {"sla": version.pk}).json()
        assert [row["id"] for row in body["results"]] == [report.pk] and body["results"][0]["series"] == str(v1.series)


def test_the_calendar_lists_each_review_once_across_versions(roles, client):
    with time_machine.travel(at("2026-11-16 10:00"), tick=False):
        v1 = make_sla(roles.marketing, roles.sales)
        Milestone.objects.create(
            sla=v1, title="Review", owner_team=roles.marketing, due_date=dt.date(2026, 1, 31), repeats_monthly=True
        )
        v1 = signed_existing(roles, v1)
        v2 = amended(roles, v1)
        assert v2.milestones.count() == 1
        token = Profile.for_user(roles.sales_manager).calendar_token
        feed = Calendar.from_ical(client.get(f"/calendar/{token}.ics").content)
    days = sorted(event["dtstart"].dt for event in feed.walk("VEVENT") if "Review" in str(event["summary"]))
    # Saturday 31 October shows on Friday 30 October, the last working day (the feed's rule).
    assert days == [dt.date(2026, 10, 30), dt.date(2026, 11, 30), dt.date(2026, 12, 31)]


def signed_existing(roles, sla: SLA) -> SLA:
    sla_services.sla_submit(sla=sla, by=roles.mkt_manager)
    sla_services.sla_sign(sla=sla, team=roles.marketing, by=roles.mkt_manager)
    sla_services.sla_sign(sla=sla, team=roles.sales, by=roles.sales_manager)
    return SLA.objects.get(pk=sla.pk)


def test_a_followup_cancelled_after_its_due_time_stays_a_miss_of_its_month(roles):
    """A lead lost in April does not turn March's missed first contact into "no obligation"."""
    with time_machine.travel(at("2026-03-10 08:00"), tick=False):
        sla = signed(roles)
        lead = lead_services.lead_create(
            data={
                "email": "x@example.com",
                "pain_identified": True,
                "team_formed": True,
                "timing_defined": True,
                "scope_defined": True,
                "budget_voted": True,
            },
            team=roles.marketing,
            by=roles.mkt_manager,
            stage="mql",
        )
        lead_services.lead_handoff(lead=lead, team=roles.sales, by=roles.mkt_manager)
        lead_services.lead_accept(lead=lead, by=roles.sales_manager)
    march_before = compliance.compute(sla, dt.date(2026, 3, 1), now=at("2026-04-01 08:00"))
    first_contact = {c["key"]: c for c in march_before["commitments"]}["first_contact"]
    assert (first_contact["actual"], first_contact["basis"]) == (0.0, 1)
    assert march_before["funnel"]["overdue_followups_open"] == 2  # first contact and attempt window
    with time_machine.travel(at("2026-04-02 08:00"), tick=False):
        lead_services.lead_transition(
            lead=Lead.objects.get(pk=lead.pk), to="lost", reason="Gone", by=roles.sales_manager
        )
    assert FollowUp.objects.filter(lead=lead, status=FollowUp.Status.CANCELLED).count() == 2
    assert compliance.compute(sla, dt.date(2026, 3, 1), now=at("2026-04-03 08:00")) == march_before


def test_my_overdue_followups_are_one_definition_everywhere(roles, client):
    """Assigned to me, or unassigned in one of my teams — the dashboard, the list, the API, the feed."""
    with time_machine.travel(at("2026-03-16 12:00"), tick=False):
        sla = make_sla(roles.marketing, roles.sales, status=SLA.Status.ACTIVE)
        mine = Lead.objects.create(first_name="Mine", owner_team=roles.sales)
        team = Lead.objects.create(first_name="Teamwide", owner_team=roles.sales)
        other = Lead.objects.create(first_name="Colleague", owner_team=roles.sales)
        for lead, owner in ((mine, roles.sales_member), (team, None), (other, roles.sales_manager)):
            FollowUp.objects.create(
                lead=lead,
                sla=sla,
                kind="first_contact",
                starts_at=at("2026-03-10 08:00"),
                due_at=at("2026-03-10 12:00"),
                owner_team=roles.sales,
                owner_user=owner,
            )
        client.force_login(roles.sales_member)
        dashboard = client.get(reverse("home")).content.decode()
        listed = client.get(reverse("leads:followups"), {"show": "overdue"}).content.decode()
        api = client.get("/api/v1/followups/", {"overdue": "true", "owner": "me"}).json()
    for html in (dashboard, listed):
        assert "Mine" in html and "Teamwide" in html and "Colleague" not in html
    assert {row["lead"] for row in api["results"]} == {mine.pk, team.pk}
    assert all(row["is_overdue"] for row in api["results"])
    assert set(FollowUp.objects.overdue().mine(roles.sales_member).values_list("lead", flat=True)) == {mine.pk, team.pk}
