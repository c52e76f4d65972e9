"""Issue 13: the admin changes teams, users, memberships and profiles only through the services,
and shows SLA documents, their sections, calendars and visit counts read-only."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from slas import services
from slas.models import SLA, Membership, Profile, Team
from slas.tests.factories import make_sla

pytestmark = pytest.mark.django_db


def test_sla_documents_and_calendars_are_read_only_in_the_admin(roles, client):
    draft = make_sla(roles.marketing, roles.sales)
    submitted = services.sla_submit(sla=make_sla(roles.other_marketing, roles.other_sales), by=roles.admin)
    client.force_login(roles.admin)
    for sla in (draft, submitted):
        page = client.get(reverse("admin:slas_sla_change", args=[sla.pk]))
        assert page.status_code == 200 and b'name="title"' not in page.content
        response = client.post(reverse("admin:slas_sla_change", args=[sla.pk]), {"title": "Hacked"})
        assert response.status_code == 403
        sla.refresh_from_db()
        assert sla.title != "Hacked"
        calendar = client.post(
            reverse("admin:slas_workingcalendar_change", args=[sla.calendar.pk]), {"time_zone": "UTC"}
        )
        assert calendar.status_code == 403
    assert client.get(reverse("admin:slas_sla_add")).status_code == 403
    assert client.post(reverse("admin:slas_sla_delete", args=[draft.pk]), {"post": "yes"}).status_code == 403
    assert SLA.objects.filter(pk=draft.pk).exists()


def test_the_sla_admin_actions_go_through_the_services(roles, client):
    draft = make_sla(roles.marketing, roles.sales)
    empty = make_sla(roles.other_marketing, roles.other_sales, with_commitments=False)
    client.force_login(roles.admin)
    client.post(
        reverse("admin:slas_sla_changelist"),
        {"action": "submit_for_signature", "_selected_action": [draft.pk, empty.pk]},
        follow=True,
    )
    draft.refresh_from_db()
    empty.refresh_from_db()
    assert draft.status == SLA.Status.IN_SIGNATURE and draft.fingerprint
    # The service's rule holds here too: no commitment, no submission.
    assert empty.status == SLA.Status.DRAFT


def _user_form(**overrides) -> dict:
    form = {
        "username": "newbie",
        "usable_password": "true",
        "password1": "1",
        "password2": "1",
        "profile-TOTAL_FORMS": "1",
        "profile-INITIAL_FORMS": "0",
        "profile-0-language": "en",
        "profile-0-time_zone": "Europe/Paris",
        "profile-0-alert_mode": "immediate",
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
    }
    form.update(overrides)
    return form


def test_admin_user_creation_applies_the_password_validators_and_the_service(roles, client):
    client.force_login(roles.admin)
    url = reverse("admin:auth_user_add")
    refused = client.post(url, _user_form())
    assert refused.status_code == 200 and not get_user_model().objects.filter(username="newbie").exists()
    good = "Lo0ng-enough-secret"
    created = client.post(
        url,
        _user_form(
            password1=good,
            password2=good,
            **{
                "memberships-TOTAL_FORMS": "1",
                "memberships-0-team": roles.sales.pk,
                "memberships-0-role": Membership.Role.MANAGER,
            },
        ),
    )
    assert created.status_code == 302, created.context["adminform"].form.errors if created.context else created
    user = get_user_model().objects.get(username="newbie")
    assert user.check_password(good)
    assert Membership.objects.get(user=user).role == Membership.Role.MANAGER


def test_a_misspelt_time_zone_is_refused_in_the_admin_the_profile_and_the_api(roles, client):
    client.force_login(roles.admin)
    profile = Profile.for_user(roles.mkt_member)
    page = client.get(reverse("admin:auth_user_change", args=[roles.mkt_member.pk]))
    form = page.context["adminform"].form
    data = {name: form[name].value() or "" for name in ("username", "first_name", "last_name", "email")}
    data.update(
        {
            "is_active": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
            "profile-TOTAL_FORMS": "1",
            "profile-INITIAL_FORMS": "1",
            "profile-0-id": profile.pk,
            "profile-0-user": roles.mkt_member.pk,
            "profile-0-language": "en",
            "profile-0-time_zone": "Europe/Pariss",
            "profile-0-alert_mode": "immediate",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        }
    )
    response = client.post(reverse("admin:auth_user_change", args=[roles.mkt_member.pk]), data)
    assert response.status_code == 200
    profile.refresh_from_db()
    assert profile.time_zone == "Europe/Paris"
    with pytest.raises(Exception, match="known time zone"):
        services.profile_update(user=roles.mkt_member, by=roles.mkt_member, time_zone="Europe/Pariss")


def test_teams_change_through_the_services(roles, client):
    client.force_login(roles.admin)
    data = {
        "name": "Field sales",
        "function": "marketing",
        "description": "",
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
    }
    response = client.post(reverse("admin:slas_team_change", args=[roles.other_sales.pk]), data)
    # A team with members keeps its function (Team.clean, which team_update runs too).
    assert response.status_code == 200 and "keeps its function" in response.content.decode()
    assert Team.objects.get(pk=roles.other_sales.pk).function == "sales"
    created = client.post(reverse("admin:slas_team_add"), {**data, "name": "Partners", "function": "sales"})
    assert created.status_code == 302 and Team.objects.filter(name="Partners", function="sales").exists()
    assert (
        client.post(reverse("admin:slas_team_delete", args=[roles.other_sales.pk]), {"post": "yes"}).status_code == 403
    )


@pytest.mark.parametrize("role", ["mkt_manager", "sales_manager", "viewer"])
def test_only_the_administrator_uses_the_admin(roles, client, role):
    user = getattr(roles, role)
    user.is_staff = True  # even staff without superuser rights
    user.save()
    client.force_login(user)
    for name in ("admin:slas_team_changelist", "admin:auth_user_changelist", "admin:slas_sla_changelist"):
        assert client.get(reverse(name)).status_code == 403
