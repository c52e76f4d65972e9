from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import time_machine
from icalendar import Calendar

from leads.models import FollowUp
from slas.models import Milestone, Profile

from .notify_helpers import active_sla, followup

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
