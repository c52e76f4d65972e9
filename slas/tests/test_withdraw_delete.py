"""Issue 11: a signature workflow that cannot get stuck — through the API and the pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from slas import services
from slas.models import SLA, LifecycleRecord
from slas.tests.factories import make_sla

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def signed(roles) -> SLA:
    sla = make_sla(roles.marketing, roles.sales)
    services.sla_submit(sla=sla, by=roles.mkt_manager)
    services.sla_sign(sla=sla, team=roles.marketing, by=roles.mkt_manager)
    services.sla_sign(sla=sla, team=roles.sales, by=roles.sales_manager)
    return SLA.objects.get(pk=sla.pk)


def test_an_overlapping_submit_is_a_409_naming_the_conflicting_sla(roles):
    active = signed(roles)
    other = (
        api(roles.mkt_manager)
        .post(
            "/api/v1/slas/",
            {
                "title": "Overlapping",
                "marketing_team": roles.marketing.pk,
                "sales_team": roles.sales.pk,
                "start_date": "2026-06-01",
                "end_date": "2027-05-31",
                "commitments": [{"key": "mql_volume", "target": "30"}],
                "calendar": {"time_zone": "Europe/Paris", "hours": [{"weekday": 0, "start": "09:00", "end": "18:00"}]},
            },
            format="json",
        )
        .json()
    )
    response = api(roles.mkt_manager).post(f"/api/v1/slas/{other['id']}/submit/")
    assert response.status_code == 409
    body = response.json()
    assert active.title in body["detail"] and "periods may not overlap" in body["detail"]
    assert body["conflicting_sla"]["id"] == active.pk and body["conflicting_sla"]["status"] == "active"
    assert SLA.objects.get(pk=other["id"]).status == SLA.Status.DRAFT


def test_withdraw_and_delete_through_the_api(roles):
    sla = make_sla(roles.marketing, roles.sales)
    SLA.objects.filter(pk=sla.pk).update(created_by=roles.sales_manager)
    services.sla_submit(sla=sla, by=roles.mkt_manager)
    services.sla_sign(sla=sla, team=roles.marketing, by=roles.mkt_manager)
    url = f"/api/v1/slas/{sla.pk}/"
    assert api(roles.sales_member).post(url + "withdraw/", {}, format="json").status_code == 403
    assert api(roles.viewer).post(url + "withdraw/", {}, format="json").status_code == 403
    assert api(roles.sales_manager).delete(url).status_code == 409  # in signature: not deletable
    response = api(roles.sales_manager).post(url + "withdraw/", {"reason": "Wrong dates"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "draft" and response.json()["signatures"] == []
    assert api(roles.sales_manager).post(url + "withdraw/", {}, format="json").status_code == 409
    assert api(roles.mkt_manager).delete(url).status_code == 403  # not the author
    assert api(roles.sales_manager).delete(url).status_code == 204
    assert api(roles.viewer).get(url).status_code == 404
    assert list(LifecycleRecord.objects.values_list("action", "actor")) == [
        ("draft_deleted", roles.sales_manager.pk),
        ("withdrawn", roles.sales_manager.pk),
    ]
    active = signed(roles)
    assert api(roles.admin).delete(f"/api/v1/slas/{active.pk}/").status_code == 409
    assert api(roles.admin).post(f"/api/v1/slas/{active.pk}/withdraw/").status_code == 409


def test_the_pages_offer_withdraw_and_delete_to_whom_may(roles, client):
    sla = make_sla(roles.marketing, roles.sales)
    SLA.objects.filter(pk=sla.pk).update(created_by=roles.mkt_manager)
    detail = reverse("slas:detail", args=[sla.pk])
    client.force_login(roles.mkt_manager)
    page = client.get(detail).content.decode()
    assert reverse("slas:delete", args=[sla.pk]) in page and reverse("slas:withdraw", args=[sla.pk]) not in page
    client.post(reverse("slas:submit", args=[sla.pk]))
    client.force_login(roles.sales_member)
    page = client.get(detail).content.decode()
    assert reverse("slas:withdraw", args=[sla.pk]) not in page
    assert client.post(reverse("slas:withdraw", args=[sla.pk])).status_code == 403
    client.force_login(roles.sales_manager)
    page = client.get(detail).content.decode()
    assert reverse("slas:withdraw", args=[sla.pk]) in page and reverse("slas:delete", args=[sla.pk]) not in page
    page = client.post(reverse("slas:withdraw", args=[sla.pk]), {"reason": "Dates"}, follow=True).content.decode()
    assert "Withdrawn to draft" in page and "Dates" in page
    client.force_login(roles.mkt_manager)
    response = client.post(reverse("slas:delete", args=[sla.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("slas:list")
    assert not SLA.objects.filter(pk=sla.pk).exists()


def test_an_overlapping_submit_through_the_page_names_and_links_the_other_sla(roles, client):
    active = signed(roles)
    other = make_sla(roles.marketing, roles.sales, start=dt.date(2026, 6, 1), end=dt.date(2027, 5, 31))
    client.force_login(roles.mkt_manager)
    page = client.post(reverse("slas:submit", args=[other.pk]), follow=True).content.decode()
    assert "periods may not overlap" in page
    assert f'href="{reverse("slas:detail", args=[active.pk])}"' in page
    other.refresh_from_db()
    assert other.status == SLA.Status.DRAFT
