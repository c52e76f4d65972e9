"""The compliance engine on a hand-built March 2026 (Europe/Paris; DST starts Sunday 29 March)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leads.models import FollowUp, Handoff, Lead, LeadEvent, Stage
from reporting import compliance
from reporting.tests.builders import at, event, followup, handoff, lead, reach
from slas.models import SLA
from slas.tests.factories import make_sla

MARCH = dt.date(2026, 3, 1)
APRIL_NOW = at("2026-04-15 10:00")


@pytest.fixture
def sla(roles):
    sla = make_sla(roles.marketing, roles.sales, status=SLA.Status.ACTIVE)
    # Targets chosen so that some commitments are met and others missed.
    sla.commitments.filter(key="prospects_volume").update(target=Decimal(2))
    sla.commitments.filter(key="mql_acceptance_rate").update(target=Decimal(50))
    return SLA.objects.get(pk=sla.pk)


@pytest.fixture
def march(sla, roles):
    """One or more rows per commitment, several right on the month's boundaries."""
    mkt, other = roles.marketing, roles.other_marketing
    a, b, c, d = (lead(mkt, name) for name in "ABCD")
    # Midnight in Paris is 23:00 UTC in winter and 22:00 UTC once DST has started.
    reach(a, Stage.PROSPECT, at("2026-02-28 23:30"), team=mkt)  # 1 March 00:30 Paris: March
    reach(b, Stage.PROSPECT, at("2026-03-31 22:30"), team=mkt)  # 1 April 00:30 Paris: April
    reach(c, Stage.PROSPECT, at("2026-03-31 21:30"), team=mkt)  # 31 March 23:30 Paris: March
    reach(d, Stage.PROSPECT, at("2026-03-10 10:00"), team=other)  # another marketing team: not ours
    reach(a, Stage.MQL, at("2026-03-06 16:00"), team=mkt)
    reach(c, Stage.MQL, at("2026-03-07 10:00"), team=mkt, first=False)  # reached MQL before: not new

    # Handoff on Friday 27 March 17:00 Paris, 4 business hours: due Monday 30 March 12:00
    # Paris — across the weekend and the DST change, i.e. 10:00 UTC (not 11:00).
    h1_due = sla.business_calendar.add_business_hours(at("2026-03-27 16:00"), 4)
    assert h1_due == at("2026-03-30 10:00")
    handoff(a, sla, handed=at("2026-03-27 16:00"), due=h1_due, decided=at("2026-03-30 09:30"), status="accepted")
    # Due in March, decided late in April: a miss for March's responses, a rejection for April.
    handoff(
        b,
        sla,
        handed=at("2026-03-31 15:00"),
        due=at("2026-03-31 21:00"),
        decided=at("2026-04-01 08:00"),
        status="rejected",
    )
    # Decided in March (rejected), due in April.
    handoff(
        c,
        sla,
        handed=at("2026-03-31 14:00"),
        due=at("2026-04-01 07:00"),
        decided=at("2026-03-31 15:00"),
        status="rejected",
    )

    fc = FollowUp.Kind.FIRST_CONTACT
    followup(a, sla, fc, due=at("2026-03-10 10:00"), done=at("2026-03-10 09:00"), hours=2.0)  # met
    followup(b, sla, fc, due=at("2026-03-20 10:00"), done=at("2026-03-20 12:00"), hours=6.0)  # late
    followup(c, sla, fc, due=at("2026-03-31 21:30"))  # still open at the end of March: missed, overdue
    followup(d, sla, fc, due=at("2026-03-31 22:30"))  # 1 April in Paris: not March
    followup(d, sla, fc, due=at("2026-03-05 10:00"), done=at("2026-04-02 10:00"))  # done in April: missed
    ca = FollowUp.Kind.CONTACT_ATTEMPTS
    followup(a, sla, ca, due=at("2026-03-16 09:00"), done=at("2026-03-13 15:00"))  # met
    followup(b, sla, ca, due=at("2026-03-17 09:00"), done=at("2026-03-18 15:00"))  # late

    event(a, LeadEvent.Kind.RETURNED, at("2026-03-12 10:00"), sla=sla, payload={"has_feedback": True})
    event(b, LeadEvent.Kind.RETURNED, at("2026-03-13 10:00"), sla=sla, payload={"has_feedback": False})
    reach(a, Stage.CLIENT, at("2026-03-25 10:00"), sla=sla, deal_value="12000")
    reach(
        b,
        Stage.CLIENT,
        at("2026-03-26 10:00"),
        sla=sla,
        deal_value="3000.50",
        recorded_at=at("2026-03-28 10:00"),
        is_late_entry=True,
    )
    return {"a": a, "b": b, "c": c, "d": d}


