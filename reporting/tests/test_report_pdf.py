"""The report PDF as a reader gets it: laid out by WeasyPrint, turned into page images with
``pdftoppm`` and read back with ``pdftotext`` (poppler), in English and French."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest
from django.urls import reverse

from leads.models import Lead, LeadEvent
from reporting.services import report_compute
from reporting.tests.builders import at, event, followup, reach
from slas.models import SLA
from slas.tests.factories import make_sla

from .notify_helpers import set_profile

pytestmark = pytest.mark.skipif(
    not (shutil.which("pdftoppm") and shutil.which("pdftotext")), reason="poppler-utils (pdftoppm, pdftotext) missing"
)


@pytest.fixture
def march_report(roles):
    """An SLA that began on 1 January 2026 and its March report, with a miss and late entries."""
    sla = make_sla(roles.marketing, roles.sales, status=SLA.Status.ACTIVE, start=dt.date(2026, 1, 1))
    for index in range(3):
        lead = Lead.objects.create(
            first_name=f"Zoé{index}", last_name="Martin", company="Élan SA", owner_team=roles.marketing
        )
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
    report_compute(sla=sla, month=dt.date(2026, 1, 1))
    report_compute(sla=sla, month=dt.date(2026, 2, 1))
    return report_compute(sla=sla, month=dt.date(2026, 3, 1))


def _pdf(client, user, report, language: str, tmp_path: Path) -> tuple[str, list[Path]]:
    """The PDF's text (``pdftotext -layout``) and its pages as PNG files (``pdftoppm``)."""
    client.force_login(user)
    response = client.get(reverse("reporting:report_pdf", args=[report.pk]), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    path = tmp_path / f"report-{language}.pdf"
    path.write_bytes(response.content)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True, timeout=60
    ).stdout
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(path), str(tmp_path / language)], check=True, timeout=120)
    return text, sorted(tmp_path.glob(f"{language}-*.png"))


def _pages(text: str) -> list[str]:
    return [page for page in text.split("\f") if page.strip()]


def test_the_english_pdf_prints_months_units_and_page_furniture(client, roles, march_report, tmp_path):
    text, images = _pdf(client, roles.viewer, march_report, "en", tmp_path)
    pages = _pages(text)
    assert len(images) == len(pages) >= 2, "one image per page, every page with text"
    assert all(image.stat().st_size > 2000 for image in images), "no blank page"
    assert "Compliance report — March 2026" in text
    # Months as people write them, and only the months since the SLA began.
    for month in ("Jan 2026", "Feb 2026", "Mar 2026"):
        assert month in text, month
    assert "2025" not in text and "26-03" not in text
    assert "The 3 months since the SLA began" in text
    # Every figure with its unit: percent, euro, hours.
    assert "%" in text and "€" in text
    assert " h" in text and "2.5 h" in text
    # The header names the SLA and the period on every page; the footer numbers the pages.
    for number, page in enumerate(pages, start=1):
        assert march_report.sla.title in page and "March 2026" in page
        assert f"Page {number} / {len(pages)}" in page
    # The chart's labels are text in the PDF (SVG, not a bitmap).
    assert "% of target" in text
    assert "Zoé0 Martin" in text


def test_the_french_pdf_is_french(client, roles, march_report, tmp_path):
    set_profile(roles.viewer, language="fr")
    text, images = _pdf(client, roles.viewer, march_report, "fr", tmp_path)
    assert images
    assert "Rapport de conformité — mars 2026" in text
    for month in ("janv.\u00a02026", "févr.\u00a02026", "mars\u00a02026"):
        assert month in text or month.replace("\u00a0", " ") in text, month
    assert "Fiche de résultats" in text or "Tableau de bord" in text or "Engagement" in text
    assert "2,5\u00a0h" in text or "2,5 h" in text
    assert "Page 1 / " in text
    for english in ("Compliance report", "Scorecard", "Commitment", "Late entries", "months since", "Owner:", "Missed"):
        assert english not in text, english


def test_a_commitment_without_data_has_no_bar_and_a_dash_not_zero_percent():
    from reporting.charts import scorecard_shares, scorecard_svg

    data = {
        "commitments": [
            {"key": "mql_acceptance_rate", "unit": "percent", "target": 70, "actual": None, "status": "no_data"},
            {"key": "mql_volume", "unit": "count", "target": 30, "actual": 0, "status": "missed"},
        ]
    }
    no_data, zero = scorecard_shares(data)
    assert no_data["share"] is None and zero["share"] == 0
    svg = scorecard_svg(data).decode()
    assert svg.count("—") == 1, "the commitment without data reads '—'"
    assert svg.count(">0\u00a0%<") == 2, "the measured 0 and the axis' 0, nothing for the one without data"
