"""The monthly report e-mail a manager forwards: content with units and words of the reader's
language, the items behind each miss, MIME structure and list headers, and the unsubscribe rule."""

from __future__ import annotations

import datetime as dt
import email
import io
import re

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.test import Client
from openpyxl import load_workbook

from reporting.emails import message_for, top_changes
from reporting.models import MonthlyReport, Notification, ReportSubscription
from reporting.notifications.monthly import monthly_report_send, report_recipients

from .notify_helpers import active_sla, followup, set_profile

OCTOBER = dt.date(2026, 10, 1)


def commitments(*, prospects: int, revenue: int, first_contact: float) -> list[dict]:
    def row(key, side, unit, target, actual):
        return {
            "key": key,
            "side": side,
            "unit": unit,
            "target": target,
            "actual": actual,
            "projected": actual,
            "status": "met" if actual >= target else "missed",
        }

    return [
        row("prospects_volume", "marketing", "count", 100, prospects),
        row("won_revenue", "sales", "amount", 88500, revenue),
        row("first_contact", "sales", "percent", 90, first_contact),
    ]


def make_month(sla, month: dt.date, **figures) -> MonthlyReport:
    rows = commitments(**figures)
    met = sum(row["status"] == "met" for row in rows)
    data = {
        "sla": sla.pk,
        "version": sla.version,
        "month": f"{month:%Y-%m}",
        "state": "closed",
        "overall": {"met": met, "evaluable": len(rows), "score": round(100 * met / len(rows), 1)},
        "commitments": rows,
        "funnel": {"entries": {"prospect": 80, "mql": 30}, "conversion_rates": {"prospect_to_mql": 37.5}},
        "currency": "EUR",
    }
    return MonthlyReport.objects.create(sla=sla, month=month, data=data, engine_version="test")


@pytest.fixture
def report(roles):
    sla = active_sla(roles)
    make_month(sla, dt.date(2026, 9, 1), prospects=120, revenue=90000, first_contact=95.0)
    # One first contact due in October and never made: the item behind the first-contact miss.
    late = followup(sla, due_at=dt.datetime(2026, 10, 14, 9, 0, tzinfo=dt.UTC), owner_user=roles.sales_member)
    late.lead.company = "Globex"
    late.lead.save(update_fields=["company"])
    return make_month(sla, OCTOBER, prospects=105, revenue=83334, first_contact=85.7)


def _send(report, capture) -> list:
    with capture(execute=True):
        monthly_report_send(report=report)
    return mail.outbox


def _to(user):
    return next(m for m in mail.outbox if m.to == [user.email])


