from __future__ import annotations

import datetime as dt
import threading

import pytest
import time_machine
from django.core import mail
from django.db import connection

from reporting import tasks
from reporting.models import Notification
from reporting.notifications.monthly import monthly_reports_due, report_month_due
from reporting.notifications.outbox import (
    RETRY_WINDOW,
    notification_deliver,
    notification_queue,
    notifications_relay,
    retry_delay,
)
from slas.models import SLA

from .notify_helpers import active_sla, free_port, make_report, start_sink

UTC = dt.UTC
NOW = dt.datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def test_the_report_month_turns_at_six_on_the_first_in_the_sla_time_zone():
    # 1 December 06:00 in Paris is 05:00 UTC; in New York it is 11:00 UTC.
    assert report_month_due(dt.datetime(2026, 12, 1, 4, 59, tzinfo=UTC), "Europe/Paris") == dt.date(2026, 10, 1)
    assert report_month_due(dt.datetime(2026, 12, 1, 5, 0, tzinfo=UTC), "Europe/Paris") == dt.date(2026, 11, 1)
    assert report_month_due(dt.datetime(2026, 12, 1, 10, 59, tzinfo=UTC), "America/New_York") == dt.date(2026, 10, 1)
    assert report_month_due(dt.datetime(2026, 12, 1, 11, 0, tzinfo=UTC), "America/New_York") == dt.date(2026, 11, 1)


def test_monthly_reports_are_due_for_slas_in_force_last_month_until_sent(roles):
    paris = active_sla(roles)
    later = make_sla_in(roles, start=dt.date(2026, 12, 1))
    draft = make_sla_in(roles, status=SLA.Status.DRAFT)
    due_at = dt.datetime(2026, 12, 1, 5, 0, tzinfo=UTC)
    before = [(s.pk, m) for s, m in monthly_reports_due(due_at - dt.timedelta(minutes=1))]
    assert before == [(paris.pk, dt.date(2026, 10, 1))]  # October's run, if it never happened
    assert [(s.pk, m) for s, m in monthly_reports_due(due_at)] == [(paris.pk, dt.date(2026, 11, 1))]
    assert later.pk not in {s.pk for s, _ in monthly_reports_due(due_at)}
    assert draft.pk not in {s.pk for s, _ in monthly_reports_due(due_at)}
    report = make_report(paris, dt.date(2026, 11, 1))
    report.sent_at = due_at
    report.save()
    assert monthly_reports_due(due_at + dt.timedelta(hours=1)) == []


def make_sla_in(roles, **kwargs):
    from slas.tests.factories import make_sla

    kwargs.setdefault("status", SLA.Status.ACTIVE)
    return make_sla(roles.other_marketing, roles.other_sales, **kwargs)


def test_the_hourly_task_sends_the_due_report_once_even_when_fired_twice(roles, django_capture_on_commit_callbacks):
    sla = active_sla(roles)
    make_report(sla, dt.date(2026, 11, 1))
    with time_machine.travel(dt.datetime(2026, 12, 1, 5, 30, tzinfo=UTC), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert tasks.dispatch_monthly_reports.delay().get() == 1
        with django_capture_on_commit_callbacks(execute=True):
            assert tasks.dispatch_monthly_reports.delay().get() == 0
            assert tasks.send_monthly_reports_for.delay(sla.pk, "2026-11-01").get() == 0
    assert sorted(m.to[0] for m in mail.outbox) == sorted([roles.mkt_manager.email, roles.sales_manager.email])


def test_the_delivery_task_sends_a_row_once_when_run_twice(roles, django_capture_on_commit_callbacks):
    notification = _queued(roles)
    assert tasks.deliver_notification.delay(notification.pk).get() is True
    assert tasks.deliver_notification.delay(notification.pk).get() is False
    assert len(mail.outbox) == 1


def _queued(roles) -> Notification:
    sla = active_sla(roles)
    report = make_report(sla, dt.date(2026, 10, 1))
    return notification_queue(
        kind=Notification.Kind.MONTHLY_REPORT,
        recipient=roles.sales_manager,
        dedupe_key=f"report:{report.pk}",
        payload={"report": report.pk},
    )


@pytest.mark.django_db(transaction=True)
def test_concurrent_deliveries_send_once(roles):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent conditional updates need PostgreSQL")
    sla = active_sla(roles)
    report = make_report(sla, dt.date(2026, 10, 1))
    # Written directly: in a transactional test the on-commit delivery would run at once.
    notification = Notification.objects.create(
        kind=Notification.Kind.MONTHLY_REPORT,
        recipient=roles.sales_manager,
        dedupe_key=f"report:{report.pk}",
        payload={"report": report.pk},
    )
    barrier = threading.Barrier(4)
    results = []

    def deliver():
        barrier.wait()
        results.append(notification_deliver(notification_id=notification.pk))
        connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, False, False, True]
    assert len(mail.outbox) == 1


def test_backoff_grows_exponentially_with_jitter():
    delays = [retry_delay(n) for n in range(1, 6)]
    for attempt, delay in enumerate(delays, start=1):
        base = dt.timedelta(minutes=2 ** (attempt - 1))
        assert base * 0.5 <= delay <= base * 1.5
    assert retry_delay(30) <= dt.timedelta(minutes=30)


