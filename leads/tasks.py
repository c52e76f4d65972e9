"""Background work of the leads app: the all-or-nothing CSV import."""

from __future__ import annotations

import logging

from celery import shared_task
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, soft_time_limit=1800, time_limit=1900)
def lead_import(job_id: int) -> None:
    """Validate again, then import every row in one transaction; record the outcome on the Job.

    Idempotent and recoverable (``smarketing.jobs``): the job is claimed with a conditional update
    and a lease its heartbeat renews, so a redelivered task does nothing while another runs it, and
    the relay takes back a job whose worker died. The rows and the "succeeded" outcome commit
    together, only while this attempt holds the job: a restarted import never imports twice.
    Whatever goes wrong ends the job "failed" with its error, never "running"; the uploaded file is
    deleted once the job has ended.
    """
    from smarketing.jobs import job_claim, job_lease

    attempt = job_claim(job_id)
    if attempt is None:
        return
    progress = {"done": 0}  # rows written so far, published with each lease renewal
    with job_lease(job_id, attempt, progress):
        _import(job_id, attempt, progress)


def _import(job_id: int, attempt: int, progress: dict) -> None:
    from smarketing.jobs import job_finish
    from smarketing.models import Job

    from .models import ImportFile

    job = Job.objects.get(pk=job_id)
    try:
        ended = _run_import(job, attempt, progress)
    except Exception as exc:
        logger.exception("lead import job %s crashed", job_id)
        ended = job_finish(job_id, attempt, Job.Status.FAILED, message=f"{type(exc).__name__}: {exc}"[:500])
        raise
    finally:
        if ended:
            ImportFile.objects.filter(pk=job.params.get("import_file")).delete()


def _reporter(progress: dict | None):
    """``progress(done)`` for the import: kept in ``progress``, which the lease heartbeat publishes."""
    if progress is None:
        return None
    return lambda done: progress.update(done=done)


class _Superseded(Exception):
    """This attempt lost the job (its lease expired and another attempt took it): roll back."""


def _run_import(job, attempt: int, progress: dict | None = None) -> bool:
    """Run the import; whether this attempt ended the job."""
    from slas.models import Team
    from smarketing.jobs import job_finish, job_held, job_progress
    from smarketing.models import Job

    from . import imports
    from .models import ImportFile

    user = get_user_model().objects.filter(pk=job.created_by_id).first()
    team = Team.objects.filter(pk=job.params.get("team")).first()
    source = ImportFile.objects.filter(pk=job.params.get("import_file")).first()
    # Jobs queued before imports were stored as files carried the text in their parameters.
    text = source.text if source is not None else job.params.get("csv")
    if text is None:
        return job_finish(job.pk, attempt, Job.Status.FAILED, message="the uploaded file is gone")
    checked = imports.preview(text, job.params.get("mapping") or None, default_team=team)
    job_progress(job.pk, attempt, total=len(checked.rows))
    if not checked.ok:
        return job_finish(job.pk, attempt, Job.Status.FAILED, message="invalid rows", result={"errors": checked.errors})
    try:
        with transaction.atomic():
            created = imports.load(checked.rows, by=user, progress=_reporter(progress))
            # The job row is locked from here to the commit: the rows and the outcome go together.
            if not job_held(job.pk, attempt):
                raise _Superseded
            job_finish(job.pk, attempt, Job.Status.SUCCEEDED, done=created, result={"imported": created, "errors": []})
    except _Superseded:
        logger.warning("lead import job %s: attempt %s lost its lease; rolled back", job.pk, attempt)
        return False
    except (ValidationError, PermissionDenied) as exc:
        return job_finish(job.pk, attempt, Job.Status.FAILED, message="; ".join(getattr(exc, "messages", [str(exc)])))
    return True
