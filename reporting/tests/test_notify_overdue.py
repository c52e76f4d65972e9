from __future__ import annotations

import datetime as dt
import threading

import pytest
import time_machine
from django.core import mail
from django.db import connection

from leads.models import FollowUp
from reporting.models import Notification, OverdueAlert
from reporting.notifications.at_risk import notify_at_risk
from reporting.notifications.digests import digest_date_due, digest_dispatch
from reporting.notifications.overdue import followups_alert_overdue, followups_escalate_overdue
from slas.models import Profile
from smarketing.keyset import extra_branch_queries

from .notify_helpers import active_sla, followup, set_profile

UTC = dt.UTC
# Friday 20 November 2026, 16:05 in Paris: the follow-up fell due at 16:00 Paris (15:00 UTC).
NOW = dt.datetime(2026, 11, 20, 15, 5, tzinfo=UTC)
DUE = dt.datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


@pytest.fixture
def sla(roles):
    return active_sla(roles)


def test_it_alerts_the_owner_once_when_a_followup_becomes_overdue(roles, sla, django_capture_on_commit_callbacks):
    overdue = followup(sla, due_at=DUE, owner_user=roles.sales_member)
    followup(sla, due_at=NOW + dt.timedelta(minutes=5), owner_user=roles.sales_member)
    done = followup(sla, due_at=DUE, owner_user=roles.sales_member)
    FollowUp.objects.filter(pk=done.pk).update(status=FollowUp.Status.DONE)
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        assert followups_alert_overdue() == 1
        assert followups_alert_overdue() == 0
    notification = Notification.objects.get()
    assert (notification.recipient, notification.kind, notification.status) == (
        roles.sales_member,
        Notification.Kind.OVERDUE,
        Notification.Status.SENT,
    )
    assert notification.dedupe_key == f"followup:{overdue.pk}:owner"
    assert len(mail.outbox) == 1
    assert "Overdue" in mail.outbox[0].subject
    body = mail.outbox[0].body
    assert "2026-11-20 16:00" in body  # the recipient's (Paris) time
    assert "2026-11-20 16:00" in mail.outbox[0].alternatives[0].content
    # Enough to act without opening anything: lead, stage, owner, lateness, the SLA rule, links to act.
    assert "Lead: Ada Lovelace" in body and "Stage: Prospect" in body
    assert f"Owner: {roles.sales_member.get_full_name() or roles.sales_member.username}" in body
    assert "Due: 2026-11-20 16:00 CET · 0.1 business hours late" in body  # 5 minutes
    assert "SLA rule: First contact due within 4 business hours of" in body and sla.title in body
    assert f"Log a call: http://127.0.0.1:8000/leads/{overdue.lead_id}/" in body
    assert f"Reassign: http://127.0.0.1:8000/leads/{overdue.lead_id}/edit/" in body


def test_it_alerts_the_team_members_when_the_followup_has_no_owner(roles, sla, django_capture_on_commit_callbacks):
    followup(sla, due_at=DUE)
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        followups_alert_overdue()
    recipients = set(Notification.objects.values_list("recipient__username", flat=True))
    assert recipients == {"sales_manager", "sales_member"}


def test_a_followup_recorded_long_after_it_fell_due_is_alerted_once(roles, sla):
    with time_machine.travel(NOW, tick=False):
        followups_alert_overdue()
    old = followup(sla, due_at=DUE - dt.timedelta(days=10), owner_user=roles.sales_member)
    with time_machine.travel(NOW + dt.timedelta(minutes=5), tick=False):
        assert followups_alert_overdue() == 1
        assert followups_alert_overdue() == 0
    assert OverdueAlert.objects.filter(followup=old).exists()
    assert Notification.objects.filter(dedupe_key=f"followup:{old.pk}:owner").count() == 1


