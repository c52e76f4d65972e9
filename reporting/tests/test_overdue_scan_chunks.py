"""The overdue scan is set-based and chunked (issue 12): queries per chunk independent of its size,
resumption from the watermark after a stopped scan, no follow-up alerted twice, none missed."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reporting.models import Notification, OverdueAlert, ScanWatermark
from reporting.notifications.overdue import followups_alert_overdue, followups_escalate_overdue
from slas.models import Profile
from smarketing.keyset import extra_branch_queries
from smarketing.models import WebhookDelivery
from smarketing.webhooks import webhook_subscription_create

from .notify_helpers import active_sla, followup

UTC = dt.UTC
NOW = dt.datetime(2026, 11, 20, 15, 5, tzinfo=UTC)
DUE = dt.datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
LATER = dt.datetime(2026, 11, 24, 12, 0, tzinfo=UTC)  # past every escalation delay


# The chunk's two branches (late arrivals, the walk) are one UNION ALL on PostgreSQL; SQLite
# (make run) cannot LIMIT inside a UNION, so there they are two queries (smarketing.keyset).
SQLITE_BRANCH = extra_branch_queries(2)


@pytest.fixture
def sla(roles, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    webhook_subscription_create(url="http://127.0.0.1:9/hook", events=["followup.overdue"], by=roles.admin)
    return active_sla(roles)


def _make(sla, roles, count: int, *, start: int = 0) -> list:
    """``count`` follow-ups fallen due one minute apart: a third owned, the rest the team's."""
    items = []
    for n in range(start, start + count):
        owner = roles.sales_member if n % 3 == 0 else None
        items.append(followup(sla, due_at=DUE - dt.timedelta(minutes=n + 1), owner_user=owner))
    return items


def _scan_queries(func) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        result = func()
    return result, len(queries)


def test_the_alert_scan_costs_the_same_queries_for_3_or_30_newly_overdue(roles, sla):
    for user in get_user_model().objects.all():
        Profile.for_user(user)  # a user's first alert creates the profile, once
    with time_machine.travel(NOW - dt.timedelta(hours=2), tick=False):
        followups_alert_overdue()  # the first scan creates the watermark
    _make(sla, roles, 3)
    with time_machine.travel(NOW, tick=False):
        few, few_queries = _scan_queries(followups_alert_overdue)
    _make(sla, roles, 30, start=3)
    with time_machine.travel(NOW + dt.timedelta(minutes=1), tick=False):
        many, many_queries = _scan_queries(followups_alert_overdue)
    assert (few, many) == (3, 30)
    # The old scan ran ~5 queries per follow-up; the chunk's are fixed (recipients, calendars,
    # alerts, notifications and webhooks each read or written once).
    assert many_queries == few_queries
    assert many_queries <= 15 + SQLITE_BRANCH
    assert OverdueAlert.objects.count() == 33
    # Team-owned follow-ups reach each active team member, owned ones their owner: once each.
    keys = Counter(Notification.objects.values_list("dedupe_key", "recipient_id"))
    assert set(keys.values()) == {1}
    assert Notification.objects.count() == 11 + 22 * 2
    assert WebhookDelivery.objects.filter(event_type="followup.overdue").count() == 33


def test_a_stopped_scan_resumes_after_its_last_chunk_without_alerting_twice(roles, sla):
    items = _make(sla, roles, 7)
    with time_machine.travel(NOW, tick=False):
        # A budget already spent: exactly one chunk commits, as when a worker dies after it.
        assert followups_alert_overdue(chunk=3, budget_seconds=0) == 3
        watermark = ScanWatermark.objects.get(name="overdue")
        oldest_first = sorted(items, key=lambda f: (f.due_at, f.pk))
        assert (watermark.cursor_due_at, watermark.cursor_id) == (oldest_first[2].due_at, oldest_first[2].pk)
        assert watermark.pass_alerted == 3
        # The next run starts after the position: the remaining four, in two chunks.
        with CaptureQueriesContext(connection) as queries:
            assert followups_alert_overdue(chunk=3) == 4
        assert followups_alert_overdue(chunk=3) == 0
    assert "OFFSET" not in " ".join(q["sql"] for q in queries.captured_queries)
    watermark.refresh_from_db()
    assert (watermark.cursor_due_at, watermark.scanned_until, watermark.pass_alerted) == (NOW, NOW, 0)
    alerted = Counter(OverdueAlert.objects.values_list("followup_id", flat=True))
    assert sorted(alerted) == sorted(f.pk for f in items) and set(alerted.values()) == {1}
    assert set(Counter(Notification.objects.values_list("dedupe_key", "recipient_id")).values()) == {1}


def test_a_late_arrival_behind_the_position_is_found_in_a_later_pass(roles, sla):
    _make(sla, roles, 4)
    with time_machine.travel(NOW, tick=False):
        assert followups_alert_overdue(chunk=2) == 4
    # Recorded after that scan, already overdue (a back-dated handoff): behind the walk's position.
    with time_machine.travel(NOW + dt.timedelta(minutes=2), tick=False):
        late = followup(sla, due_at=DUE - dt.timedelta(days=3), owner_user=roles.sales_member)
    with time_machine.travel(NOW + dt.timedelta(minutes=5), tick=False):
        assert followups_alert_overdue(chunk=2) == 1
        assert followups_alert_overdue(chunk=2) == 0
    assert OverdueAlert.objects.filter(followup=late).count() == 1


def test_a_scan_with_nothing_new_reads_only_after_the_position(roles, sla):
    _make(sla, roles, 6)
    with time_machine.travel(NOW, tick=False):
        followups_alert_overdue()
    with time_machine.travel(NOW + dt.timedelta(minutes=5), tick=False):
        _result, queries = _scan_queries(followups_alert_overdue)
    assert queries <= 5 + SQLITE_BRANCH


def test_the_escalation_costs_the_same_queries_for_3_or_30(roles, sla):
    _make(sla, roles, 3)
    with time_machine.travel(NOW, tick=False):
        followups_alert_overdue()
    with time_machine.travel(LATER, tick=False):
        few, few_queries = _scan_queries(followups_escalate_overdue)
    _make(sla, roles, 30, start=3)
    with time_machine.travel(LATER, tick=False):
        followups_alert_overdue()
    with time_machine.travel(LATER + dt.timedelta(days=3), tick=False):
        many, many_queries = _scan_queries(lambda: followups_escalate_overdue(chunk=1000))
    assert (few, many) == (3, 30)
    assert many_queries == few_queries
    assert Notification.objects.filter(kind=Notification.Kind.ESCALATION).count() == 33  # one manager per team
