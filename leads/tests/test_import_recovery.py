"""A worker SIGKILLed in the middle of an import: nothing half-imported, the relay takes the job
back, the next worker imports every row once and the job ends "succeeded" (real workers, Redis)."""

from __future__ import annotations

import time

from django.utils import timezone

from leads.api.views import queue_import
from leads.models import Lead
from smarketing.jobs import relay_jobs
from smarketing.models import Job

ROWS = 20_000  # the set-based import writes 1,000 rows in well under a second: enough to kill it mid-way
LEASE = {"JOB_LEASE_SECONDS": "2", "JOB_HEARTBEAT_SECONDS": "1"}


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.05)
    raise AssertionError(f"{what} not reached in {timeout} s")


def test_an_import_whose_worker_is_killed_is_taken_back_and_done_once(roles, celery_worker_factory, settings):
    settings.JOB_LEASE_SECONDS = 2
    text = "email;first_name\n" + "".join(f"kill{n}@example.com;K{n}\n" for n in range(ROWS))
    first = celery_worker_factory(LEASE)
    job = queue_import(text=text, mapping=None, team=roles.marketing, by=roles.mkt_member)
    _wait(lambda: Job.objects.filter(pk=job.pk, status=Job.Status.RUNNING).exists(), 60, "the import running")
    first.kill()
    job.refresh_from_db()
    assert job.status == Job.Status.RUNNING and job.attempts == 1, "killed while it ran"
    assert Lead.objects.filter(email__startswith="kill").count() == 0, "all or nothing"

    _wait(lambda: Job.objects.get(pk=job.pk).lease_until < timezone.now(), 30, "the dead worker's lease expired")
    assert relay_jobs() == {"failed": 0, "requeued": 1, "published": 1}
    second = celery_worker_factory(LEASE)
    _wait(lambda: Job.objects.get(pk=job.pk).is_finished, 120, "the import finished")
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, (job.message, second.log())
    assert job.attempts == 2 and job.result["imported"] == ROWS
    assert Lead.objects.filter(email__startswith="kill").count() == ROWS