def test_a_scan_with_nothing_new_costs_the_same_few_queries_however_many_were_alerted(
    roles, sla, django_assert_max_num_queries
):
    for hours in range(1, 21):
        followup(sla, due_at=DUE - dt.timedelta(hours=hours), owner_user=roles.sales_member)
    with time_machine.travel(NOW, tick=False):
        assert followups_alert_overdue() == 20
    with (
        time_machine.travel(NOW + dt.timedelta(minutes=5), tick=False),
        django_assert_max_num_queries(
            5 + extra_branch_queries(2)  # late arrivals and the walk: a query each on SQLite
        ),
    ):
        assert followups_alert_overdue() == 0


def test_it_escalates_to_the_manager_after_the_delay_in_business_hours(roles, sla, django_capture_on_commit_callbacks):
    # Due Friday 16:00 Paris; 4 business hours = 2 h on Friday + 2 h on Monday → Monday 11:00 Paris (10:00 UTC).
    item = followup(sla, due_at=DUE, owner_user=roles.sales_member)
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        followups_alert_overdue()
    assert OverdueAlert.objects.get(followup=item).escalate_at == dt.datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    with time_machine.travel(dt.datetime(2026, 11, 23, 9, 59, tzinfo=UTC), tick=False):
        assert followups_escalate_overdue() == 0
    with (
        time_machine.travel(dt.datetime(2026, 11, 23, 10, 1, tzinfo=UTC), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert followups_escalate_overdue() == 1
        assert followups_escalate_overdue() == 0
    escalation = Notification.objects.get(kind=Notification.Kind.ESCALATION)
    assert escalation.recipient == roles.sales_manager
    assert escalation.dedupe_key == f"followup:{item.pk}:manager"
    assert mail.outbox[-1].to == [roles.sales_manager.email]
    assert "Escalation" in mail.outbox[-1].subject


def test_it_does_not_escalate_a_followup_done_in_the_meantime(roles, sla):
    item = followup(sla, due_at=DUE, owner_user=roles.sales_member)
    with time_machine.travel(NOW, tick=False):
        followups_alert_overdue()
    FollowUp.objects.filter(pk=item.pk).update(status=FollowUp.Status.DONE)
    with time_machine.travel(dt.datetime(2026, 11, 24, tzinfo=UTC), tick=False):
        followups_escalate_overdue()
    assert not Notification.objects.filter(kind=Notification.Kind.ESCALATION).exists()


def test_the_digest_is_due_from_eight_in_the_recipients_time_zone():
    assert digest_date_due(dt.datetime(2026, 11, 23, 6, 59, tzinfo=UTC), "Europe/Paris") is None
    assert digest_date_due(dt.datetime(2026, 11, 23, 7, 0, tzinfo=UTC), "Europe/Paris") == dt.date(2026, 11, 23)
    assert digest_date_due(dt.datetime(2026, 11, 23, 12, 0, tzinfo=UTC), "America/New_York") is None
    assert digest_date_due(dt.datetime(2026, 11, 23, 13, 0, tzinfo=UTC), "America/New_York") == dt.date(2026, 11, 23)


def test_digest_users_get_one_grouped_daily_digest(roles, sla, django_capture_on_commit_callbacks):
    set_profile(roles.sales_manager, alert_mode=Profile.AlertMode.DIGEST, time_zone="Europe/Paris")
    followup(sla, due_at=DUE, owner_user=roles.sales_manager)
    followup(sla, due_at=DUE, owner_user=roles.sales_member)
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        followups_alert_overdue()
    with (
        time_machine.travel(dt.datetime(2026, 11, 23, 10, 1, tzinfo=UTC), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        followups_escalate_overdue()
    waiting = Notification.objects.filter(recipient=roles.sales_manager, status=Notification.Status.DIGESTED)
    assert sorted(waiting.values_list("kind", flat=True)) == ["escalation", "escalation", "overdue"]
    mail.outbox.clear()
    with time_machine.travel(dt.datetime(2026, 11, 24, 6, 59, tzinfo=UTC), tick=False):
        assert digest_dispatch() == 0
    with (
        time_machine.travel(dt.datetime(2026, 11, 24, 7, 0, tzinfo=UTC), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert digest_dispatch() == 1
        assert digest_dispatch() == 0
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [roles.sales_manager.email]
    # Grouped by SLA, each item with its kind, lead, link and due time.
    assert f"{sla.title} (3)" in message.body
    assert message.body.count("- Escalation to manager: Ada Lovelace") == 2
    assert message.body.count("- Overdue follow-up: Ada Lovelace") == 1
    assert "/leads/" in message.body and "due 11/20/2026 4 p.m." in message.body
    assert f"{sla.title} (3)" in message.alternatives[0].content
    assert not Notification.objects.filter(status=Notification.Status.DIGESTED).exists()


def test_at_risk_alerts_once_per_sla_commitment_and_month(roles, sla, django_capture_on_commit_callbacks):
    rows = [
        {"key": "first_contact", "side": "sales", "target": 90, "actual": 50, "projected": 60, "status": "at_risk"},
        {"key": "mql_volume", "side": "marketing", "target": 10, "actual": 9, "projected": 12, "status": "on_track"},
    ]
    with django_capture_on_commit_callbacks(execute=True):
        assert notify_at_risk(sla, "2026-11", rows) == 1
        assert notify_at_risk(sla, "2026-11", rows) == 0
    with django_capture_on_commit_callbacks(execute=True):  # a later scan, a later e-mail
        assert notify_at_risk(sla, dt.date(2026, 12, 1), rows) == 1
    assert set(Notification.objects.values_list("recipient__username", flat=True)) == {"sales_manager"}
    assert len(mail.outbox) == 2
    assert "First contact in time" in mail.outbox[0].subject


@pytest.mark.django_db(transaction=True)
def test_concurrent_scans_alert_once(roles):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent row locks need PostgreSQL (SQLite serialises whole-database writes)")
    sla = active_sla(roles)
    followup(sla, due_at=DUE, owner_user=roles.sales_member)
    barrier = threading.Barrier(2)
    errors = []

    def scan():
        try:
            barrier.wait()
            followups_alert_overdue(now=NOW)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=scan) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Notification.objects.filter(kind=Notification.Kind.OVERDUE).count() == 1


@pytest.mark.parametrize(
    ("due_at", "escalate_at"),
    [
        # Across the end of summer time: Friday 16:00 CEST + 4 h → Monday 11:00 CET (10:00 UTC).
        (dt.datetime(2026, 10, 23, 14, 0, tzinfo=UTC), dt.datetime(2026, 10, 26, 10, 0, tzinfo=UTC)),
        # Over Armistice Day (Wednesday 11 November, a French holiday): Tuesday 16:00 → Thursday 11:00 Paris.
        (dt.datetime(2026, 11, 10, 15, 0, tzinfo=UTC), dt.datetime(2026, 11, 12, 10, 0, tzinfo=UTC)),
    ],
)
def test_the_escalation_delay_counts_business_hours_across_dst_and_holidays(roles, sla, due_at, escalate_at):
    from reporting.notifications.overdue import escalation_time

    assert escalation_time(followup(sla, due_at=due_at, owner_user=roles.sales_member)) == escalate_at


def test_the_overdue_alert_is_in_the_recipients_language(roles, sla, django_capture_on_commit_callbacks):
    set_profile(roles.sales_member, language="fr", time_zone="America/New_York")
    followup(sla, due_at=DUE, owner_user=roles.sales_member)
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        followups_alert_overdue()
    message = mail.outbox[0]
    assert "Premier contact attendu" in message.subject
    assert "2026-11-20 10:00" in message.body  # New York time
    assert "Premier contact attendu" in message.alternatives[0].content
    assert '<html lang="fr">' in message.alternatives[0].content


def test_alerts_of_a_digest_that_failed_for_good_go_into_the_next_digest(roles, sla):
    set_profile(roles.sales_member, alert_mode=Profile.AlertMode.DIGEST)
    followup(sla, due_at=DUE, owner_user=roles.sales_member)
    with time_machine.travel(NOW, tick=False):
        followups_alert_overdue()
    with time_machine.travel(dt.datetime(2026, 11, 21, 8, 0, tzinfo=UTC), tick=False):
        assert digest_dispatch() == 1  # queued, not delivered yet (on-commit not run)
    with time_machine.travel(dt.datetime(2026, 11, 21, 9, 0, tzinfo=UTC), tick=False):
        assert digest_dispatch() == 0  # once a day, and its alerts are on their way
    Notification.objects.filter(kind=Notification.Kind.DIGEST).update(status=Notification.Status.FAILED)
    with time_machine.travel(dt.datetime(2026, 11, 22, 8, 0, tzinfo=UTC), tick=False):
        assert digest_dispatch() == 1
    latest = Notification.objects.get(dedupe_key="digest:2026-11-22")
    assert len(latest.payload["items"]) == 1


def test_one_scans_alerts_to_one_person_arrive_as_one_email(roles, sla, django_capture_on_commit_callbacks):
    """Three follow-ups overdue in one scan: their owner gets one e-mail listing the three, each with its
    facts and links to act, and every row is sent; the managers' escalations are grouped the same way."""
    late = [followup(sla, due_at=DUE - dt.timedelta(minutes=m), owner_user=roles.sales_member) for m in (0, 30, 60)]
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        assert followups_alert_overdue() == 3
    assert len(mail.outbox) == 1, [m.subject for m in mail.outbox]
    message = mail.outbox[0]
    assert message.to == [roles.sales_member.email]
    assert message.subject.startswith("3 alerts need you") and "Overdue follow-up: 3" in message.subject
    for item in late:
        assert f"Log a call: http://127.0.0.1:8000/leads/{item.lead_id}/" in message.body
        assert f"/leads/{item.lead_id}/edit/" in message.alternatives[0].content
    assert "business hours late" in message.body and "Rule: First contact due within 4 business hours" in message.body
    rows = Notification.objects.filter(kind=Notification.Kind.OVERDUE)
    assert rows.count() == 3 and set(rows.values_list("status", flat=True)) == {Notification.Status.SENT}
    first = rows.order_by("pk").first()
    assert message.extra_headers["Message-ID"].startswith(f"<notification-{first.pk}.")

    mail.outbox.clear()
    monday = dt.datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # past the 4 business hours of each
    with time_machine.travel(monday, tick=False), django_capture_on_commit_callbacks(execute=True):
        assert followups_escalate_overdue() == 3
    to_manager = [m for m in mail.outbox if m.to == [roles.sales_manager.email]]
    assert len(to_manager) == 1 and "Escalation to manager: 3" in to_manager[0].subject


def test_a_grouped_alert_is_claimed_whole_and_released_whole(roles, sla, settings):
    """Each row of a group is claimed by one delivery only; SMTP away releases them all for a retry."""
    from reporting.notifications.outbox import notification_deliver

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 8499, 2  # nothing listens
    with time_machine.travel(NOW, tick=False):
        for minutes in (0, 30):
            followup(sla, due_at=DUE - dt.timedelta(minutes=minutes), owner_user=roles.sales_member)
        followups_alert_overdue()
        first, second = Notification.objects.order_by("pk")
        assert notification_deliver(notification_id=first.pk) is False  # refused: both released
        for row in Notification.objects.all():
            assert (row.status, row.claimed_at, row.attempts) == (Notification.Status.QUEUED, None, 1)
            assert row.next_attempt_at > NOW and "Error" in row.last_error
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with time_machine.travel(NOW + dt.timedelta(hours=2), tick=False):
        assert notification_deliver(notification_id=second.pk) is True  # the second row takes the first along
        assert notification_deliver(notification_id=first.pk) is False
    assert len(mail.outbox) == 1 and "2 alerts need you" in mail.outbox[0].subject
    assert set(Notification.objects.values_list("status", flat=True)) == {Notification.Status.SENT}
