"""Fixtures of the review tests: an SLA in force all year, a February played through the lead services
at the times things happened, and NOW, a Tuesday in March when February's report is computed.

February, in short (Europe/Paris, 09:00–18:00 Monday–Friday, UTC+1):

- two webinar MQLs rejected by sales for budget ("No budget", " no budget ");
- Sam (seo) accepted in time, first contact two days late (a call with a note), a single attempt in
  the window, returned on the 20th without feedback;
- Sue (seo) accepted late (handoff decided after its 4 business hours), called in time, a meeting
  note entered three days after it happened (a late entry).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
import time_machine

from leads import services as lead_services
from leads.models import Lead, Stage
from reporting.services import report_compute
from slas.models import SLA, Milestone
from slas.tests.factories import make_sla

NOW = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)  # Tuesday 10 March, 10:00 in Paris
FEBRUARY = dt.date(2026, 2, 1)


def utc(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=dt.UTC)


def at(moment: str, call, **kwargs):
    """Run a service as it happened at ``moment`` (UTC): recorded then, not back-dated."""
    with time_machine.travel(utc(moment), tick=False):
        return call(**kwargs)


@pytest.fixture
def now():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def sla(roles) -> SLA:
    """The active SLA of the roles' marketing and sales teams, with a monthly review on the 12th."""
    sla = make_sla(roles.marketing, roles.sales, status=SLA.Status.ACTIVE)
    Milestone.objects.create(
        sla=sla,
        title="Monthly SLA review meeting",
        owner_team=roles.marketing,
        due_date=dt.date(2026, 1, 12),
        repeats_monthly=True,
    )
    return sla


def _mql(roles, name: str, channel: str, moment: str) -> Lead:
    first, last = name.split()
    return at(
        moment,
        lead_services.lead_create,
        data={"first_name": first, "last_name": last, "email": f"{first.lower()}@example.com", "channel": channel},
        team=roles.marketing,
        by=roles.mkt_member,
        stage=Stage.MQL,
    )


@dataclass
class February:
    sla: SLA
    wanda: Lead
    walter: Lead
    sam: Lead
    sue: Lead


@pytest.fixture
def february(roles, sla) -> February:
    m, s = roles.mkt_member, roles.sales_member
    wanda = _mql(roles, "Wanda Webinar", "webinar", "2026-02-02 08:00")
    at("2026-02-02 08:30", lead_services.lead_handoff, lead=wanda, team=roles.sales, by=m)
    at("2026-02-02 10:00", lead_services.lead_reject, lead=wanda, by=s, reason="No budget")
    walter = _mql(roles, "Walter Webinar", "webinar", "2026-02-05 08:00")
    at("2026-02-05 08:30", lead_services.lead_handoff, lead=walter, team=roles.sales, by=m)
    at("2026-02-05 09:00", lead_services.lead_reject, lead=walter, by=s, reason=" no budget ")

    sam = _mql(roles, "Sam Seo", "seo", "2026-02-03 07:30")
    at("2026-02-03 08:00", lead_services.lead_handoff, lead=sam, team=roles.sales, by=m)
    at("2026-02-03 09:00", lead_services.lead_accept, lead=sam, by=roles.sales_manager, owner=s)
    at(
        "2026-02-05 09:00",
        lead_services.activity_log,
        lead=sam,
        kind="call",
        outcome="reached",
        note="Wants a demo for the finance team",
        by=s,
    )
    at("2026-02-20 10:00", lead_services.lead_return, lead=sam, by=s, feedback="")

    sue = _mql(roles, "Sue Seo", "seo", "2026-02-04 07:30")
    at("2026-02-04 08:00", lead_services.lead_handoff, lead=sue, team=roles.sales, by=m)
    at("2026-02-04 15:00", lead_services.lead_accept, lead=sue, by=s)
    at("2026-02-04 15:30", lead_services.activity_log, lead=sue, kind="call", outcome="reached", by=s)
    # Entered on the 9th for a meeting on the 6th: a late entry.
    at(
        "2026-02-09 10:00",
        lead_services.activity_log,
        lead=sue,
        kind="meeting",
        outcome="interested",
        note="Budget voted, timing Q2",
        by=s,
        occurred_at=utc("2026-02-06 10:00"),
    )
    for lead in (wanda, walter, sam, sue):
        lead.refresh_from_db()
    return February(sla=sla, wanda=wanda, walter=walter, sam=sam, sue=sue)


@pytest.fixture
def report(february, now, django_capture_on_commit_callbacks):
    """February's report, computed on NOW: its review is prepared with it (invitations delivered)."""
    with django_capture_on_commit_callbacks(execute=True):
        return report_compute(sla=february.sla, month=FEBRUARY)


@pytest.fixture
def review(report):
    from reviews.models import Review

    return Review.objects.get(series=report.series, month=FEBRUARY)
