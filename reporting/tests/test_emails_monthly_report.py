from __future__ import annotations

import datetime as dt
import email

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command

from reporting.emails import top_changes
from reporting.models import MonthlyReport, Notification, ReportSubscription
from reporting.notifications import monthly_report_send

from .notify_helpers import active_sla, make_report, set_profile

OCTOBER = dt.date(2026, 10, 1)


@pytest.fixture
def report(roles):
    sla = active_sla(roles)
    make_report(sla, dt.date(2026, 9, 1), prospects=120, first_contact=80.0)
    return make_report(sla, OCTOBER, prospects=80, first_contact=95.0)


def _send(report, capture) -> list:
    with capture(execute=True):
        monthly_report_send(report=report)
    return mail.outbox


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


def test_the_report_email_has_scorecard_chart_changes_link_and_csv_in_english(
    roles, report, django_capture_on_commit_callbacks
):
    _send(report, django_capture_on_commit_callbacks)
    message = next(m for m in mail.outbox if m.to == [roles.sales_manager.email])
    assert message.subject == f"Monthly SLA report: {report.sla.title}, October 2026"
    assert "Overall compliance: 1/2 (50.0 %)" in message.body
    assert "- New prospects: 80 / 100 — missed" in message.body
    assert "Biggest changes since last month" in message.body
    assert "- New prospects: 120 → 80" in message.body
    assert f"Open the report: {settings.SITE_URL}/reports/{report.pk}/" in message.body
    html = message.alternatives[0].content
    assert '<img src="cid:scorecard"' in html
    assert "<td>New prospects</td>" in html
    parsed = email.message_from_bytes(message.message().as_bytes())
    parts = {part.get_content_type(): part for part in parsed.walk()}
    assert parts["image/png"]["Content-ID"] == "<scorecard>"
    assert parts["image/png"].get_payload(decode=True).startswith(b"\x89PNG")
    csv_text = parts["text/csv"].get_payload(decode=True).decode()
    assert csv_text.splitlines()[0] == "key,side,target,actual,projected,status"
    assert "prospects_volume,marketing,100,80,80,missed" in csv_text


def test_the_report_email_is_in_the_recipients_language(roles, report, django_capture_on_commit_callbacks):
    set_profile(roles.mkt_manager, language="fr")
    _send(report, django_capture_on_commit_callbacks)
    french = next(m for m in mail.outbox if m.to == [roles.mkt_manager.email])
    english = next(m for m in mail.outbox if m.to == [roles.sales_manager.email])
    assert "octobre 2026" in french.subject
    assert "Nouveaux prospects" in french.body
    assert "<td>Nouveaux prospects</td>" in french.alternatives[0].content
    assert '<html lang="fr">' in french.alternatives[0].content
    assert "New prospects" in english.body


def test_the_three_biggest_changes_are_ranked_against_the_target(roles, report):
    previous = MonthlyReport.objects.get(month=dt.date(2026, 9, 1))
    changes = top_changes(report, previous)
    # Both changed status; prospects moved by 40 % of its target, first contact by 17 %.
    assert [c["key"] for c in changes] == ["prospects_volume", "first_contact"]
    assert top_changes(report, None) == []


def test_the_signed_unsubscribe_link_stops_the_report(roles, report, client, django_capture_on_commit_callbacks):
    ReportSubscription.objects.create(user=roles.viewer, sla_series=report.sla.series)
    _send(report, django_capture_on_commit_callbacks)
    message = next(m for m in mail.outbox if m.to == [roles.viewer.email])
    link = next(line for line in message.body.splitlines() if "unsubscribe" in line).split(": ", 1)[1]
    path = link.split("://", 1)[1].split("/", 1)[1]
    assert client.get("/" + path).status_code == 200
    assert client.post("/" + path).status_code == 200
    assert ReportSubscription.objects.get(user=roles.viewer).unsubscribed is True
    assert client.get("/notifications/unsubscribe/forged-token/").status_code == 404


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