def by_key(status: dict) -> dict[str, dict]:
    return {c["key"]: c for c in status["commitments"]}


def test_a_closed_month_gives_the_hand_counted_figures(sla, march):
    status = compliance.compute(sla, MARCH, now=APRIL_NOW)

    assert status["sla"] == sla.pk
    assert status["month"] == "2026-03"
    assert status["state"] == "closed"
    c = by_key(status)
    expected = {
        "prospects_volume": (2, 2, "met"),  # A (1 March 00:30) and C (31 March 23:30)
        "mql_volume": (1, 30, "missed"),  # A only: C had reached MQL before
        "mql_acceptance_rate": (50.0, 50, "met"),  # A accepted, C rejected (B decided in April)
        "handoff_response": (50.0, 90, "missed"),  # A in time; B due in March, decided in April
        "first_contact": (25.0, 90, "missed"),  # A met; B late, C open, D done in April
        "contact_attempts": (50.0, 80, "missed"),
        "return_feedback": (50.0, 90, "missed"),
        "won_revenue": (15000.5, 50000, "missed"),
        "new_clients": (2, 5, "missed"),
    }
    assert {key: (v["actual"], v["target"], v["status"]) for key, v in c.items()} == expected
    assert {key: v["side"] for key, v in c.items()} == {
        "prospects_volume": "marketing",
        "mql_volume": "marketing",
        "mql_acceptance_rate": "marketing",
        "handoff_response": "sales",
        "first_contact": "sales",
        "contact_attempts": "sales",
        "return_feedback": "sales",
        "won_revenue": "shared",
        "new_clients": "shared",
    }
    assert all(v["projected"] == v["actual"] for v in c.values())
    # Two decimals in the output (issue 11: figures are rounded for display only, to 2 decimals).
    assert status["overall"] == {"met": 2, "evaluable": 9, "score": 22.22}

    funnel = status["funnel"]
    assert funnel["entries"] == {"visitor": 0, "prospect": 2, "mql": 1, "sql": 0, "opportunity": 0, "client": 2}
    assert funnel["conversion_rates"]["prospect_to_mql"] == 50.0
    assert funnel["conversion_rates"]["visitor_to_prospect"] is None
    assert funnel["first_contact_hours"] == {"median": 4.0, "p90": 5.6}
    assert funnel["first_contact_distribution"]["counts"] == [0, 1, 1, 0, 0, 0]
    assert funnel["overdue_followups_open"] == 2  # C's first contact and D's (done only in April)
    assert funnel["late_entries"] == 1
    assert status["business_days"] == {"total": 22, "elapsed": 22}


def test_a_closed_month_does_not_change_after_later_events(sla, march):
    before = compliance.compute(sla, MARCH, now=APRIL_NOW)

    a, c = march["a"], march["c"]
    FollowUp.objects.filter(lead=c).update(status="done", done_at=at("2026-04-03 10:00"), done_on_time=False)
    reach(c, Stage.CLIENT, at("2026-04-02 10:00"), sla=sla, deal_value="99999")
    event(a, LeadEvent.Kind.RETURNED, at("2026-04-03 10:00"), sla=sla, payload={"has_feedback": True})
    Lead.objects.filter(pk=a.pk).update(deal_value=Decimal("1"), stage=Stage.LOST, owner_team=c.owner_team)
    Handoff.objects.create(
        lead=c,
        from_team=sla.marketing_team,
        to_team=sla.sales_team,
        sla=sla,
        handed_off_at=at("2026-04-06 10:00"),
        decision_due_at=at("2026-04-07 10:00"),
    )

    after = compliance.compute(sla, MARCH, now=at("2026-06-01 10:00"))
    assert {k: v for k, v in after.items() if k != "as_of"} == {k: v for k, v in before.items() if k != "as_of"}


