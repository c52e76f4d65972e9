from __future__ import annotations

import pytest
from django.contrib.admin.sites import site
from django.test import RequestFactory
from django.urls import reverse

from slas import services
from slas.models import SLA
from slas.tests.factories import make_sla

pytestmark = pytest.mark.django_db


def test_signed_versions_are_read_only_in_the_admin(roles, client):
    draft = make_sla(roles.marketing, roles.sales)
    submitted = services.sla_submit(sla=make_sla(roles.other_marketing, roles.other_sales), by=roles.admin)
    model_admin = site._registry[SLA]
    request = RequestFactory().get("/")
    request.user = roles.admin
    assert model_admin.has_change_permission(request, draft)
    assert not model_admin.has_change_permission(request, submitted)
    assert not model_admin.has_delete_permission(request, submitted)
    client.force_login(roles.admin)
    page = client.get(reverse("admin:slas_sla_change", args=[submitted.pk]))
    assert page.status_code == 200 and b'name="title"' not in page.content
    assert b'name="title"' in client.get(reverse("admin:slas_sla_change", args=[draft.pk])).content
    response = client.post(reverse("admin:slas_sla_change", args=[submitted.pk]), {"title": "Hacked"})
    assert response.status_code == 403
    submitted.refresh_from_db()
    assert submitted.title != "Hacked"
