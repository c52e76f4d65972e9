from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils.html import strip_tags

from slas import services
from slas.models import SLA, GoalPlan
from slas.tests.factories import make_sla

pytestmark = pytest.mark.django_db


@pytest.fixture
def login(client):
    def as_user(user):
        client.force_login(user)
        return client

    return as_user


def test_list_filters_and_has_no_query_per_row(roles, login, django_assert_max_num_queries):
    for year in (2024, 2025, 2026):
        make_sla(roles.marketing, roles.sales, start=dt.date(year, 1, 1), end=dt.date(year, 12, 31))
    make_sla(roles.other_marketing, roles.other_sales)
    client = login(roles.viewer)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("slas:list"))
    assert response.status_code == 200 and response.content.count(b"/slas/") >= 4
    assert b"New SLA" not in response.content
    filtered = client.get(reverse("slas:list"), {"team": roles.other_sales.pk})
    assert list(filtered.context["page"]) == [SLA.objects.get(sales_team=roles.other_sales)]
    assert b"New SLA" in login(roles.mkt_manager).get(reverse("slas:list")).content


def test_anonymous_users_are_sent_to_login(client):
    assert client.get(reverse("slas:list")).status_code == 302


def test_detail_shows_the_document_and_only_permitted_buttons(roles, login):
    sla = make_sla(roles.marketing, roles.sales)
    page = login(roles.viewer).get(reverse("slas:detail", args=[sla.pk])).content.decode()
    assert "Commitments" in page and "New MQLs" in page and "Europe/Paris" in page
    assert "Submit for signature" not in page and "Edit" not in page
    page = login(roles.mkt_manager).get(reverse("slas:detail", args=[sla.pk])).content.decode()
    assert "Submit for signature" in page
    services.sla_submit(sla=sla, by=roles.mkt_manager)
    page = login(roles.mkt_manager).get(reverse("slas:detail", args=[sla.pk])).content.decode()
    assert "Sign for Marketing" in page and "Sign for Inside sales" not in page
    assert sla.compute_fingerprint() in page


def test_lifecycle_through_the_pages(roles, login):
    sla = make_sla(roles.marketing, roles.sales)
    assert login(roles.viewer).post(reverse("slas:submit", args=[sla.pk])).status_code == 403
    assert login(roles.mkt_manager).get(reverse("slas:submit", args=[sla.pk])).status_code == 405
    assert login(roles.mkt_manager).post(reverse("slas:submit", args=[sla.pk])).status_code == 302
    sign = reverse("slas:sign", args=[sla.pk])
    sla.refresh_from_db()
    assert login(roles.mkt_manager).post(sign, {"team": roles.sales.pk}).status_code == 403
    assert login(roles.mkt_manager).get(sign, {"team": roles.sales.pk}).status_code == 403
    signed = {"team": roles.marketing.pk, "fingerprint": sla.fingerprint}
    assert login(roles.mkt_manager).post(sign, signed).status_code == 302
    again = login(roles.mkt_manager).post(sign, signed, follow=True)
    assert "already signed" in again.content.decode()
    login(roles.sales_manager).post(sign, {"team": roles.sales.pk, "fingerprint": sla.fingerprint})
    sla.refresh_from_db()
    assert sla.status == SLA.Status.ACTIVE
    edit = login(roles.sales_manager).get(reverse("slas:edit", args=[sla.pk]))
    assert edit.status_code == 302
    assert login(roles.sales_member).post(reverse("slas:amend", args=[sla.pk])).status_code == 403
    response = login(roles.sales_manager).post(reverse("slas:amend", args=[sla.pk]))
    draft = SLA.objects.get(amends=sla)
    assert response.url == reverse("slas:detail", args=[draft.pk])
    draft.commitments.filter(key="mql_volume").update(target=45)
    compare = login(roles.viewer).get(reverse("slas:compare", args=[draft.pk]))
    assert compare.status_code == 200
    changed = [section.title for section in compare.context["sections"] if section.changed]
    assert changed == ["Commitments"]
    assert "New MQLs Target: 30 → 45" in " ".join(strip_tags(compare.content.decode()).split())


def test_goal_planner_page_computes_saves_and_drafts_an_sla(roles, login):
    data = {"revenue_target": "1000000", "average_deal_size": "10000", "months": "12", "overall_rate": "2"}
    viewer = login(roles.viewer)
    assert viewer.get(reverse("slas:goal_planner")).status_code == 200
    page = viewer.post(reverse("slas:goal_planner"), {**data, "action": "compute"})
    assert page.context["plan"].totals == {"prospects": 5000, "clients": 100}
    assert b"Create draft SLA" not in page.content
    assert viewer.post(reverse("slas:goal_planner"), {**data, "action": "save"}).status_code == 403
    missing = viewer.post(reverse("slas:goal_planner"), {**data, "overall_rate": ""})
    assert missing.context["form"].errors["overall_rate"]
    manager = login(roles.mkt_manager)
    manager.post(reverse("slas:goal_planner"), {**data, "action": "save", "name": "2026"})
    assert GoalPlan.objects.get().name == "2026"
    response = manager.post(
        reverse("slas:goal_planner"),
        {
            **data,
            "action": "create_sla",
            "sla-title": "From plan",
            "sla-marketing_team": roles.marketing.pk,
            "sla-sales_team": roles.sales.pk,
            "sla-start_date": "2026-03-15",
        },
    )
    sla = SLA.objects.get(title="From plan")
    assert response.url == reverse("slas:edit", args=[sla.pk])
    assert (sla.start_date, sla.end_date) == (dt.date(2026, 3, 1), dt.date(2027, 2, 28))
    assert {c.key: int(c.target) for c in sla.commitments.all()} == {
        "won_revenue": 83334,
        "new_clients": 9,
        "prospects_volume": 417,
    }
    assert (
        login(roles.sales_member).post(reverse("slas:goal_planner"), {**data, "action": "create_sla"}).status_code
        == 403
    )
