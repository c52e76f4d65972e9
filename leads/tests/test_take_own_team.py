"""Issue 11: sales take a lead temporarily only for a sales team they belong to (an admin for any)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from rest_framework.test import APIClient

from leads import permissions, services
from leads.forms import TakeForm
from leads.models import Lead, LeadEvent
from slas.models import SLA, Membership
from slas.tests.factories import make_sla

pytestmark = pytest.mark.django_db


@pytest.fixture
def slas(roles):
    today = dt.date.today()
    period = {"start": today - dt.timedelta(days=60), "end": today + dt.timedelta(days=300)}
    # Category 3 may be taken under both agreements of the marketing team.
    return [
        make_sla(roles.marketing, roles.sales, status=SLA.Status.ACTIVE, **period),
        make_sla(roles.marketing, roles.other_sales, status=SLA.Status.ACTIVE, **period),
    ]


@pytest.fixture
def nurtured(roles, slas) -> Lead:
    return services.lead_create(
        data={"email": "nurture@example.com", "pain_identified": True}, team=roles.marketing, by=roles.mkt_member
    )


def until() -> str:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(days=5)).isoformat()


def test_a_sales_member_cannot_take_for_another_sales_team_through_the_api(roles, nurtured):
    api = APIClient()
    api.force_authenticate(roles.sales_member)  # member of Inside sales only
    response = api.post(
        f"/api/v1/leads/{nurtured.pk}/take/", {"until": until(), "team": roles.other_sales.pk}, format="json"
    )
    assert response.status_code == 403, response.json()
    nurtured.refresh_from_db()
    assert nurtured.owner_team == roles.marketing and nurtured.temporary_until is None
    assert not nurtured.events.filter(kind=LeadEvent.Kind.TAKEN).exists()
    # For the own team it works, and the lead is held by that team.
    response = api.post(f"/api/v1/leads/{nurtured.pk}/take/", {"until": until(), "team": roles.sales.pk}, format="json")
    assert response.status_code == 200 and response.json()["owner_team"] == roles.sales.pk


def test_a_sales_manager_too_takes_only_for_a_team_they_belong_to(roles, nurtured):
    with pytest.raises(PermissionDenied):
        services.lead_take(
            lead=nurtured,
            by=roles.sales_manager,
            until=dt.datetime.now(dt.UTC) + dt.timedelta(days=5),
            team=roles.other_sales,
        )
    taken = services.lead_take(
        lead=nurtured, by=roles.admin, until=dt.datetime.now(dt.UTC) + dt.timedelta(days=5), team=roles.other_sales
    )
    assert taken.owner_team == roles.other_sales and taken.owner_user is None  # the admin is no member


def test_can_take_and_the_service_agree_for_every_role_and_team(roles, nurtured):
    for name, user in {**roles.all(), "other_sales_member": roles.other_sales_member}.items():
        for team in (roles.sales, roles.other_sales):
            with transaction.atomic():
                try:
                    services.lead_take(
                        lead=nurtured, by=user, until=dt.datetime.now(dt.UTC) + dt.timedelta(days=5), team=team
                    )
                    taken = True
                except PermissionDenied:
                    taken = False
                transaction.set_rollback(True)
            assert taken == permissions.can_take(user, nurtured, team), (name, team.name)
            expected = name == "admin" or (team == roles.sales and name in {"sales_manager", "sales_member"})
            expected = expected or (team == roles.other_sales and name == "other_sales_member")
            assert taken == expected, (name, team.name)


def test_the_page_offers_only_the_users_own_sales_teams(roles, client, nurtured):
    assert [t.pk for t in TakeForm(user=roles.sales_member).fields["team"].queryset] == [roles.sales.pk]
    assert TakeForm(user=roles.sales_member).fields["team"].initial == roles.sales.pk  # preselected
    assert set(TakeForm(user=roles.admin).fields["team"].queryset) == {roles.sales, roles.other_sales}
    Membership.objects.create(user=roles.sales_member, team=roles.other_sales)
    roles.sales_member._smk_memberships = None
    assert TakeForm(user=roles.sales_member).fields["team"].initial is None  # two teams: the user chooses

    client.force_login(roles.other_sales_member)
    page = client.get(reverse("leads:detail", args=[nurtured.pk])).content.decode()
    take_form = page[page.index(f'action="/leads/{nurtured.pk}/do/take/"') :]
    take_form = take_form[: take_form.index("</form>")]
    assert roles.other_sales.name in take_form and f'value="{roles.sales.pk}"' not in take_form
    # A forced POST for another team is refused and changes nothing.
    response = client.post(
        reverse("leads:action", args=[nurtured.pk, "take"]),
        {"until": (dt.datetime.now() + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"), "team": roles.sales.pk},
    )
    assert response.status_code == 302
    nurtured.refresh_from_db()
    assert nurtured.owner_team == roles.marketing
