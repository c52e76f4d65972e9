from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import time_machine
from icalendar import Calendar

from leads.models import FollowUp
from slas.models import Milestone, Profile

from .notify_helpers import active_sla, followup, set_profile

NOW = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


def _events(response) -> dict[str, object]:
    calendar = Calendar.from_ical(response.content)
    return {str(event["uid"]): event for event in calendar.walk("VEVENT")}


def test_the_feed_lists_my_open_followups_and_my_teams_milestones(roles, client):
    sla = active_sla(roles)
    mine = followup(sla, due_at=dt.datetime(2026, 11, 3, 15, 0, tzinfo=dt.UTC), owner_user=roles.sales_member)
    team_wide = followup(sla, due_at=dt.datetime(2026, 11, 4, 8, 0, tzinfo=dt.UTC))
    others = followup(sla, due_at=dt.datetime(2026, 11, 4, 8, 0, tzinfo=dt.UTC), owner_user=roles.sales_manager)
    done = followup(sla, due_at=dt.datetime(2026, 11, 4, 8, 0, tzinfo=dt.UTC), owner_user=roles.sales_member)
    FollowUp.objects.filter(pk=done.pk).update(status=FollowUp.Status.DONE)
    review = Milestone.objects.create(
        sla=sla,
        title="Monthly review",
        owner_team=roles.marketing,
        due_date=dt.date(2026, 11, 30),
        repeats_monthly=True,
    )
    token = Profile.for_user(roles.sales_member).calendar_token
    with time_machine.travel(NOW, tick=False):
        response = client.get(f"/calendar/{token}.ics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    events = _events(response)
    followup_uids = {uid for uid in events if uid.startswith("followup-")}
    assert {uid.split("@")[0] for uid in followup_uids} == {f"followup-{mine.pk}", f"followup-{team_wide.pk}"}
    assert f"followup-{others.pk}" not in str(followup_uids)
    start = next(e for uid, e in events.items() if uid.startswith(f"followup-{mine.pk}@"))["dtstart"].dt
    assert start == dt.datetime(2026, 11, 3, 16, 0, tzinfo=ZoneInfo("Europe/Paris"))
    assert str(start.tzinfo) == "Europe/Paris"
    assert b"BEGIN:VTIMEZONE" in response.content and b"TZID:Europe/Paris" in response.content
    milestone_days = sorted(e["dtstart"].dt for uid, e in events.items() if uid.startswith(f"milestone-{review.pk}-"))
    assert milestone_days == [dt.date(2026, 11, 30), dt.date(2026, 12, 30)]  # the SLA ends on 31 December


def test_the_feed_url_is_revoked_when_the_token_is_rotated(roles, client):
    old = Profile.for_user(roles.sales_member).calendar_token
    assert client.get(f"/calendar/{old}.ics").status_code == 200
    client.force_login(roles.sales_member)
    assert client.get("/notifications/calendar/").status_code == 200
    assert client.get("/notifications/calendar/rotate/").status_code == 405
    response = client.post("/notifications/calendar/rotate/")
    assert response.status_code == 302
    new = Profile.objects.get(user=roles.sales_member).calendar_token
    assert new != old
    assert client.get(f"/calendar/{old}.ics").status_code == 404
    assert client.get(f"/calendar/{new}.ics").status_code == 200


def test_a_monthly_milestone_on_the_31st_falls_on_the_last_day_of_shorter_months(roles):
    sla = active_sla(roles)
    milestone = Milestone.objects.create(
        sla=sla, title="Close", owner_team=roles.sales, due_date=dt.date(2026, 1, 31), repeats_monthly=True
    )
    days = milestone.occurrences(dt.date(2026, 1, 1), dt.date(2026, 4, 30))
    assert days == [dt.date(2026, 1, 31), dt.date(2026, 2, 28), dt.date(2026, 3, 31), dt.date(2026, 4, 30)]


def test_the_feed_speaks_the_profile_language_describes_each_followup_and_keeps_to_business_time(roles, client):
    sla = active_sla(roles)
    set_profile(roles.sales_member, language="fr")
    # Computed across a night: 01:13:57 on Wednesday is due, in business time, at 18:00 on Tuesday.
    night = followup(sla, due_at=dt.datetime(2026, 11, 4, 0, 13, 57, tzinfo=dt.UTC), owner_user=roles.sales_member)
    night.lead.company = "Globex"
    night.lead.save(update_fields=["company"])
    # Saturday 31 October: shown on Friday 30 October, the last working day.
    Milestone.objects.create(sla=sla, title="Revue", owner_team=roles.sales, due_date=dt.date(2026, 10, 31))
    token = Profile.for_user(roles.sales_member).calendar_token
    with time_machine.travel(dt.datetime(2026, 10, 20, 9, 0, tzinfo=dt.UTC), tick=False):
        response = client.get(f"/calendar/{token}.ics", HTTP_ACCEPT_LANGUAGE="en")
    calendar = Calendar.from_ical(response.content)
    event = next(e for e in calendar.walk("VEVENT") if str(e["uid"]).startswith(f"followup-{night.pk}@"))
    assert str(event["summary"]) == "Premier contact attendu: Ada Lovelace"
    assert event["dtstart"].dt == dt.datetime(2026, 11, 3, 18, 0, tzinfo=ZoneInfo("Europe/Paris"))
    description = str(event["description"])
    assert "Lead : Ada Lovelace · Globex" in description
    assert "Règle du SLA" in description and sla.title in description
    assert f"/leads/{night.lead_id}/" in description
    for required in ("uid", "dtstamp", "sequence", "dtstart", "summary"):
        assert required in event, required
    milestone = next(e for e in calendar.walk("VEVENT") if str(e["summary"]).startswith("Revue"))
    assert milestone["dtstart"].dt == dt.date(2026, 10, 30)
    assert "31" in str(milestone["description"])
    # One RRULE-based VTIMEZONE (Outlook), not a list of dates.
    zone = calendar.walk("VTIMEZONE")
    assert [str(z["tzid"]) for z in zone] == ["Europe/Paris"]
    parts = {part.name: part for part in zone[0].subcomponents}
    assert set(parts) == {"DAYLIGHT", "STANDARD"}
    assert parts["DAYLIGHT"]["rrule"]["BYMONTH"] == [3] and parts["DAYLIGHT"]["rrule"]["BYDAY"] == ["-1SU"]
    assert parts["STANDARD"]["rrule"]["BYMONTH"] == [10]
    assert b"RDATE" not in response.content
