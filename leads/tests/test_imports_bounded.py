"""Issue 13: imports are bounded and checked before anything is stored; drafts live in the database."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from leads.api.views import queue_import
from leads.models import ImportFile, Lead
from leads.tasks import lead_import
from smarketing.models import Job

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(roles) -> APIClient:
    client = APIClient()
    client.force_authenticate(roles.mkt_member)
    return client


def _upload(api, roles, content: bytes, **extra):
    return api.post(
        "/api/v1/imports/",
        {"file": SimpleUploadedFile("leads.csv", content), "team": roles.marketing.pk, **extra},
        format="multipart",
    )


def test_a_file_over_the_size_limit_is_refused_before_anything_is_stored(roles, api, client, settings):
    settings.IMPORT_MAX_BYTES = 1000
    content = b"email\n" + b"".join(f"l{n}@example.com\n".encode() for n in range(100))
    response = _upload(api, roles, content)
    assert response.status_code == 400 and "too large" in response.json()["errors"]["file"][0]
    client.force_login(roles.mkt_member)
    page = client.post(
        reverse("leads:import"), {"file": SimpleUploadedFile("l.csv", content), "team": roles.marketing.pk}
    )
    assert page.status_code == 200 and "too large" in page.content.decode()
    assert not ImportFile.objects.exists() and not Job.objects.exists()


def test_a_file_over_the_row_limit_is_refused(roles, api, settings):
    settings.IMPORT_MAX_ROWS = 3
    response = _upload(api, roles, b"email\na@x.io\nb@x.io\nc@x.io\nd@x.io\n")
    assert response.status_code == 400 and "At most 3 rows" in response.json()["errors"]["file"][0]
    assert not ImportFile.objects.exists()


def test_the_upload_page_keeps_its_draft_in_the_database_for_its_owner_only(roles, client):
    client.force_login(roles.mkt_member)
    response = client.post(
        reverse("leads:import"), {"file": SimpleUploadedFile("l.csv", b"email\nx@y.io\n"), "team": roles.marketing.pk}
    )
    draft = ImportFile.objects.get()
    assert response.url.endswith(f"?draft={draft.pk}") and draft.created_by == roles.mkt_member
    assert cache.get(f"lead-import:{roles.mkt_member.pk}:{draft.pk}") is None
    client.force_login(roles.mkt_manager)
    other = client.get(reverse("leads:import"), {"draft": draft.pk})
    assert other.status_code == 200 and "upload_form" in other.context


def test_the_job_refers_to_the_file_and_the_file_goes_when_the_job_ends(roles, api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(api, roles, b"email,first_name\nk@y.io,Kay\n", mapping='{"email": "email"}')
    assert response.status_code == 202, response.json()
    job = Job.objects.get()
    assert set(job.params) == {"import_file", "mapping", "team"} and job.params["mapping"] == {"email": "email"}
    assert job.status == Job.Status.SUCCEEDED and Lead.objects.filter(email="k@y.io").exists()
    assert not ImportFile.objects.exists()


def test_a_job_with_a_bad_mapping_ends_failed_never_running(roles, django_capture_on_commit_callbacks):
    """Jobs queued before the mapping was validated (a list, a string) crashed and stayed running."""
    for mapping in (["email"], "email"):
        with django_capture_on_commit_callbacks(execute=False):
            job = queue_import(text="email\nz@y.io\n", mapping=None, team=roles.marketing, by=roles.mkt_member)
        Job.objects.filter(pk=job.pk).update(params={**job.params, "mapping": mapping})
        lead_import(job.pk)
        job.refresh_from_db()
        assert job.status == Job.Status.FAILED and job.finished_at is not None
        assert job.result["errors"]
    assert not Lead.objects.exists()


def test_a_job_whose_file_is_gone_ends_failed(roles, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        job = queue_import(text="email\nz@y.io\n", mapping=None, team=roles.marketing, by=roles.mkt_member)
    ImportFile.objects.all().delete()
    lead_import(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and "gone" in job.message


def test_stale_drafts_are_purged_on_the_next_upload(roles, client):
    import datetime as dt

    from django.utils import timezone

    old = ImportFile.objects.create(created_by=roles.mkt_member, text="email\n", headers=["email"])
    ImportFile.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=2))
    client.force_login(roles.mkt_member)
    client.post(
        reverse("leads:import"), {"file": SimpleUploadedFile("l.csv", b"email\nx@y.io\n"), "team": roles.marketing.pk}
    )
    assert list(ImportFile.objects.values_list("pk", flat=True)) != [old.pk]
    assert not ImportFile.objects.filter(pk=old.pk).exists()
