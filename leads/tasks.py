"""Background work of the leads app: the all-or-nothing CSV import."""

from __future__ import annotations

import logging

from celery import shared_task
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, soft_time_limit=1800, time_limit=1900)
def lead_import(job_id: int) -> None:
    """Validate again, then import every row in one transaction; record the outcome on the Job.

    Idempotent: the job is claimed with a conditional update, so a redelivered task does nothing.
    Whatever goes wrong ends the job "failed" with its error, never "running"; the uploaded
    file is deleted once the job has ended.
    """
    from smarketing.models import Job

    from .models import ImportFile

    if not Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).update(
        status=Job.Status.RUNNING, started_at=timezone.now()
    ):
        return
    job = Job.objects.get(pk=job_id)
    try:
        _run_import(job)
    except Exception as exc:
        logger.exception("lead import job %s crashed", job_id)
        _finish(job_id, Job.Status.FAILED, message=f"{type(exc).__name__}: {exc}"[:500])
        raise
    finally:
        ImportFile.objects.filter(pk=job.params.get("import_file")).delete()


def _finish(job_id: int, status: str, *, message: str = "", result: dict | None = None, **fields) -> None:
    """End the job; a failure without row errors carries its message as the one error."""
    from smarketing.models import Job

    if result is None:
        result = {"errors": [{"row": 0, "field": "", "message": message}] if message else []}
    Job.objects.filter(pk=job_id).update(
        status=status, finished_at=timezone.now(), message=message, result=result, **fields
    )


def _run_import(job) -> None:
    from slas.models import Team
    from smarketing.models import Job

    from . import imports
    from .models import ImportFile

    user = get_user_model().objects.filter(pk=job.created_by_id).first()
    team = Team.objects.filter(pk=job.params.get("team")).first()
    source = ImportFile.objects.filter(pk=job.params.get("import_file")).first()
    # Jobs queued before imports were stored as files carried the text in their parameters.
    text = source.text if source is not None else job.params.get("csv")
    if text is None:
        _finish(job.pk, Job.Status.FAILED, message="the uploaded file is gone")
        return
    checked = imports.preview(text, job.params.get("mapping") or None, default_team=team)
    Job.objects.filter(pk=job.pk).update(total=len(checked.rows))
    if not checked.ok:
        _finish(job.pk, Job.Status.FAILED, message="invalid rows", result={"errors": checked.errors})
        return
    try:
        created = imports.load(checked.rows, by=user)
    except (ValidationError, PermissionDenied) as exc:
        _finish(job.pk, Job.Status.FAILED, message="; ".join(getattr(exc, "messages", [str(exc)])))
        return
    _finish(job.pk, Job.Status.SUCCEEDED, done=created, result={"imported": created, "errors": []})
