"""The Celery application (cookiecutter-django's recipe) and the one periodic schedule.

Every periodic entry lives in ``beat_schedule`` below with its cron expression explained.
Tasks that must run at a wall-clock time in an SLA's own time zone run often and decide
themselves what is due (see ``reporting.tasks``), so the schedule itself stays in UTC.
"""

from __future__ import annotations

import os

from celery import Celery, bootsteps
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smarketing.settings")

app = Celery("smarketing")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    # Every minute: the worker's liveness is visible on /healthz even when idle.
    "worker-heartbeat": {
        "task": "smarketing.tasks.heartbeat",
        "schedule": crontab(minute="*"),
    },
    # Daily at 00:05 UTC: SLAs whose end date has passed become expired (the day after it).
    "slas-expire-due": {
        "task": "slas.tasks.expire_due_slas",
        "schedule": crontab(minute="5", hour="0"),
    },
    # Every hour at :05: each SLA's previous-month report is due from the 1st, 06:00 in the SLA's own
    # time zone; the task decides which (SLA, month) pairs are due and not sent yet (sent once per row).
    "monthly-reports-due": {
        "task": "reporting.tasks.dispatch_monthly_reports",
        "schedule": crontab(minute="5"),
    },
    # Every 5 minutes: alert the owners of follow-ups that became overdue since the last scan, and
    # escalate to managers those still open after the SLA's escalation delay.
    "overdue-followups-scan": {
        "task": "reporting.tasks.scan_overdue_followups",
        "schedule": crontab(minute="*/5"),
    },
    # Every hour at :20: commitments of the current month that turned at risk alert their side's
    # managers (once per SLA, commitment and month) and fire the sla.at_risk webhook.
    "at-risk-scan": {
        "task": "reporting.tasks.scan_at_risk_commitments",
        "schedule": crontab(minute="20"),
    },
    # Every hour on the hour: digests go out from 08:00 in each recipient's time zone, once a day.
    "daily-digests": {
        "task": "reporting.tasks.dispatch_digests",
        "schedule": crontab(minute="0"),
    },
    # Every minute: re-enqueue notifications whose task was lost or whose retry time has come.
    "notifications-relay": {
        "task": "reporting.tasks.relay_notifications",
        "schedule": crontab(minute="*"),
    },
    # Every minute: jobs (imports) whose message was lost or whose worker died are taken back.
    "jobs-relay": {
        "task": "smarketing.tasks.relay_jobs",
        "schedule": crontab(minute="*"),
    },
    # Every minute: re-queue webhook deliveries that are due but whose task vanished
    # (worker killed, broker restarted); the claim in the task makes duplicates harmless.
    "webhook-relay": {
        "task": "smarketing.webhook_tasks.relay_webhooks",
        "schedule": crontab(minute="*"),
    },
}


class HeartbeatStep(bootsteps.StartStopStep):
    """Writes a heartbeat row for this worker every few seconds while it runs.

    /healthz reads the newest row: a live worker is one that wrote recently. Works with any
    broker, including the file-system transport that has no remote-control channel.
    """

    requires = {"celery.worker.components:Timer"}

    def __init__(self, worker, **kwargs):
        super().__init__(worker, **kwargs)
        self.tref = None

    def start(self, worker):
        from django.conf import settings

        self.beat(worker)
        self.tref = worker.timer.call_repeatedly(settings.WORKER_HEARTBEAT_SECONDS, self.beat, (worker,), priority=10)

    def stop(self, worker):
        if self.tref is not None:
            self.tref.cancel()

    def beat(self, worker):
        from django.db import close_old_connections

        from smarketing.models import WorkerHeartbeat

        close_old_connections()
        try:
            WorkerHeartbeat.record(worker.hostname)
        except Exception:
            import logging

            logging.getLogger(__name__).exception("could not record worker heartbeat")


app.steps["worker"].add(HeartbeatStep)
