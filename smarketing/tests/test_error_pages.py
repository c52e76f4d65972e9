"""Issue 17, item 6: error pages are styled, navigable and in the reader's language; a refusal
says why and who may do it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from slas.models import Profile

pytestmark = pytest.mark.django_db


def _french(client, user) -> None:
    Profile.objects.update_or_create(user=user, defaults={"language": "fr"})
    client.force_login(user)


def test_a_refusal_says_why_who_may_and_who_you_are_in_french(roles, client):
    _french(client, roles.sales_member)
    response = client.get(reverse("slas:create"))
    assert response.status_code == 403
    text = response.text
    assert '<html lang="fr">' in text and "Non autorisé" in text
    assert "Seul un administrateur ou un responsable d’une équipe marketing ou commerciale" in text
    name = roles.sales_member.get_full_name() or roles.sales_member.username
    assert f"Vous êtes connecté en tant que {name}" in text
    assert 'href="/leads/"' in text and "Tableau de bord" in text  # the navigation is there


def test_a_refusal_in_english_names_the_role(roles, client):
    client.force_login(roles.viewer)
    response = client.get(reverse("webhooks:list"))
    assert response.status_code == 403
    assert "Only team managers and administrators manage webhooks." in response.text
    assert "You are signed in as" in response.text and "(Viewer)" in response.text


@pytest.mark.parametrize(
    ("path", "status", "english", "french"),
    [
        ("/no-such-page/", 404, "Page not found", "Page introuvable"),
        ("/leads/999999/", 404, "Page not found", "Page introuvable"),
    ],
)
def test_not_found_is_a_page_with_navigation_in_both_languages(roles, client, path, status, english, french):
    client.force_login(roles.sales_member)
    response = client.get(path)
    assert response.status_code == status and english in response.text and 'href="/leads/"' in response.text
    _french(client, roles.sales_member)
    response = client.get(path)
    assert response.status_code == status and french in response.text and "Tableau de bord" in response.text


def test_the_400_and_500_pages_render_in_french(rf, roles):
    from django.utils import translation

    from smarketing.errors import handler400, handler500

    request = rf.get("/")
    request.user = roles.sales_member
    with translation.override("fr"):
        bad, broken = handler400(request), handler500(request)
    assert bad.status_code == 400 and "Requête incorrecte." in bad.content.decode()
    body = broken.content.decode()
    assert broken.status_code == 500 and "Une erreur est survenue" in body and 'lang="fr"' in body
    assert 'href="/leads/"' in body
