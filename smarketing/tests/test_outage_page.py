"""The 503 page (``smarketing.errors.unavailable_response``) is drawn, and its language switched,
without the database: no test database is allowed here, so any query would fail the test."""

from __future__ import annotations

from django.conf import settings
from django.test import RequestFactory

from smarketing.errors import unavailable_response


def _page(path: str, **headers) -> tuple[object, str]:
    response = unavailable_response(RequestFactory().get(path, **headers))
    return response, response.content.decode()


def test_the_503_page_follows_the_browser_and_offers_the_other_language_as_a_plain_link():
    response, html = _page("/leads/?page=2", HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 503 and response["Retry-After"].isdigit()
    assert response["Content-Language"] == "fr"
    assert '<html lang="fr">' in html and "Brièvement indisponible" in html
    # A link to the same address, not the set_language form (no CSRF token, nothing to save).
    assert 'href="/leads/?language=en"' in html and 'hreflang="en"' in html
    assert "set_language" not in html and "csrfmiddlewaretoken" not in html and "/i18n/" not in html
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


def test_choosing_a_language_on_the_503_page_renders_it_and_keeps_it_in_the_cookie():
    response, html = _page("/leads/?language=fr", HTTP_ACCEPT_LANGUAGE="en")
    assert '<html lang="fr">' in html and "Brièvement indisponible" in html
    assert 'href="/leads/?language=en"' in html
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "fr" and cookie["path"] == settings.LANGUAGE_COOKIE_PATH
    back, html = _page("/leads/?language=en", HTTP_COOKIE=f"{settings.LANGUAGE_COOKIE_NAME}=fr")
    assert '<html lang="en">' in html and "Briefly unavailable" in html
    assert back.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"


def test_the_503_page_keeps_the_cookies_language_and_ignores_an_unknown_one():
    response, html = _page("/?language=xx", HTTP_COOKIE=f"{settings.LANGUAGE_COOKIE_NAME}=fr")
    assert '<html lang="fr">' in html
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


def test_the_api_still_answers_json():
    response = unavailable_response(RequestFactory().get("/api/v1/leads/?language=fr"))
    assert response.status_code == 503 and response["Content-Type"] == "application/json"
