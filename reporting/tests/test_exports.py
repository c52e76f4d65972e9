"""Exports for spreadsheets: one table per CSV (UTF-8 with BOM, header with units, the reader's
delimiter and decimal mark), the XLSX with a sheet per table and number formats — read back as a
spreadsheet would, from the page and the API."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from reporting.exports import TABLES, CsvOptions, ExportError, report_export, report_tables, table_csv
from reporting.models import MonthlyReport
from reporting.tests.test_emails_monthly_report import make_month
from slas.tests.factories import make_sla

from .notify_helpers import active_sla

pytestmark = pytest.mark.django_db


@pytest.fixture
def report(roles) -> MonthlyReport:
    sla = active_sla(roles)
    make_month(sla, dt.date(2026, 8, 1), prospects=90, revenue=80000, first_contact=91.0)
    make_month(sla, dt.date(2026, 9, 1), prospects=120, revenue=90000, first_contact=95.0)
    return make_month(sla, dt.date(2026, 10, 1), prospects=105, revenue=83334, first_contact=85.7)


def _rows(content: bytes, delimiter: str = ",") -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf"), "UTF-8 with a BOM, or Excel reads it as Windows-1252"
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=delimiter))


def test_each_csv_holds_one_table_with_one_header_row_and_units(report):
    with translation.override("en"):
        tables = {table.name: table for table in report_tables(report)}
    assert list(tables) == list(TABLES)
    for table in tables.values():
        rows = _rows(table_csv(table, CsvOptions()))
        assert {len(row) for row in rows} == {len(table.headers)}, f"{table.name}: one shape of row"
        records = list(csv.DictReader(io.StringIO(table_csv(table, CsvOptions()).decode("utf-8-sig"))))
        assert len(records) == len(table.rows)
    commitments = _rows(table_csv(tables["commitments"], CsvOptions()))
    assert commitments[0] == ["Commitment", "Side", "Unit", "Target", "Actual", "Projected", "Status"]
    assert commitments[2] == ["Won revenue", "Sales", "EUR", "88500", "83334", "83334", "Missed"]
    assert commitments[3] == ["First contact in time", "Sales", "%", "90", "85.7", "85.7", "Missed"]
    trend = _rows(table_csv(tables["trend"], CsvOptions()))
    assert trend[0] == ["Month", "New prospects (number)", "First contact in time (%)", "Won revenue (EUR)"]
    # No months before the SLA's first report; months as dates.
    assert [row[0] for row in trend[1:]] == ["2026-08-01", "2026-09-01", "2026-10-01"]
    summary = dict(_rows(table_csv(tables["summary"], CsvOptions()))[1:])
    assert summary["Commitments met"] == "1" and summary["Commitments evaluated"] == "3"  # never "1/3"


def test_a_french_reader_gets_semicolons_decimal_commas_and_french_words(report):
    with translation.override("fr"):
        export = report_export(report, "csv", table="commitments", params={})
    rows = _rows(export.content, delimiter=";")
    assert rows[0] == ["Engagement", "Côté", "Unité", "Cible", "Réalisé", "Projection", "Statut"]
    assert rows[3] == ["Premier contact à temps", "Ventes", "%", "90", "85,7", "85,7", "Manqué"]


@pytest.mark.parametrize(
    ("params", "delimiter", "value"),
    [({"sep": "tab", "decimal": "comma"}, "\t", "85,7"), ({"sep": "semicolon", "decimal": "point"}, ";", "85.7")],
)
def test_an_explicit_choice_wins_over_the_language(report, params, delimiter, value):
    with translation.override("fr"):
        export = report_export(report, "csv", table="commitments", params=params)
    assert _rows(export.content, delimiter=delimiter)[3][4] == value


@pytest.mark.parametrize(
    "params", [{"sep": "pipe"}, {"decimal": "dot"}, {"sep": "comma", "decimal": "comma"}, {"table": "nope"}]
)
def test_a_bad_option_is_a_clear_400_on_the_page(client, roles, report, params):
    client.force_login(roles.viewer)
    response = client.get(reverse("reporting:report_csv", args=[report.pk]), params)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    assert any(word in response.content.decode() for word in ("use", "cannot"))
    with pytest.raises(ExportError):
        report_export(report, "csv", table=params.get("table", "commitments"), params=params)


def test_the_xlsx_round_trips_with_a_sheet_per_table_and_number_formats(report):
    with translation.override("en"):
        export = report_export(report, "xlsx")
    workbook = load_workbook(io.BytesIO(export.content))
    assert workbook.sheetnames == ["Summary", "Commitments", "Funnel", "12-month trend"]
    sheet = workbook["Commitments"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Commitment", "Side", "Unit", "Target", "Actual", "Projected", "Status")
    assert rows[2] == ("Won revenue", "Sales", "EUR", 88500, 83334, 83334, "Missed")
    assert rows[3][3:5] == (0.9, pytest.approx(0.857))
    assert sheet["E3"].number_format == '#,##0 "€"'
    assert sheet["E4"].number_format == "0.0%"
    assert sheet.freeze_panes == "A2"
    trend = workbook["12-month trend"]
    assert trend["A2"].value.date() == dt.date(2026, 8, 1) and trend["A2"].number_format == "mmm yyyy"
    assert [cell.value for cell in trend["B"]][1:] == [90, 120, 105]
    assert [cell.value for cell in trend["D"]][1:] == [80000, 90000, 83334]


def test_page_api_and_email_use_the_same_export(client, roles, report, django_capture_on_commit_callbacks):
    client.force_login(roles.viewer)
    page = client.get(reverse("reporting:report_csv", args=[report.pk]), HTTP_ACCEPT_LANGUAGE="en")
    api = client.get(f"/api/v1/reports/{report.pk}/export.csv", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == api.status_code == 200
    assert page.content == api.content
    assert page["Content-Disposition"] == f'attachment; filename="report-{report.sla_id}-2026-10-commitments.csv"'
    xlsx = client.get(f"/api/v1/reports/{report.pk}/export.xlsx")
    assert xlsx.status_code == 200 and load_workbook(io.BytesIO(xlsx.content)).sheetnames[0] == "Summary"
    bad = client.get(f"/api/v1/reports/{report.pk}/export.csv", {"sep": "pipe"})
    assert bad.status_code == 400 and bad["Content-Type"] == "application/json"
    assert "comma, semicolon or tab" in bad.content.decode()
    assert client.get("/api/v1/reports/999999/export.csv").status_code == 404


def test_formulas_in_text_cells_are_neutralised_in_csv_and_xlsx(roles):
    sla = make_sla(roles.marketing, roles.sales)
    sla.title = '=HYPERLINK("http://evil/","x")'
    sla.save(update_fields=["title"])
    report = make_month(sla, dt.date(2026, 10, 1), prospects=1, revenue=1, first_contact=1.0)
    with translation.override("en"):
        summary = _rows(report_export(report, "csv", table="summary", params={}).content)
        workbook = load_workbook(io.BytesIO(report_export(report, "xlsx").content))
    assert summary[1][1] == "'" + sla.title
    assert workbook["Summary"]["B2"].value == "'" + sla.title