def test_managers_of_both_teams_and_subscribers_get_one_report_each(roles, report, django_capture_on_commit_callbacks):
    ReportSubscription.objects.create(user=roles.viewer, sla_series=report.sla.series)
    ReportSubscription.objects.create(user=roles.mkt_member, sla_series=report.sla.series, unsubscribed=True)
    outbox = _send(report, django_capture_on_commit_callbacks)
    assert sorted(m.to[0] for m in outbox) == sorted(
        [roles.mkt_manager.email, roles.sales_manager.email, roles.viewer.email]
    )
    _send(report, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 3
    report.refresh_from_db()
    assert report.sent_at is not None


def test_the_english_email_reads_with_units_headline_misses_and_what_to_discuss(
    roles, report, django_capture_on_commit_callbacks
):
    _send(report, django_capture_on_commit_callbacks)
    message = _to(roles.sales_manager)
    assert message.subject == f"Monthly SLA report: {report.sla.title}, October 2026 — 1 of 3 met"
    text = message.body
    assert "1 of 3 commitments met, 2 fewer than September" in text
    assert "- Won revenue (Sales): 83,334\u00a0€ / 88,500\u00a0€ — Missed" in text
    assert "- First contact in time (Sales): 85.7\u00a0% / 90\u00a0% — Missed" in text
    assert "- New prospects (Marketing): 105 / 100 — Met" in text
    # The item behind the first-contact miss, linked; revenue has no items but says what to look at.
    assert re.search(r"- Ada Lovelace \(Globex\) — .*: http://\S+/leads/\d+/", text)
    assert "Less revenue won than agreed" in text
    assert "What to discuss at the monthly review" in text
    assert "Sales: First contact in time missed (85.7\u00a0% against 90\u00a0%) — go through the 1 item" in text
    assert f"Open the report: {settings.SITE_URL}/reports/{report.pk}/" in text
    html = message.alternatives[0].content
    image = re.search(r"<img [^>]*>", html).group(0)
    assert 'src="cid:scorecard"' in image and 'width="560"' in image
    assert "width: 100%;max-width: 560px;height: auto" in image  # scales down to a phone's width
    assert 'alt="New prospects: 105 of 100, met; Won revenue: 83,334&nbsp;€ of 88,500&nbsp;€, missed' in image
    assert "background: #dc3545" in html  # the SLA's colour for a miss, inlined
    assert 'style="' in html.split("<body", 1)[1][:400]  # CSS inlined into the table cells


def test_mime_structure_headers_and_attachments(roles, report, django_capture_on_commit_callbacks):
    _send(report, django_capture_on_commit_callbacks)
    message = _to(roles.mkt_manager)
    parsed = email.message_from_bytes(message.message().as_bytes())
    assert parsed.get_content_type() == "multipart/mixed"
    related, csv_part, xlsx_part = parsed.get_payload()
    assert related.get_content_type() == "multipart/related"
    alternative, image = related.get_payload()
    assert [p.get_content_type() for p in alternative.get_payload()] == ["text/plain", "text/html"]
    assert image["Content-ID"] == "<scorecard>"
    png = image.get_payload(decode=True)
    assert png.startswith(b"\x89PNG") and int.from_bytes(png[16:20], "big") == 1120  # 2 × 560 px
    assert csv_part.get_filename() == f"report-{report.sla_id}-2026-10-commitments.csv"
    csv_bytes = csv_part.get_payload(decode=True)
    assert csv_bytes.startswith(b"\xef\xbb\xbf")
    assert csv_bytes.decode("utf-8-sig").splitlines()[0] == "Commitment,Side,Unit,Target,Actual,Projected,Status"
    workbook = load_workbook(io.BytesIO(xlsx_part.get_payload(decode=True)))
    assert workbook.sheetnames == ["Summary", "Commitments", "Funnel", "12-month trend"]
    # Headers: one-click unsubscribe (RFC 8058), automatic, and a Message-ID stable across retries.
    unsubscribe = " ".join(parsed["List-Unsubscribe"].split())  # unfolded
    assert re.fullmatch(
        r"<http://\S+/notifications/unsubscribe/\S+/>, <mailto:unsubscribe@\S+\?subject=\S+>", unsubscribe
    )
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parsed["Auto-Submitted"] == "auto-generated"
    notification = Notification.objects.get(recipient=roles.mkt_manager, kind=Notification.Kind.MONTHLY_REPORT)
    assert parsed["Message-ID"] == f"<notification-{notification.pk}.{roles.mkt_manager.pk}@smarketing.localhost>"
    assert message_for(notification).message()["Message-ID"] == parsed["Message-ID"]


def test_the_french_email_has_french_words_numbers_and_chart_labels(roles, report, django_capture_on_commit_callbacks):
    set_profile(roles.mkt_manager, language="fr")
    _send(report, django_capture_on_commit_callbacks)
    french = _to(roles.mkt_manager)
    assert "octobre 2026" in french.subject
    text = french.body
    assert "83\u00a0334\u00a0€ / 88\u00a0500\u00a0€ — Manqué" in text
    assert "85,7\u00a0%" in text
    assert "Manqué" in text and "Missed" not in text
    assert "Nouveaux prospects (Marketing)" in text
    html = french.alternatives[0].content
    assert '<html lang="fr">' in html
    assert "Nouveaux prospects\u00a0: 105 sur 100, tenu" in html  # typeset: French spacing
    for english in ("met", "missed", "% of target", "prospects_volume", "Open the report"):
        assert english not in text


def test_the_three_biggest_changes_are_ranked_against_the_target(roles, report):
    previous = MonthlyReport.objects.get(month=dt.date(2026, 9, 1))
    changes = top_changes(report, previous)
    assert [c["key"] for c in changes] == ["first_contact", "won_revenue", "prospects_volume"]
    assert top_changes(report, None) == []


def test_a_manager_who_unsubscribes_stops_receiving_it_and_the_page_says_so_truthfully(
    roles, report, django_capture_on_commit_callbacks
):
    _send(report, django_capture_on_commit_callbacks)
    message = _to(roles.mkt_manager)
    link = next(line for line in message.body.splitlines() if "/unsubscribe/" in line).split(": ", 1)[1]
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    client = Client(enforce_csrf_checks=True)
    assert client.get(path).status_code == 200
    # RFC 8058 one-click: the mail provider POSTs the form body without cookie or CSRF token.
    response = client.post(path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert "you will no longer receive the monthly report" in response.content.decode()
    assert roles.mkt_manager not in report_recipients(report.sla)
    assert roles.sales_manager in report_recipients(report.sla)
    assert client.get("/notifications/unsubscribe/forged-token/").status_code == 404


def test_the_preference_page_lists_every_kind_and_resubscribes(roles, report, client):
    ReportSubscription.objects.create(user=roles.mkt_manager, sla_series=report.sla.series, unsubscribed=True)
    client.force_login(roles.mkt_manager)
    html = client.get("/notifications/preferences/").content.decode()
    for kind in Notification.Kind:
        assert str(kind.label) in html
    assert "You do not receive it" in html
    response = client.post("/notifications/preferences/", {"series": str(report.sla.series), "action": "subscribe"})
    assert response.status_code == 302
    assert roles.mkt_manager in report_recipients(report.sla)
    before = ReportSubscription.objects.count()
    client.post("/notifications/preferences/", {"series": "not-a-series", "action": "subscribe"})
    assert ReportSubscription.objects.count() == before


def test_the_command_sends_each_recipient_one_email_and_nothing_when_run_again(
    roles, report, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_monthly_reports", "--month", "2026-10")
    assert len(mail.outbox) == 2
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_monthly_reports", "--month", "2026-10")
    assert len(mail.outbox) == 2
    assert Notification.objects.filter(kind=Notification.Kind.MONTHLY_REPORT, status="sent").count() == 2


def test_the_command_rejects_a_malformed_month(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("send_monthly_reports", "--month", "October")
