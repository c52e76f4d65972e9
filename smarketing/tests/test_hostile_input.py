"""Issue 13: hostile input never gives a 5xx. One test per trigger the audit found.

The test client re-raises a view's exception, so each of these failed (with the exception)
before the fix; now each answers a 4xx: JSON under /api/, the styled page elsewhere.
"""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from leads import services as lead_services
from leads.models import ImportFile
from slas.tests.factories import make_sla
from smarketing.models import Job

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(admin_api) -> APIClient:
    return admin_api


def _is_json_error(response, status: int) -> bool:
    return (
        response.status_code == status
        and response["Content-Type"] == "application/json"
        and "detail" in response.json()
    )


@pytest.mark.parametrize("path", ["/api/v1/leads/", "/api/v1/webhooks/", "/api/v1/slas/", "/api/v1/auth/token/"])
def test_deeply_nested_json_is_a_400_not_a_recursion_error(api, path):
    response = api.post(path, "[" * 50_000, content_type="application/json")
    assert _is_json_error(response, 400)


def test_json_deeper_than_the_limit_is_refused_and_within_it_accepted(roles, api, settings):
    settings.JSON_MAX_DEPTH = 5
    deep = {"a": {"b": {"c": {"d": {"e": {"f": 1}}}}}}
    assert _is_json_error(api.post("/api/v1/leads/", deep, format="json"), 400)
    shallow = {"email": "ok@example.com", "first_name": "Ok", "team": roles.marketing.pk}
    assert api.post("/api/v1/leads/", shallow, format="json").status_code == 201


@pytest.mark.parametrize(
    "body", ['{"email": "a@b.c", "first_name": "x\\u0000y"}', '{"email": "a@b.c", "first_name": "\\ud800"}']
)
def test_nul_and_lone_surrogates_in_json_are_refused_by_the_parser(api, body):
    assert _is_json_error(api.post("/api/v1/leads/", body, content_type="application/json"), 400)


def test_a_nul_byte_in_a_page_path_is_a_400_page(client):
    response = client.get("/calendar/%00.ics")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html") and b"Bad request" in response.content


def test_a_nul_byte_in_an_api_query_is_a_400_json(api):
    assert _is_json_error(api.get("/api/v1/followups/", {"status": "\x00"}), 400)


def test_a_nul_byte_in_a_form_field_is_refused_at_the_edge(roles, client):
    client.force_login(roles.mkt_manager)
    response = client.post(reverse("leads:create"), {"email": "x@example.com", "first_name": "a\x00b"})
    assert response.status_code == 400


def test_an_import_mapping_with_a_lone_surrogate_is_a_400(roles, api):
    upload = SimpleUploadedFile("a.csv", b"email\nx@example.com\n")
    response = api.post(
        "/api/v1/imports/",
        {"file": upload, "team": roles.marketing.pk, "mapping": '{"\\ud800": "email"}'},
        format="multipart",
    )
    assert response.status_code == 400 and "mapping" in response.json()["errors"]
    assert not Job.objects.exists() and not ImportFile.objects.exists()


@pytest.mark.parametrize("mapping", ['["email"]', '"email"', "{not json", '{"email": "password"}', '{"email": 3}'])
def test_a_malformed_import_mapping_is_a_400_before_any_job(roles, api, mapping):
    upload = SimpleUploadedFile("a.csv", b"email\nx@example.com\n")
    response = api.post(
        "/api/v1/imports/", {"file": upload, "team": roles.marketing.pk, "mapping": mapping}, format="multipart"
    )
    assert response.status_code == 400 and "mapping" in response.json()["errors"]
    assert not Job.objects.exists()


def test_a_page_size_of_zero_or_nonsense_falls_back(roles, client):
    client.force_login(roles.viewer)
    for size in ("0", "-5", "abc", "99999999999999999999"):
        assert client.get(reverse("leads:list"), {"page_size": size}).status_code == 200


def test_comparing_with_a_non_numeric_version_is_not_a_500(roles, client):
    sla = make_sla(roles.marketing, roles.sales)
    client.force_login(roles.viewer)
    assert client.get(reverse("slas:compare", args=[sla.pk]), {"other": "abc"}).status_code == 200


