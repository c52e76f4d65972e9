from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse

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


def management(prefix: str, total: int, initial: int = 0) -> dict:
    return {f"{prefix}-TOTAL_FORMS": total, f"{prefix}-INITIAL_FORMS": initial}


def form_data(roles, **overrides) -> dict:
    data = {
        "title": "Marketing × Inside sales",
        "marketing_team": roles.marketing.pk,
        "sales_team": roles.sales.pk,
        "start_date": "2026-01-01",
        "end_date": "2026-12-31",
        "currency": "EUR",
        "escalation_delay_hours": "4",
        "calendar-time_zone": "Europe/Paris",
        "calendar-country": "FR",
        **management("goals", 1),
        "goals-0-specific": "More MQLs",
        "goals-0-metric": "MQLs",
        "goals-0-target": "300",
        "goals-0-deadline": "2026-12-31",
        **management("commitments", 2),
        "commitments-0-key": "mql_volume",
        "commitments-0-target": "30",
        **management("maturity_rules", 1),
        **management("milestones", 1),
        "milestones-0-title": "Monthly review",
        "milestones-0-owner_team": roles.sales.pk,
        "milestones-0-due_date": "2026-01-30",
        **management("hours", 2),
        "hours-0-weekday": "0",
        "hours-0-start": "09:00",
        "hours-0-end": "18:00",
        **management("closed_dates", 1),
    }
    data.update(overrides)
    return data


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


def test_create_page_and_permission(roles, login):
    assert login(roles.sales_member).get(reverse("slas:create")).status_code == 403
    assert login(roles.viewer).post(reverse("slas:create"), form_data(roles)).status_code == 403
    client = login(roles.mkt_manager)
    assert client.get(reverse("slas:create")).status_code == 200
    response = client.post(reverse("slas:create"), form_data(roles))
    sla = SLA.objects.get()
    assert response.status_code == 302 and response.url == reverse("slas:detail", args=[sla.pk])
    assert sla.goals.count() == 1 and sla.commitments.count() == 1 and sla.milestones.count() == 1
    assert sla.calendar.hours.count() == 1


def test_field_errors_are_shown(roles, login):
    client = login(roles.mkt_manager)
    data = form_data(
        roles,
        end_date="2025-01-01",
        **{"commitments-1-key": "mql_acceptance_rate", "commitments-1-target": "150", "hours-0-end": "08:00"},
    )
    response = client.post(reverse("slas:create"), data)
    assert response.status_code == 200 and not SLA.objects.exists()
    assert response.context["form"].errors["end_date"]
    sections = {str(title): formset for title, formset in response.context["sections"]}
    assert sections["Commitments"].forms[1].errors["target"]
    assert sections["Weekly working hours"].forms[0].errors["end"]


def test_milestone_outside_the_period_is_a_field_error(roles, login):
    data = form_data(roles, **{"milestones-0-due_date": "2027-03-01"})
    response = login(roles.mkt_manager).post(reverse("slas:create"), data)
    assert response.status_code == 200
    sections = {str(title): formset for title, formset in response.context["sections"]}
    assert sections["Intervention calendar"].forms[0].errors["due_date"]


def test_edit_keeps_unchanged_rows_and_refuses_a_stale_edit(roles, login):
    sla = make_sla(roles.marketing, roles.sales)
    client = login(roles.sales_manager)
    page = client.get(reverse("slas:edit", args=[sla.pk]))
    assert page.status_code == 200
    data = {}
    for form in [page.context["form"], page.context["calendar_form"]]:
        for field in form:
            value = field.value()
            if value is not None:
                data[field.html_name] = field.field.widget.format_value(value) if hasattr(value, "isoformat") else value
    for _title, formset in page.context["sections"]:
        data.update(management(formset.prefix, formset.total_form_count(), formset.initial_form_count()))
        for sub in formset.forms:
            for field in sub:
                value = field.value()
                if value is not None and value != "" and value is not False:
                    data[field.html_name] = json.dumps(value) if isinstance(value, dict) else value
    data["title"] = "Renamed"
    response = client.post(reverse("slas:edit", args=[sla.pk]), data)
    assert response.status_code == 302
    sla.refresh_from_db()
    assert sla.title == "Renamed" and sla.revision == 2
    assert sla.commitments.count() == 9 and sla.maturity_rules.count() == 3 and sla.calendar.hours.count() == 5
    stale = client.post(reverse("slas:edit", args=[sla.pk]), {**data, "title": "Stale", "revision": 1})
    assert stale.status_code == 200 and "Someone else changed" in stale.content.decode()
    sla.refresh_from_db()
    assert sla.title == "Renamed"
    assert login(roles.mkt_member).get(reverse("slas:edit", args=[sla.pk])).status_code == 403


def test_lifecycle_through_the_pages(roles, login):
    sla = make_sla(roles.marketing, roles.sales)
    assert login(roles.viewer).post(reverse("slas:submit", args=[sla.pk])).status_code == 403
    assert login(roles.mkt_manager).get(reverse("slas:submit", args=[sla.pk])).status_code == 405
    assert login(roles.mkt_manager).post(reverse("slas:submit", args=[sla.pk])).status_code == 302
    sign = reverse("slas:sign", args=[sla.pk])
    assert login(roles.mkt_manager).post(sign, {"team": roles.sales.pk}).status_code == 403
    assert login(roles.mkt_manager).post(sign, {"team": roles.marketing.pk}).status_code == 302
    again = login(roles.mkt_manager).post(sign, {"team": roles.marketing.pk}, follow=True)
    assert "already signed" in again.content.decode()
    login(roles.sales_manager).post(sign, {"team": roles.sales.pk})
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
    changed = [row["label"] for row in compare.context["rows"] if row["changed"]]
    assert [str(label) for label in changed] == ["Commitments"]


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
