"""Issue 11: SLA parameters within reason — refused with a field error by the service, the form,
the API and the admin, never signed and never a 500 later (docs/compliance.md lists the bounds)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.admin.sites import site
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.urls import reverse
from rest_framework.test import APIClient

from slas import services
from slas.models import SLA, Commitment, MaturityRule, WorkingCalendar
from slas.tests.factories import make_sla
from slas.tests.test_api_slas import payload
from slas.tests.test_editor import posted
from slas.tests.test_services_lifecycle import draft_data

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("section", "row", "field"),
    [
        ("commitments", {"key": "handoff_response", "target": Decimal(90), "hours": Decimal("99999.99")}, "hours"),
        ("commitments", {"key": "handoff_response", "target": Decimal(90), "hours": Decimal("2000.01")}, "hours"),
        ("commitments", {"key": "contact_attempts", "target": Decimal(80), "attempts": 51, "days": 5}, "attempts"),
        ("commitments", {"key": "contact_attempts", "target": Decimal(80), "attempts": 3, "days": 61}, "days"),
        (
            "commitments",
            {"key": "first_contact", "target": Decimal(90), "hours": Decimal(8), "category_hours": {"1": 1e308}},
            "category_hours",
        ),
        (
            "commitments",
            {"key": "first_contact", "target": Decimal(90), "hours": Decimal(8), "category_hours": {"2": "inf"}},
            "category_hours",
        ),
        (
            "commitments",
            {"key": "first_contact", "target": Decimal(90), "hours": Decimal(8), "category_hours": {"3": "NaN"}},
            "category_hours",
        ),
        (
            "commitments",
            {"key": "first_contact", "target": Decimal(90), "hours": Decimal(8), "category_hours": {"1": True}},
            "category_hours",
        ),
        (
            "maturity_rules",
            {"category": 1, "owner_function": "sales", "response_hours": Decimal(2001)},
            "response_hours",
        ),
        (
            "maturity_rules",
            {
                "category": 2,
                "owner_function": "marketing",
                "response_hours": Decimal(24),
                "sales_may_take": True,
                "take_max_days": 366,
            },
            "take_max_days",
        ),
    ],
)
def test_the_service_refuses_out_of_bound_parameters_with_a_field_error(roles, section, row, field):
    with pytest.raises(ValidationError) as refused:
        services.sla_create(by=roles.mkt_manager, data=draft_data(roles, **{section: [row]}))
    assert f"{section}.0.{field}" in refused.value.message_dict
    assert not SLA.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"escalation_delay_hours": Decimal("2000.01")}, "escalation_delay_hours"),
        ({"start_date": dt.date(1999, 12, 31)}, "start_date"),
        ({"end_date": dt.date(2101, 1, 1)}, "end_date"),
    ],
)
def test_the_document_fields_are_bounded(roles, overrides, field):
    with pytest.raises(ValidationError) as refused:
        services.sla_create(by=roles.mkt_manager, data=draft_data(roles, **overrides))
    assert field in refused.value.message_dict


def test_a_calendar_needs_an_hour_of_work_a_week_and_at_most_366_closed_dates(roles):
    thin = {"time_zone": "Europe/Paris", "country": "FR", "closed_dates": []}
    with pytest.raises(ValidationError) as refused:
        services.sla_create(
            by=roles.mkt_manager,
            data=draft_data(
                roles, calendar={**thin, "hours": [{"weekday": 0, "start": dt.time(9), "end": dt.time(9, 59)}]}
            ),
        )
    assert "calendar.hours" in refused.value.message_dict
    closed = [{"date": dt.date(2026, 1, 1) + dt.timedelta(days=n)} for n in range(367)]
    with pytest.raises(ValidationError) as refused:
        services.sla_create(
            by=roles.mkt_manager,
            data=draft_data(
                roles,
                calendar={
                    **thin,
                    "closed_dates": closed,
                    "hours": [{"weekday": 0, "start": dt.time(9), "end": dt.time(10)}],
                },
            ),
        )
    assert "calendar.closed_dates" in refused.value.message_dict
    assert WorkingCalendar.check_working_time([(0, dt.time(9), dt.time(10))]) == {}


def test_the_api_answers_400_with_the_field(roles):
    client = APIClient()
    client.force_authenticate(roles.mkt_manager)
    body = payload(roles)
    body["commitments"][1]["hours"] = "99999.99"
    response = client.post("/api/v1/slas/", body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["commitments.1.hours"]  # the field, with its message
    body = payload(roles)
    body["commitments"].append({"key": "first_contact", "target": "90", "hours": "8", "category_hours": {"1": 1e308}})
    response = client.post("/api/v1/slas/", body, format="json")
    assert response.status_code == 400 and "commitments.2.category_hours" in response.json()["errors"]
    assert not SLA.objects.exists()


def test_the_form_shows_the_field_error(roles, client):
    sla = make_sla(roles.marketing, roles.sales)
    client.force_login(roles.mkt_manager)
    url = reverse("slas:edit_step", args=[sla.pk, "commitments"])
    data = posted(client.get(url), action="next")
    index = next(i for i in range(9) if data[f"commitments-{i}-key"] == "handoff_response")
    response = client.post(url, {**data, f"commitments-{index}-hours": "2500"})
    assert response.status_code == 200 and SLA.objects.get(pk=sla.pk).revision == 1
    rows = response.context["forms"].formsets["commitments"].forms
    assert "At most 2000 business hours." in rows[index].errors["hours"]


def test_the_admin_forms_refuse_them_too(roles):
    """Issue 13 made the SLA admin read-only (drafts are edited through ``sla_update`` in the
    app): it offers no field, so no extreme parameter can be entered there at all."""
    sla = make_sla(roles.marketing, roles.sales)
    request = RequestFactory().post("/")
    request.user = roles.admin
    model_admin = site._registry[SLA]
    assert not model_admin.has_change_permission(request, sla) and not model_admin.has_add_permission(request)
    for _formset_class, inline in model_admin.get_formsets_with_inlines(request, sla):
        if inline.model in (Commitment, MaturityRule):
            assert not inline.has_change_permission(request, sla) and not inline.has_add_permission(request, sla)
