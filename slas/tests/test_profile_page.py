"""The profile page: preferences, calendar feed guard, personal tokens."""

from __future__ import annotations

import pytest
from django.http import HttpResponse
from django.urls import path, reverse

from slas.models import Profile
from smarketing import urls as root_urls
from smarketing.models import ApiToken
from smarketing.tokens import api_token_create

pytestmark = pytest.mark.django_db


def test_the_profile_page_needs_a_signed_in_user(client):
    response = client.get(reverse("profile"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_preferences_are_shown_and_changed(roles, client):
    client.force_login(roles.sales_member)
    page = client.get(reverse("profile"))
    assert page.status_code == 200
    assert b"Europe/Paris" in page.content
    response = client.post(
        reverse("profile"),
        {"action": "preferences", "language": "fr", "time_zone": "America/Montreal", "alert_mode": "digest"},
    )
    assert response.status_code == 302
    profile = Profile.objects.get(user=roles.sales_member)
    assert (profile.language, profile.time_zone, profile.alert_mode) == ("fr", "America/Montreal", "digest")


def test_an_unknown_time_zone_is_a_field_error(roles, client):
    client.force_login(roles.sales_member)
    response = client.post(
        reverse("profile"), {"action": "preferences", "language": "en", "time_zone": "Mars/Olympus", "alert_mode": "x"}
    )
    assert response.status_code == 200
    assert set(response.context["preferences_form"].errors) == {"time_zone", "alert_mode"}


def _feed(request, token):
    return HttpResponse("BEGIN:VCALENDAR")


# A URLconf with a calendar feed, whether or not this build already has one.
urlpatterns = [
    path("calendar/<str:token>.ics", _feed, name="calendar_feed"),
    *[p for p in root_urls.urlpatterns if getattr(p, "name", None) != "calendar_feed"],
]


def test_the_calendar_feed_link_appears_when_the_feed_exists(roles, client, settings):
    settings.ROOT_URLCONF = __name__
    client.force_login(roles.mkt_member)
    response = client.get(reverse("profile"))
    token = Profile.for_user(roles.mkt_member).calendar_token
    assert response.context["calendar_feed_url"] == f"http://testserver/calendar/{token}.ics"
    assert response.context["calendar_feed_url"].encode() in response.content


def test_a_user_cannot_revoke_someone_elses_token(roles, client):
    token, _key = api_token_create(user=roles.admin, name="admin's")
    client.force_login(roles.mkt_member)
    assert client.post(reverse("profile_token_revoke", args=[token.pk])).status_code == 404
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None


def test_the_list_shows_only_my_tokens_without_their_keys(roles, client, django_assert_max_num_queries):
    mine = [api_token_create(user=roles.mkt_member, name=f"tool {i}") for i in range(5)]
    api_token_create(user=roles.admin, name="not mine")
    client.force_login(roles.mkt_member)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("profile"))
    assert list(page.context["tokens"]) == sorted((t for t, _ in mine), key=lambda t: t.created_at, reverse=True)
    for _token, key in mine:
        assert key.encode() not in page.content
    assert b"not mine" not in page.content


def test_the_admin_lists_tokens_and_can_only_revoke(roles, client):
    token, _key = api_token_create(user=roles.mkt_member, name="crm")
    client.force_login(roles.admin)
    assert client.get(reverse("admin:smarketing_apitoken_changelist")).status_code == 200
    assert client.get(reverse("admin:smarketing_apitoken_add")).status_code == 403
    client.post(
        reverse("admin:smarketing_apitoken_changelist"),
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    token.refresh_from_db()
    assert token.revoked_at is not None
