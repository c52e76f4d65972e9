from __future__ import annotations

import pytest
from django.urls import reverse

from slas.models import Profile
from slas.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_language_switch_turns_the_pages_french_and_back(client):
    client.force_login(UserFactory(username="marion"))
    response = client.post(reverse("set_language"), {"language": "fr", "next": "/"}, follow=True)
    assert response.status_code == 200
    assert '<html lang="fr">' in response.text
    assert "Tableau de bord" in response.text

    response = client.post(reverse("set_language"), {"language": "en", "next": "/"}, follow=True)
    assert '<html lang="en">' in response.text
    assert "Dashboard" in response.text


def test_a_users_saved_language_is_used_without_the_switch(client):
    user = UserFactory(username="marion")
    Profile.objects.create(user=user, language="fr")
    client.force_login(user)
    assert "Tableau de bord" in client.get("/").text


def test_the_login_page_is_translated(client):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="fr")
    assert "Se connecter" in response.text


def test_the_language_switch_is_saved_to_the_profile_and_holds_at_the_next_sign_in(client):
    from django.test import Client

    user = UserFactory(username="mathis")
    Profile.objects.create(user=user, language="en")
    client.force_login(user)
    client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    assert Profile.objects.get(user=user).language == "fr"
    other_browser = Client()  # no language cookie: the profile decides
    other_browser.force_login(user)
    assert "Tableau de bord" in other_browser.get("/").text
    client.post(reverse("set_language"), {"language": "xx", "next": "/"})
    assert Profile.objects.get(user=user).language == "fr"
    Client().post(reverse("set_language"), {"language": "en", "next": "/"})  # signed out: cookie only
    assert Profile.objects.get(user=user).language == "fr"
