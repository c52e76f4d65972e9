"""Lead pages through the test client: rendering, actions with messages, capture, import, query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from leads import services
from leads.models import CaptureForm, Lead, LeadEvent, Stage


def mql(roles, email="v@example.com", **answers):
    return services.lead_create(
        data={"email": email, "first_name": "V", **answers}, team=roles.marketing, by=roles.mkt_manager, stage=Stage.MQL
    )


@pytest.mark.parametrize("name", ["leads:list", "leads:board", "leads:followups", "leads:visits"])
def test_pages_render_for_every_reader(roles, client, name):
    mql(roles)
    client.force_login(roles.viewer)
    assert client.get(reverse(name)).status_code == 200


def test_anonymous_is_sent_to_login(client):
    assert client.get(reverse("leads:list")).status_code == 302


def test_detail_shows_the_buttons_the_user_may_use(roles, client, sla):
    lead = mql(roles)
    client.force_login(roles.mkt_member)
    body = client.get(reverse("leads:detail", args=[lead.pk])).content.decode()
    assert "Hand off to sales" in body and "Accept" not in body
    client.force_login(roles.viewer)
    body = client.get(reverse("leads:detail", args=[lead.pk])).content.decode()
    assert "Hand off to sales" not in body and "Log an activity" not in body


def test_actions_flow_through_the_pages(roles, client, sla):
    lead = mql(roles, pain_identified=True, team_formed=True, timing_defined=True, budget_voted=True)
    client.force_login(roles.mkt_member)
    url = lambda name: reverse("leads:action", args=[lead.pk, name])  # noqa: E731
    assert client.post(url("handoff"), {"team": roles.sales.pk}).status_code == 302
    client.force_login(roles.sales_member)
    response = client.post(url("accept"), {}, follow=True)
    assert response.status_code == 200
    lead.refresh_from_db()
    assert lead.stage == Stage.SQL
    old = (dt.datetime.now() - dt.timedelta(days=0, hours=1)).strftime("%Y-%m-%dT%H:%M")
    client.post(url("activity"), {"kind": "call", "outcome": "reached", "note": "ok", "occurred_at": old})
    response = client.post(url("transition"), {"to": "opportunity", "expected_stage": "mql"}, follow=True)
    assert "reload" in response.content.decode()  # stale stage → message, nothing changed
    client.post(url("transition"), {"to": "opportunity", "expected_stage": "sql"})
    lead.refresh_from_db()
    assert lead.stage == Stage.OPPORTUNITY
    client.force_login(roles.viewer)
    response = client.post(url("transition"), {"to": "client", "deal_value": "10"}, follow=True)
    lead.refresh_from_db()
    assert lead.stage == Stage.OPPORTUNITY and "may not" in response.content.decode()


def test_board_move_redirects_back_to_the_board(roles, client):
    lead = services.lead_create(data={"email": "b@example.com"}, team=roles.marketing, by=roles.mkt_member)
    client.force_login(roles.mkt_member)
    response = client.post(
        reverse("leads:action", args=[lead.pk, "transition"]),
        {"to": "mql", "expected_stage": "prospect", "next": reverse("leads:board")},
    )
    assert response.status_code == 302 and response.url == reverse("leads:board")
    lead.refresh_from_db()
    assert lead.stage == Stage.MQL


def test_create_and_edit(roles, client):
    client.force_login(roles.mkt_member)
    response = client.post(
        reverse("leads:create"),
        {"team": roles.marketing.pk, "stage": "prospect", "email": "new@example.com", "first_name": "N"},
    )
    lead = Lead.objects.get(email="new@example.com")
    assert response.status_code == 302
    response = client.post(
        reverse("leads:edit", args=[lead.pk]), {"email": "new@example.com", "company": "Acme", "version": lead.version}
    )
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.company == "Acme"
    client.force_login(roles.sales_member)
    assert client.get(reverse("leads:create")).status_code == 403
    assert client.get(reverse("leads:edit", args=[lead.pk])).status_code == 403


def test_capture_dedupes_records_consent_and_is_rate_limited(roles, client):
    CaptureForm.objects.create(slug="contact", name="Contact", team=roles.marketing, channel="website")
    url = reverse("capture", args=["contact"])
    body = {"first_name": "Pat", "last_name": "Q", "email": "Pat@Example.com", "consent_to_contact": "on"}
    assert client.get(url).status_code == 200
    assert client.post(url, body).status_code == 200
    assert client.post(url, {**body, "email": "pat@example.com", "company": "Z"}).status_code == 200
    lead = Lead.objects.get()
    assert lead.consent_at is not None and lead.channel == "website" and lead.company == "Z"
    assert lead.events.filter(kind=LeadEvent.Kind.CAPTURED_AGAIN).count() == 1
    for _ in range(10):
        response = client.post(url, body)
    assert response.status_code == 429


def test_capture_is_csrf_protected(roles):
    from django.test import Client

    CaptureForm.objects.create(slug="contact", name="Contact", team=roles.marketing)
    response = Client(enforce_csrf_checks=True).post(reverse("capture", args=["contact"]), {"email": "a@b.c"})
    assert response.status_code == 403


def test_import_page_preview_then_confirm(roles, client, django_capture_on_commit_callbacks):
    client.force_login(roles.mkt_member)
    bad = b"email;stage;team;created_at\nx@y.com;mql;Nowhere;2026-13-45\nx@y.com;prospect;;\n"
    response = client.post(
        reverse("leads:import"), {"file": SimpleUploadedFile("a.csv", bad), "team": roles.marketing.pk}
    )
    assert response.status_code == 302
    page = client.get(response.url).content.decode()
    assert "Unknown marketing team" in page and "is not a date" in page and "Duplicate in the file" in page
    assert "Import all rows" not in page
    good = "E-mail,First name\nok@y.com,Olé\n".encode("latin-1")
    response = client.post(
        reverse("leads:import"), {"file": SimpleUploadedFile("b.csv", good), "team": roles.marketing.pk}
    )
    draft = response.url.split("draft=")[1]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("leads:import"),
            {"draft": draft, "map_email": "E-mail", "map_first_name": "First name", "confirm": "1"},
        )
    assert response.status_code == 302
    assert Lead.objects.get(email="ok@y.com").first_name == "Olé"
    assert "100%" in client.get(response.url, headers={"HX-Request": "true"}).content.decode()


@pytest.mark.parametrize("size", [3, 30])
def test_list_and_board_query_counts_do_not_grow(roles, client, django_assert_max_num_queries, size):
    for n in range(size):
        services.lead_create(data={"email": f"q{n}@example.com"}, team=roles.marketing, by=roles.mkt_member)
    client.force_login(roles.viewer)
    # Ten for the page, one for the navigation's unread-notifications badge (every page has it).
    with django_assert_max_num_queries(11):
        assert client.get(reverse("leads:list") + "?page_size=50").status_code == 200
    # The board adds three fixed queries: deal totals, the shown cards' pending handoffs, the
    # dialog's sales teams — none per card.
    with django_assert_max_num_queries(19):
        assert client.get(reverse("leads:board")).status_code == 200


def test_admin_shows_leads_and_never_lets_history_be_edited(roles, client):
    lead = services.lead_create(data={"email": "adm@example.com"}, team=roles.marketing, by=roles.mkt_member)
    event = lead.events.get()
    client.force_login(roles.admin)
    assert client.get(reverse("admin:leads_lead_changelist")).status_code == 200
    assert client.get(reverse("admin:leads_lead_change", args=[lead.pk])).status_code == 200
    assert client.get(reverse("admin:leads_leadevent_change", args=[event.pk])).status_code == 200
    assert client.post(reverse("admin:leads_leadevent_delete", args=[event.pk]), {"post": "yes"}).status_code == 403
    client.post(reverse("admin:leads_leadevent_change", args=[event.pk]), {"reason": "tampered"})
    event.refresh_from_db()
    assert event.reason == ""


def test_list_filters_by_owner_and_overdue(roles, client):
    lead = services.lead_create(data={"email": "own@example.com"}, team=roles.marketing, by=roles.mkt_member)
    services.lead_create(
        data={"email": "other@example.com", "company": "Zeta"}, team=roles.marketing, by=roles.mkt_member
    )
    Lead.objects.filter(pk=lead.pk).update(owner_user=roles.mkt_member)
    client.force_login(roles.viewer)
    body = client.get(reverse("leads:list"), {"owner_user": roles.mkt_member.pk}).content.decode()
    assert "own@example.com" in body and "other@example.com" not in body
    body = client.get(reverse("leads:list"), {"q": "zeta"}).content.decode()
    assert "other@example.com" in body and "own@example.com" not in body
    assert "own@example.com" not in client.get(reverse("leads:list"), {"overdue": "true"}).content.decode()
    export = client.get(reverse("leads:list"), {"export": "csv", "q": "zeta"})
    assert export["Content-Type"].startswith("text/csv") and b"other@example.com" in export.content


def test_import_page_refuses_a_binary_file_with_a_form_error(roles, client):
    client.force_login(roles.mkt_member)
    upload = SimpleUploadedFile("logo.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    response = client.post(reverse("leads:import"), {"file": upload, "team": roles.marketing.pk})
    assert response.status_code == 200
    assert "not a CSV text file" in response.content.decode()
