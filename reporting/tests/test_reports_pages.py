"""Report pages, exports, recompute button."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse

from leads.models import Lead, LeadEvent
from reporting.models import ReportAudit
from reporting.services import report_compute
from reporting.tests.builders import at, event, followup, reach
from slas.models import SLA
from slas.tests.factories import make_sla

MARCH = dt.date(2026, 3, 1)


@pytest.fixture
def report(roles):
    sla = make_sla(roles.marketing, roles.sales, status=SLA.Status.ACTIVE)
    lead = Lead.objects.create(first_name="Zoé", last_name="Martin", owner_team=roles.marketing)
    reach(
        lead,
        "prospect",
        at("2026-03-03 10:00"),
        team=roles.marketing,
        recorded_at=at("2026-03-06 10:00"),
        is_late_entry=True,
    )
    event(lead, LeadEvent.Kind.RETURNED, at("2026-03-12 10:00"), sla=sla, payload={"has_feedback": False})
    followup(
        lead,
        sla,
        "first_contact",
        due=at("2026-03-10 10:00"),
        done=at("2026-03-10 09:00"),
        hours=2.5,
        owner_user=roles.sales_member,
    )
    return report_compute(sla=sla, month=MARCH)


def test_the_report_page_shows_both_sides_and_the_lists(client, roles, report):
    client.force_login(roles.sales_manager)
    response = client.get(reverse("reporting:report_detail", args=[report.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        "Marketing",
        "Sales",
        "New prospects",
        "First contact in time",
        "Zoé Martin",
        "Per owner",
        "chart.umd.min.js",
        'id="report-charts"',
        "Recompute",
        "Late entries",
        "without feedback",
    ):
        assert text in html, text


def test_a_member_sees_the_report_without_owner_breakdown_or_recompute(client, roles, report):
    client.force_login(roles.viewer)
    html = client.get(reverse("reporting:report_detail", args=[report.pk])).content.decode()
    assert "Per owner" not in html
    assert "Recompute" not in html
    assert client.post(reverse("reporting:report_recompute", args=[report.pk])).status_code == 403
    assert not ReportAudit.objects.exists()


def test_a_manager_recomputes_from_the_page(client, roles, report):
    client.force_login(roles.mkt_manager)
    response = client.post(reverse("reporting:report_recompute", args=[report.pk]))
    assert response.status_code == 302
    assert ReportAudit.objects.filter(report=report, recomputed_by=roles.mkt_manager).exists()


def test_the_list_links_every_report(client, roles, report):
    client.force_login(roles.sales_member)
    html = client.get(reverse("reporting:report_list")).content.decode()
    assert reverse("reporting:report_detail", args=[report.pk]) in html
    assert reverse("reporting:report_pdf", args=[report.pk]) in html


def test_csv_export(client, roles, report):
    client.force_login(roles.viewer)
    response = client.get(reverse("reporting:report_csv", args=[report.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "Commitment,Side,Unit,Target,Actual,Projected,Status"
    assert "New prospects,Marketing,number,100,1,1,Missed" in lines


def test_pdf_export(client, roles, report):
    client.force_login(roles.viewer)
    response = client.get(reverse("reporting:report_pdf", args=[report.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert len(response.content) > 2000


def test_anonymous_users_are_sent_to_login(client, report):
    response = client.get(reverse("reporting:report_detail", args=[report.pk]))
    assert response.status_code == 302


def test_the_pdf_reads_like_the_report(client, roles, report):
    from pypdf import PdfReader

    client.force_login(roles.viewer)
    content = client.get(reverse("reporting:report_pdf", args=[report.pk])).content
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    for fragment in ("Compliance report", "Scorecard", "New prospects", "Missed", "Funnel"):
        assert fragment in text, fragment


def test_without_weasyprint_the_pdf_link_says_so_and_the_report_still_shows(client, roles, report, monkeypatch):
    """A machine without Pango (WeasyPrint loads it at import): a clear 503, never a 500 or a blank page."""
    import sys

    monkeypatch.setitem(sys.modules, "weasyprint", None)  # `import weasyprint` now fails, as without Pango
    client.force_login(roles.viewer)
    response = client.get(reverse("reporting:report_pdf", args=[report.pk]))
    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/plain")
    assert "The PDF could not be produced" in response.content.decode()
    assert client.get(reverse("reporting:report_detail", args=[report.pk])).status_code == 200


def test_the_report_page_query_count_does_not_grow_with_leads(client, roles, report, django_assert_max_num_queries):
    for _ in range(30):
        reach(
            Lead.objects.create(owner_team=roles.marketing),
            "prospect",
            at("2026-03-04 10:00"),
            team=roles.marketing,
            recorded_at=at("2026-03-09 10:00"),
            is_late_entry=True,
        )
    client.force_login(roles.sales_manager)
    with django_assert_max_num_queries(25):
        response = client.get(reverse("reporting:report_detail", args=[report.pk]))
    assert response.status_code == 200


def test_the_report_list_keeps_its_filters_when_paging(client, roles):
    """One shared pagination include: page links keep the other query parameters."""
    from django.core.paginator import Paginator
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    request = RequestFactory().get("/reports/?sla=3&month=2026-10&page=2")
    html = render_to_string("_pagination.html", {"page": Paginator(range(100), 10).get_page(2)}, request=request)
    assert 'href="?sla=3&amp;month=2026-10&amp;page=1"' in html
    assert 'href="?sla=3&amp;month=2026-10&amp;page=3"' in html
