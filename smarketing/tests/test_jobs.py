"""Jobs always end: a lost message is published again, a dead worker's job is taken back, an
attempt that lost its job cannot change it, and a job that keeps killing workers ends failed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from leads.api.views import queue_import
from leads.models import Lead
from leads.tasks import _run_import, lead_import
from smarketing.jobs import job_claim, job_finish, relay_jobs
from smarketing.models import Job

pytestmark = pytest.mark.django_db

CSV = "email;first_name\nj1@example.com;Jo\nj2@example.com;Jay\n"


def _queued_but_lost(roles, django_capture_on_commit_callbacks) -> Job:
    """A queued import whose task never reached a worker (the broker was away at commit)."""
    with django_capture_on_commit_callbacks(execute=False):
        return queue_import(text=CSV, mapping=None, team=roles.marketing, by=roles.mkt_member)


def test_the_relay_publishes_a_queued_job_whose_message_was_lost(roles, django_capture_on_commit_callbacks):
    job = _queued_but_lost(roles, django_capture_on_commit_callbacks)
    assert relay_jobs() == {"failed": 0, "requeued": 0, "published": 0}, "not before its lease has passed"
    Job.objects.filter(pk=job.pk).update(lease_until=timezone.now() - dt.timedelta(seconds=1))
    assert relay_jobs()["published"] == 1  # eager in tests: the import runs here
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED and job.attempts == 1 and job.lease_until is None
    assert Lead.objects.count() == 2


def test_a_job_whose_worker_died_is_taken_back_and_done_once(roles, django_capture_on_commit_callbacks):
    job = _queued_but_lost(roles, django_capture_on_commit_callbacks)
    assert job_claim(job.pk) == 1  # a worker claimed it, then died: its lease is no longer renewed
    lead_import(job.pk)
    assert Job.objects.get(pk=job.pk).status == Job.Status.RUNNING, "a live lease belongs to the other worker"
    Job.objects.filter(pk=job.pk).update(lease_until=timezone.now() - dt.timedelta(seconds=1))
    assert relay_jobs() == {"failed": 0, "requeued": 1, "published": 1}
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED and job.attempts == 2
    assert Lead.objects.count() == 2


def test_an_attempt_that_lost_its_job_rolls_back_its_rows(roles, django_capture_on_commit_callbacks):
    job = _queued_but_lost(roles, django_capture_on_commit_callbacks)
    assert job_claim(job.pk) == 1
    Job.objects.filter(pk=job.pk).update(lease_until=timezone.now() - dt.timedelta(seconds=1))
    assert job_claim(job.pk) == 2  # the relay's new attempt took over
    assert _run_import(job, 1) is False
    assert Lead.objects.count() == 0
    assert job_finish(job.pk, 1, Job.Status.FAILED, message="late") is False
    assert Job.objects.get(pk=job.pk).status == Job.Status.RUNNING


def test_a_job_that_keeps_losing_its_worker_ends_failed_with_its_error(
    roles, settings, django_capture_on_commit_callbacks
):
    job = _queued_but_lost(roles, django_capture_on_commit_callbacks)
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.RUNNING, attempts=settings.JOB_MAX_ATTEMPTS, lease_until=timezone.now() - dt.timedelta(1)
    )
    assert relay_jobs()["failed"] == 1
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and job.is_finished
    assert job.result["errors"][0]["message"] == "the worker running this job stopped"
    assert job_claim(job.pk) is None
    assert Lead.objects.count() == 0
