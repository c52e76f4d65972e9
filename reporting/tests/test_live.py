"""The cached status equals a full recomputation, whatever happens to the leads and the clock."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leads import services
from leads.models import Stage
from reporting import compliance, live
from slas.models import SLA
from slas.tests.factories import make_sla

START = dt.datetime(2026, 3, 9, 8, 30, tzinfo=dt.UTC)  # a Monday, 09:30 in Paris

ACTIONS = st.one_of(
    st.tuples(st.just("create"), st.integers(0, 5)),
    st.tuples(st.just("mql"), st.integers(0, 5)),
    st.tuples(st.just("handoff"), st.integers(0, 5)),
    st.tuples(st.just("accept"), st.integers(0, 5)),
    st.tuples(st.just("reject"), st.integers(0, 5)),
    st.tuples(st.just("activity"), st.integers(0, 5)),
    st.tuples(st.just("opportunity"), st.integers(0, 5)),
    st.tuples(st.just("client"), st.integers(0, 5)),
    st.tuples(st.just("lost"), st.integers(0, 5)),
    st.tuples(st.just("wait"), st.integers(1, 60 * 10)),  # minutes: deadlines and days go by
)


class Rollback(Exception):
    pass


@pytest.fixture
def sla(roles):
    return make_sla(
        roles.marketing, roles.sales, start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31), status=SLA.Status.ACTIVE
    )


def act(kind: str, arg: int, leads: dict, roles) -> None:
    """One service call; one the funnel refuses at this point changes nothing and is skipped."""
    by = roles.admin
    lead = leads.get(arg)
    if kind != "create" and lead is None:
        return
    try:
        if kind == "create":
            if lead is None:
                leads[arg] = services.lead_create(
                    data={"email": f"p{arg}@example.com", "pain_identified": arg % 2 == 0, "team_formed": arg % 3 == 0},
                    team=roles.marketing,
                    by=by,
                )
        elif kind == "mql":
            services.lead_transition(lead=lead, to=Stage.MQL, by=by)
        elif kind == "handoff":
            services.lead_handoff(lead=lead, team=roles.sales, by=by)
        elif kind == "accept":
            services.lead_accept(lead=lead, by=by)
        elif kind == "reject":
            services.lead_reject(lead=lead, by=by, reason="Not now")
        elif kind == "activity":
            services.activity_log(lead=lead, kind="call", by=roles.sales_member)
        elif kind == "opportunity":
            services.lead_transition(lead=lead, to=Stage.OPPORTUNITY, by=by)
        elif kind == "client":
            services.lead_transition(lead=lead, to=Stage.CLIENT, by=by, deal_value=1000)
        elif kind == "lost":
            services.lead_transition(lead=lead, to=Stage.LOST, by=by, reason="Gone")
    except (ValidationError, PermissionDenied, services.LeadConflict):
        pass
    if lead is not None:
        lead.refresh_from_db()


def months(now: dt.datetime, sla: SLA) -> list:
    current = sla.current_month(now)
    return [current, current.shift(-1)]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(ACTIONS, min_size=1, max_size=25))
def test_the_cached_status_equals_a_full_recomputation(roles, sla, django_capture_on_commit_callbacks, steps):
    cache.clear()
    leads: dict = {}
    try:
        with transaction.atomic(), time_machine.travel(START, tick=False) as clock:
            for kind, arg in steps:
                now = dt.datetime.now(dt.UTC)
                for month in months(now, sla):
                    live.status(sla, month, now)  # what a page read before the step (now cached)
                if kind == "wait":
                    clock.shift(dt.timedelta(minutes=arg))
                else:
                    with django_capture_on_commit_callbacks(execute=True):
                        act(kind, arg, leads, roles)
                    clock.shift(dt.timedelta(minutes=1))  # the step is now in the past: it counts
                now = dt.datetime.now(dt.UTC)
                for month in months(now, sla):
                    try:
                        expected = compliance.compute(sla, month, now)
                    except compliance.NotInForce:
                        continue
                    assert live.status(sla, month, now) == expected, (kind, arg, month)
            raise Rollback
    except Rollback:
        pass


def test_a_second_read_is_served_without_a_query(roles, sla, django_assert_num_queries):
    cache.clear()
    with time_machine.travel(START, tick=False) as clock:
        lead = services.lead_create(data={"email": "c@example.com"}, team=roles.marketing, by=roles.admin)
        services.lead_transition(lead=lead, to=Stage.MQL, by=roles.admin)
        services.lead_handoff(lead=lead, team=roles.sales, by=roles.admin)
        clock.shift(dt.timedelta(minutes=1))
        now = dt.datetime.now(dt.UTC)
        first = live.status(sla, sla.current_month(now), now)
        with django_assert_num_queries(0):
            again = live.status(sla, sla.current_month(now), now)
        assert again == first == compliance.compute(sla, sla.current_month(now), now)
        assert first["funnel"]["handoffs"]["handed_off"] == 1
        # A write, even one not yet committed, is seen at once.
        services.lead_accept(lead=lead, by=roles.admin, occurred_at=now - dt.timedelta(seconds=30))
        assert live.status(sla, sla.current_month(now), now)["funnel"]["handoffs"]["accepted"] == 1


def test_a_deadline_passing_without_any_write_changes_the_answer(roles, sla):
    cache.clear()
    with time_machine.travel(START, tick=False) as clock:  # Monday 09:30 in Paris
        lead = services.lead_create(data={"email": "d@example.com"}, team=roles.marketing, by=roles.admin)
        services.lead_transition(lead=lead, to=Stage.MQL, by=roles.admin)
        services.lead_handoff(lead=lead, team=roles.sales, by=roles.admin)  # decision due at 13:30
        clock.shift(dt.timedelta(hours=3, minutes=30))  # 13:00: not due yet
        now = dt.datetime.now(dt.UTC)
        before = live.status(sla, sla.current_month(now), now)
        assert before["funnel"]["handoffs"]["due"] == 0
        clock.shift(dt.timedelta(minutes=45))  # 13:45: the decision is overdue, nothing was written
        now = dt.datetime.now(dt.UTC)
        after = live.status(sla, sla.current_month(now), now)
        assert after == compliance.compute(sla, sla.current_month(now), now)
        assert after["funnel"]["handoffs"]["due"] == 1 and after["funnel"]["overdue_followups_open"] == 1
