"""The CSV import runs on a real Celery worker and is done once even if delivered twice."""

from __future__ import annotations

import time

from leads.api.views import queue_import
from leads.models import Lead
from leads.tasks import lead_import
from smarketing.models import Job


def test_import_runs_on_a_real_worker(roles, celery_worker):
    text = "email;first_name\nw1@example.com;Wanda\nw2@example.com;Will\n"
    job = queue_import(text=text, mapping=None, team=roles.marketing, by=roles.mkt_member)  # autocommit: queued now
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.is_finished:
            break
        time.sleep(0.2)
    assert job.status == Job.Status.SUCCEEDED, (job.message, celery_worker.log())
    assert job.result["imported"] == 2 and job.percent == 100
    assert Lead.objects.filter(email__in=["w1@example.com", "w2@example.com"]).count() == 2


def test_a_redelivered_import_does_nothing_twice(roles, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        job = queue_import(text="email\nr@example.com\n", mapping=None, team=roles.marketing, by=roles.mkt_member)
    lead_import(job.pk)
    lead_import(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED and Lead.objects.count() == 1
