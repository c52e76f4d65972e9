"""Background work of the leads app: the all-or-nothing CSV import."""

from __future__ import annotations

from celery import shared_task
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone


@shared_task(acks_late=True, soft_time_limit=1800, time_limit=1900)
def lead_import(job_id: int) -> None:
    """Validate again, then import every row in one transaction; record the outcome on the Job.

    Idempotent: the job is claimed with a conditional update, so a redelivered task does nothing.
    """
    from smarketing.models import Job

    from . import imports

    if not Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).update(
        status=Job.Status.RUNNING, started_at=timezone.now()
    ):
        return
    job = Job.objects.get(pk=job_id)
    user = get_user_model().objects.filter(pk=job.created_by_id).first()
    from slas.models import Team

    team = Team.objects.filter(pk=job.params.get("team")).first()
    checked = imports.preview(job.params["csv"], job.params.get("mapping") or None, default_team=team)
    Job.objects.filter(pk=job_id).update(total=len(checked.rows))
    if not checked.ok:
        Job.objects.filter(pk=job_id).update(
            status=Job.Status.FAILED,
            finished_at=timezone.now(),
            message="invalid rows",
            result={"errors": checked.errors},
        )
        return
    try:
        created = imports.load(checked.rows, by=user)
    except (ValidationError, PermissionDenied) as exc:
        message = "; ".join(getattr(exc, "messages", [str(exc)]))
        Job.objects.filter(pk=job_id).update(
            status=Job.Status.FAILED,
            finished_at=timezone.now(),
            message=message,
            result={"errors": [{"row": 0, "field": "", "message": message}]},
        )
        return
    Job.objects.filter(pk=job_id).update(
        status=Job.Status.SUCCEEDED,
        finished_at=timezone.now(),
        done=created,
        result={"imported": created, "errors": []},
    )