def test_the_current_month_counts_only_what_is_due_and_projects_volumes(sla, march):
    # Monday 16 March 13:00 Paris: 11 of March's 22 business days have started.
    with time_machine.travel(at("2026-03-16 12:00"), tick=False):
        status = compliance.compute(sla, MARCH)

    assert status["state"] == "in_progress"
    assert status["business_days"] == {"total": 22, "elapsed": 11}
    c = by_key(status)
    assert (c["prospects_volume"]["actual"], c["prospects_volume"]["projected"]) == (1, 2.0)
    assert c["prospects_volume"]["status"] == "on_track"
    assert (c["mql_volume"]["actual"], c["mql_volume"]["projected"], c["mql_volume"]["status"]) == (1, 2.0, "at_risk")
    assert c["mql_acceptance_rate"]["status"] == "no_data"  # nothing decided yet
    assert c["handoff_response"]["status"] == "no_data"  # nothing due yet
    # Due so far: A's (met) and D's (due 5 March, open then); B's is due on the 20th.
    assert (c["first_contact"]["actual"], c["first_contact"]["status"]) == (50.0, "at_risk")
    assert (c["contact_attempts"]["actual"], c["contact_attempts"]["status"]) == (100.0, "on_track")
    assert c["return_feedback"]["actual"] == 50.0
    assert (c["won_revenue"]["actual"], c["won_revenue"]["projected"], c["won_revenue"]["status"]) == (0, 0, "at_risk")
    assert status["overall"] == {"met": 2, "evaluable": 7, "score": 28.57}
    assert status["funnel"]["overdue_followups_open"] == 1  # D's first contact


def test_a_holiday_is_not_a_business_day(sla):
    # Easter Monday, 6 April 2026: a handoff on Friday 3 April 17:00 Paris is due Tuesday 12:00.
    due = sla.business_calendar.add_business_hours(at("2026-04-03 15:00"), 4)
    assert due == at("2026-04-07 10:00")
    april = compliance.compute(sla, dt.date(2026, 4, 1), now=at("2026-05-02 10:00"))
    assert april["business_days"]["total"] == 21  # 22 weekdays less Easter Monday


def test_business_hours_cross_the_autumn_dst_change(sla):
    # Friday 23 October 17:00 CEST + 4 business hours = Monday 26 October 12:00 CET (11:00 UTC).
    assert sla.business_calendar.add_business_hours(at("2026-10-23 15:00"), 4) == at("2026-10-26 11:00")
    reach(lead(sla.marketing_team), Stage.PROSPECT, at("2026-10-31 22:30"), team=sla.marketing_team)  # 23:30 CET
    reach(lead(sla.marketing_team), Stage.PROSPECT, at("2026-10-31 23:30"), team=sla.marketing_team)  # November
    october = compliance.compute(sla, dt.date(2026, 10, 1), now=at("2026-11-05 10:00"))
    assert by_key(october)["prospects_volume"]["actual"] == 1


def test_a_month_boundary_is_midnight_in_the_sla_time_zone(sla):
    start, end = sla.month(dt.date(2026, 10, 1)).bounds()
    assert start == at("2026-09-30 22:00")  # CEST
    assert end == at("2026-10-31 23:00")  # CET after the change of 25 October


def test_a_month_not_started_is_refused(sla):
    with pytest.raises(ValueError):
        compliance.compute(sla, dt.date(2026, 5, 1), now=APRIL_NOW)


def _bulk_funnel(sla, team, count: int) -> None:
    leads = Lead.objects.bulk_create(Lead(first_name=f"L{i}", owner_team=team) for i in range(count))
    when = at("2026-03-10 10:00")
    LeadEvent.objects.bulk_create(
        LeadEvent(lead=x, kind="stage_changed", occurred_at=when, team=team, to_stage="prospect", first_reach=True)
        for x in leads
    )
    Handoff.objects.bulk_create(
        Handoff(
            lead=x,
            from_team=team,
            to_team=sla.sales_team,
            sla=sla,
            handed_off_at=when,
            decision_due_at=when,
            decided_at=when,
            status="accepted",
        )
        for x in leads
    )
    FollowUp.objects.bulk_create(
        FollowUp(
            lead=x,
            sla=sla,
            kind="first_contact",
            starts_at=when,
            due_at=when,
            owner_team=sla.sales_team,
            status="done",
            done_at=when,
            done_on_time=True,
            business_hours_taken=float(i % 9),
        )
        for i, x in enumerate(leads)
    )


def _queries_for(sla) -> int:
    fresh = SLA.objects.get(pk=sla.pk)
    with CaptureQueriesContext(connection) as ctx:
        compliance.compute(fresh, MARCH, now=APRIL_NOW)
    return len(ctx.captured_queries)


def test_the_query_count_does_not_grow_with_the_number_of_leads(sla, roles):
    _bulk_funnel(sla, roles.marketing, 10)
    with_ten = _queries_for(sla)
    _bulk_funnel(sla, roles.marketing, 290)
    with_three_hundred = _queries_for(sla)
    assert with_ten == with_three_hundred
    assert with_ten <= 12
    assert compliance.compute(SLA.objects.get(pk=sla.pk), MARCH, now=APRIL_NOW)["commitments"][0]["actual"] == 300