def test_smtp_down_then_back_delivers_once(roles, settings, django_capture_on_commit_callbacks):
    port = free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5
    start = dt.datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False), django_capture_on_commit_callbacks(execute=True):
        notification = _queued(roles)
    notification.refresh_from_db()
    assert notification.status == Notification.Status.QUEUED
    assert notification.attempts == 1
    assert "ConnectionRefusedError" in notification.last_error
    assert notification.next_attempt_at > start
    with time_machine.travel(start + dt.timedelta(seconds=10), tick=False):
        assert notifications_relay() == []  # not due yet: backing off
    controller, sink = start_sink(port)
    try:
        with time_machine.travel(start + dt.timedelta(minutes=5), tick=False):
            assert notifications_relay() == [notification.pk]
            assert notifications_relay() == []
    finally:
        controller.stop()
    notification.refresh_from_db()
    assert (notification.status, notification.attempts, notification.last_error) == ("sent", 2, "")
    assert len(sink.messages) == 1
    assert sink.messages[0].rcpt_tos == [roles.sales_manager.email]


def test_smtp_down_for_over_an_hour_marks_the_row_failed(roles, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 5
    start = dt.datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False), django_capture_on_commit_callbacks(execute=True):
        notification = _queued(roles)
    moment = start
    while moment < start + RETRY_WINDOW + dt.timedelta(minutes=30):
        moment += dt.timedelta(minutes=1)
        with time_machine.travel(moment, tick=False):
            notifications_relay()
        notification.refresh_from_db()
        if notification.status == Notification.Status.FAILED:
            break
    assert notification.status == Notification.Status.FAILED
    assert moment - start >= RETRY_WINDOW
    assert notification.attempts >= 5
    assert "ConnectionRefusedError" in notification.last_error
    with time_machine.travel(moment + dt.timedelta(hours=5), tick=False):
        assert notifications_relay() == []


def test_the_relay_releases_the_claim_of_a_dead_worker(roles):
    with time_machine.travel(dt.datetime(2026, 11, 2, 8, 59, tzinfo=UTC), tick=False):
        notification = _queued(roles)
    Notification.objects.filter(pk=notification.pk).update(claimed_at=dt.datetime(2026, 11, 2, 9, 0, tzinfo=UTC))
    with time_machine.travel(dt.datetime(2026, 11, 2, 9, 5, tzinfo=UTC), tick=False):
        assert notifications_relay() == []  # the claim may still be alive
    with time_machine.travel(dt.datetime(2026, 11, 2, 9, 11, tzinfo=UTC), tick=False):
        assert notifications_relay() == [notification.pk]
    notification.refresh_from_db()
    assert notification.status == Notification.Status.SENT
    assert len(mail.outbox) == 1


def test_every_periodic_entry_names_a_registered_task_with_late_acks_and_time_limits():
    from smarketing.celery import app

    app.loader.import_default_modules()
    for name, entry in app.conf.beat_schedule.items():
        assert entry["task"] in app.tasks, name
    for task_name in [t for t in app.tasks if t.startswith("reporting.tasks.")]:
        task = app.tasks[task_name]
        assert task.acks_late and task.reject_on_worker_lost, task_name
        assert 0 < task.soft_time_limit < task.time_limit, task_name


@pytest.mark.django_db(transaction=True)
def test_concurrent_monthly_runs_queue_each_recipient_once(roles):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent row locks need PostgreSQL")
    from reporting.notifications.monthly import monthly_report_send

    report = make_report(active_sla(roles), dt.date(2026, 10, 1))
    barrier = threading.Barrier(3)
    counts, errors = [], []

    def run():
        try:
            barrier.wait()
            counts.append(tasks.send_monthly_reports_for(report.sla_id, "2026-10-01"))
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(counts) == [0, 0, 2]
    assert monthly_report_send(report=report) == 0
    assert sorted(m.to[0] for m in mail.outbox) == sorted([roles.mkt_manager.email, roles.sales_manager.email])


def test_a_resend_after_a_death_before_the_commit_is_the_same_message(
    roles, settings, django_capture_on_commit_callbacks
):
    """Every attempt of one notification carries one Message-ID, so mail systems see a resend as one message."""
    from reporting.notifications.outbox import message_id

    port = free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5
    controller, sink = start_sink(port)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            notification = _queued(roles)
        # The server accepted it, then the worker died before its commit: the relay finds the row claimed, not sent.
        Notification.objects.filter(pk=notification.pk).update(status=Notification.Status.QUEUED, sent_at=None)
        assert notification_deliver(notification_id=notification.pk) is True
        other = notification_queue(
            kind=Notification.Kind.AT_RISK, recipient=roles.mkt_manager, dedupe_key="other", payload={}, subject="x"
        )
    finally:
        controller.stop()
    ids = [envelope.content.decode().split("Message-ID: ")[1].split()[0] for envelope in sink.messages]
    assert ids == [message_id(notification)] * 2
    assert ids[0].startswith(f"<notification-{notification.pk}.{roles.sales_manager.pk}@")
    assert message_id(other) != ids[0]