def test_signing_for_a_non_numeric_team_is_a_404(roles, client):
    sla = make_sla(roles.marketing, roles.sales)
    client.force_login(roles.mkt_manager)
    assert client.post(reverse("slas:sign", args=[sla.pk]), {"team": "abc"}).status_code == 404


def test_editing_a_lead_with_a_non_numeric_version_is_not_a_500(roles, client):
    lead = lead_services.lead_create(data={"email": "v@example.com"}, team=roles.marketing, by=roles.mkt_member)
    client.force_login(roles.mkt_member)
    response = client.post(reverse("leads:edit", args=[lead.pk]), {"email": "v@example.com", "version": "abc"})
    assert response.status_code in (200, 302)


def test_a_csv_cell_over_the_csv_field_limit_is_a_field_error(roles, api, client):
    text = b"email,company\nx@example.com," + b"A" * 140_000 + b"\n"
    response = api.post(
        "/api/v1/imports/",
        {"file": SimpleUploadedFile("big.csv", text), "team": roles.marketing.pk},
        format="multipart",
    )
    assert response.status_code == 400 and "file" in response.json()["errors"]
    client.force_login(roles.mkt_member)
    page = client.post(
        reverse("leads:import"), {"file": SimpleUploadedFile("big.csv", text), "team": roles.marketing.pk}
    )
    assert page.status_code == 200 and "cannot be read as CSV" in page.content.decode()
    assert not ImportFile.objects.exists()


def test_a_membership_without_a_role_is_a_member(roles, api):
    response = api.post(
        "/api/v1/users/",
        {"username": "norole", "password": "Lo0ng-enough-secret", "memberships": [{"team": roles.sales.pk}]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["memberships"][0]["role"] == "member"


def test_a_weak_password_for_a_new_user_is_a_field_error(api):
    response = api.post("/api/v1/users/", {"username": "weak", "password": "1"}, format="json")
    assert response.status_code == 400 and "password" in response.json()["errors"]


def test_category_hours_as_a_list_is_a_field_error(roles, api):
    body = {
        "title": "List hours",
        "marketing_team": roles.marketing.pk,
        "sales_team": roles.sales.pk,
        "start_date": "2026-01-01",
        "end_date": "2026-12-31",
        "commitments": [{"key": "first_contact", "target": "90", "hours": "4", "category_hours": [1, 2]}],
    }
    response = api.post("/api/v1/slas/", body, format="json")
    assert response.status_code == 400, response.json()


def test_a_25_mb_body_is_a_413_json_under_the_api_and_a_page_elsewhere(roles, api, client):
    big = b"x" * (25 * 1024 * 1024)
    assert _is_json_error(api.post("/api/v1/leads/", big, content_type="application/json"), 413)
    client.force_login(roles.mkt_member)
    page = client.post(reverse("leads:create"), big, content_type="application/x-www-form-urlencoded")
    assert page.status_code == 413 and page["Content-Type"].startswith("text/html")
    assert b"Too large" in page.content and b'href="/"' in page.content


def test_error_pages_are_styled_with_navigation_in_both_languages(roles, client):
    client.force_login(roles.viewer)
    page = client.get("/no-such-page/")
    assert page.status_code == 404 and b"Page not found" in page.content and b"navbar" in page.content
    client.cookies["django_language"] = "fr"
    page = client.get("/no-such-page/")
    assert page.status_code == 404 and b"Page introuvable" in page.content
    forbidden = client.get(reverse("leads:create"))
    assert forbidden.status_code == 403 and b"navbar" in forbidden.content


def test_the_500_page_is_styled_and_json_under_the_api(rf):
    from django.utils import translation

    from smarketing.errors import handler500

    translation.activate("en")
    page = handler500(rf.get("/leads/"))
    assert page.status_code == 500 and b"Something went wrong" in page.content
    assert json.loads(handler500(rf.get("/api/v1/leads/")).content) == {"detail": "Server error.", "errors": {}}
