"""Background jobs that always end: claimed with a lease, renewed by a heartbeat, taken back by a relay.

A ``Job`` row is the outbox entry of its task. The life of a job:

- ``queued``: its task was published (or not: the broker was away). ``lease_until`` is when the
  relay publishes it again if no worker claimed it by then (a lost message).
- ``running``: a worker claimed it (:func:`job_claim`, one conditional update: ``attempts`` + 1)
  and renews ``lease_until`` every ``JOB_HEARTBEAT_SECONDS`` from a thread of its own while the
  task works (:func:`job_lease`). A worker that dies stops renewing.
- ``succeeded``/``failed``: :func:`job_finish`, only by the attempt that holds the claim, so a
  worker that lost its lease cannot overwrite the outcome of the one that took over.

:func:`relay_jobs` (beat, every minute) publishes again the queued jobs whose time has come, puts
back to ``queued`` the running jobs whose lease expired, and ends ``failed`` with its error a job
that already used ``JOB_MAX_ATTEMPTS`` attempts. The task of each kind is named in ``JOB_TASKS``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import logging
import threading

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from .models import Job

logger = logging.getLogger(__name__)

# The Celery task that runs each kind of job (by name: the apps that own them sit above this one).
JOB_TASKS = {Job.Kind.LEAD_IMPORT: "leads.tasks.lead_import"}


def _lease() -> dt.timedelta:
    return dt.timedelta(seconds=settings.JOB_LEASE_SECONDS)


def job_create(*, kind: str, by, params: dict) -> Job:
    """A queued job whose task is published once the transaction commits (or later by the relay)."""
    from .outbox import publish_on_commit

    job = Job.objects.create(kind=kind, created_by=by, params=params, lease_until=timezone.now() + _lease())
    publish_on_commit(_task(job.kind), job.pk)
    return job


def _task(kind: str):
    """The task of a kind of job (its module imported: a web process has not discovered tasks)."""
    name = JOB_TASKS[kind]
    module, _dot, attribute = name.rpartition(".")
    return getattr(importlib.import_module(module), attribute)


def job_claim(job_id: int) -> int | None:
    """Take the job for this worker: the attempt number, or ``None`` when it is not ours to run.

    A queued job, or a running one whose lease expired (its worker died before the relay noticed).
    """
    now = timezone.now()
    with transaction.atomic():
        claimed = (
            Job.objects.select_for_update()
            .filter(pk=job_id)
            .filter(Q(status=Job.Status.QUEUED) | Q(status=Job.Status.RUNNING, lease_until__lt=now))
            .filter(attempts__lt=settings.JOB_MAX_ATTEMPTS)
            .first()
        )
        if claimed is None:
            return None
        Job.objects.filter(pk=job_id).update(
            status=Job.Status.RUNNING,
            started_at=now,
            lease_until=now + _lease(),
            attempts=F("attempts") + 1,
        )
        return claimed.attempts + 1


def job_progress(job_id: int, attempt: int, **fields) -> None:
    """Record progress (``total``, ``done``) of the attempt that holds the job."""
    Job.objects.filter(pk=job_id, status=Job.Status.RUNNING, attempts=attempt).update(**fields)


def job_finish(
    job_id: int, attempt: int, status: str, *, message: str = "", result: dict | None = None, **fields
) -> bool:
    """End the job if this attempt still holds it; a failure without row errors carries its message as the one error."""
    if result is None:
        result = {"errors": [{"row": 0, "field": "", "message": message}] if message else []}
    return bool(
        Job.objects.filter(pk=job_id, status=Job.Status.RUNNING, attempts=attempt).update(
            status=status, finished_at=timezone.now(), lease_until=None, message=message, result=result, **fields
        )
    )


def job_held(job_id: int, attempt: int) -> bool:
    """Whether this attempt still holds the job; inside a transaction, locks the row until it ends."""
    rows = Job.objects.filter(pk=job_id, status=Job.Status.RUNNING, attempts=attempt)
    if transaction.get_connection().in_atomic_block:
        rows = rows.select_for_update()
    return rows.exists()


@contextlib.contextmanager
def job_lease(job_id: int, attempt: int, progress: dict | None = None):
    """Renew the job's lease every ``JOB_HEARTBEAT_SECONDS`` while the block runs.

    The renewal runs in a thread with its own database connection, so it is seen at once even
    while the task's own transaction (an all-or-nothing import) is still open. So does the
    progress: the block sets ``progress["done"]`` and each renewal writes it with the lease.
    """
    stop = threading.Event()

    def renew() -> None:
        try:
            while not stop.wait(settings.JOB_HEARTBEAT_SECONDS):
                fields = {"lease_until": timezone.now() + _lease()}
                if progress and "done" in progress:
                    fields["done"] = progress["done"]
                try:
                    Job.objects.filter(pk=job_id, status=Job.Status.RUNNING, attempts=attempt).update(**fields)
                except Exception:
                    logger.exception("could not renew the lease of job %s", job_id)
        finally:
            connection.close()

    thread = threading.Thread(target=renew, name=f"job-{job_id}-lease", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=10)


def relay_jobs(now: dt.datetime | None = None, limit: int = 200) -> dict[str, int]:
    """Take back the jobs nobody works on; returns how many were failed, re-queued and published."""
    from .outbox import publish

    now = now or timezone.now()
    expired = Q(lease_until__lt=now) | Q(lease_until__isnull=True)
    failed = Job.objects.filter(expired, status=Job.Status.RUNNING, attempts__gte=settings.JOB_MAX_ATTEMPTS).update(
        status=Job.Status.FAILED,
        finished_at=now,
        lease_until=None,
        message="the worker running this job stopped, again and again",
        result={"errors": [{"row": 0, "field": "", "message": "the worker running this job stopped"}]},
    )
    requeued = Job.objects.filter(expired, status=Job.Status.RUNNING).update(status=Job.Status.QUEUED)
    due = list(
        Job.objects.filter(expired, status=Job.Status.QUEUED, kind__in=list(JOB_TASKS))
        .order_by("created_at")
        .values_list("pk", "kind")[:limit]
    )
    published = 0
    for job_id, kind in due:
        Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).update(lease_until=now + _lease())
        if not publish(_task(kind), job_id):
            break
        published += 1
    if failed or requeued or published:
        logger.warning("job relay: %s failed, %s re-queued, %s published", failed, requeued, published)
    return {"failed": failed, "requeued": requeued, "published": published}
