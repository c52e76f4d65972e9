"""Every output a French reader receives is in French: each e-mail kind (subject, text and HTML),
every CSV header and XLSX sheet, and the calendar feed's events.

Two nets, so that a string forgotten by a template, a builder or a missing catalogue entry fails
here: (1) no English sentence of our catalogue (a msgid whose French differs) appears in the output,
and (2) once the data (names, titles, links) is taken out, no English word is left (the vocabulary
of ``smarketing.tests.english``: every English word of the catalogues that French never uses).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import polib
import pytest
import time_machine
from django.conf import settings
from django.utils import translation
from icalendar import Calendar
from openpyxl import load_workbook

from reporting.emails import message_for
from reporting.exports import TABLES, report_export
from reporting.models import Notification
from slas.models import Milestone, Profile
from smarketing.tests.english import english_words, visible_text

from .notify_helpers import active_sla, followup, set_profile
from .test_emails_monthly_report import make_month

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "fr" / "LC_MESSAGES" / "django.po"
NOW = dt.datetime(2026, 11, 20, 15, 5, tzinfo=dt.UTC)


def english_sentences() -> list[str]:
    """Catalogue msgids whose French is different, long enough to be unambiguous."""
    sentences = []
    for entry in polib.pofile(str(CATALOGUE)):
        text = entry.msgid
        if entry.msgstr and entry.msgstr != text and " " in text and "%" not in text and len(text) >= 12:
            sentences.append(text)
    return sentences


def untranslated(text: str, data: list[str]) -> list[str]:
    """English sentences of the catalogue, then English words (``smarketing.tests.english``) once the data is out."""
    return [sentence for sentence in english_sentences() if sentence in text] + english_words(text, data)


@pytest.fixture
def world(roles):
    sla = active_sla(roles)
    make_month(sla, dt.date(2026, 9, 1), prospects=120, revenue=90000, first_contact=95.0)
    report = make_month(sla, dt.date(2026, 10, 1), prospects=105, revenue=83334, first_contact=85.7)
    late = followup(sla, due_at=dt.datetime(2026, 10, 14, 9, 0, tzinfo=dt.UTC), owner_user=roles.sales_manager)
    late.lead.company = "Globex"
    late.lead.save(update_fields=["company"])
    Milestone.objects.create(sla=sla, title="Revue mensuelle", owner_team=roles.sales, due_date=dt.date(2026, 11, 28))
    set_profile(roles.sales_manager, language="fr")
    data = [sla.title, "Globex", "Ada Lovelace", str(sla.marketing_team), str(sla.sales_team), "Revue mensuelle"]
    for user in (roles.sales_manager, roles.sales_member, roles.mkt_manager):
        data += [user.get_full_name(), user.get_username()]
    return {"sla": sla, "report": report, "followup": late, "user": roles.sales_manager, "data": data}


def test_every_email_kind_is_french_for_a_french_reader(world):
    user, sla = world["user"], world["sla"]
    at_risk = {"sla": sla.pk, "month": "2026-11", "key": "won_revenue", "side": "sales", "unit": "amount",
               "target": 88500, "actual": 20000, "projected": 61000, "status": "at_risk"}  # fmt: skip

    def row(kind, key, payload, status=Notification.Status.QUEUED):
        return Notification.objects.create(kind=kind, recipient=user, dedupe_key=key, payload=payload, status=status)

    waiting = [
        row(Notification.Kind.OVERDUE, "w1", {"followup": world["followup"].pk}, Notification.Status.DIGESTED),
        row(Notification.Kind.AT_RISK, "w2", at_risk, Notification.Status.DIGESTED),
    ]
    notifications = [
        row(Notification.Kind.MONTHLY_REPORT, "r", {"report": world["report"].pk}),
        row(Notification.Kind.OVERDUE, "o", {"followup": world["followup"].pk}),
        row(Notification.Kind.ESCALATION, "e", {"followup": world["followup"].pk}),
        row(Notification.Kind.AT_RISK, "a", at_risk),
        row(Notification.Kind.DIGEST, "d", {"day": "2026-11-20", "items": [n.pk for n in waiting]}),
    ]
    with time_machine.travel(NOW, tick=False):
        for notification in notifications:
            message = message_for(notification)
            html = message.alternatives[0].content
            text = f"{message.subject}\n{message.body}\n{visible_text(html)}"
            assert untranslated(text, world["data"]) == [], f"{notification.kind}:\n{text}"


def test_every_csv_header_and_sheet_is_french(world):
    with translation.override("fr"):
        headers = [report_export(world["report"], "csv", table=t, params={}).content for t in TABLES]
        workbook = load_workbook(io.BytesIO(report_export(world["report"], "xlsx").content))
    text = "\n".join(content.decode("utf-8-sig").splitlines()[0] for content in headers)
    text += "\n" + "\n".join(workbook.sheetnames)
    for sheet in workbook.worksheets:  # every text cell a reader sees (labels, statuses, sides)
        text += "\n" + " ".join(str(c) for row in sheet.iter_rows(values_only=True) for c in row if isinstance(c, str))
    assert untranslated(text, world["data"]) == [], text


def test_every_calendar_event_is_french(world, client):
    token = Profile.for_user(world["user"]).calendar_token
    with time_machine.travel(NOW, tick=False):
        response = client.get(f"/calendar/{token}.ics", HTTP_ACCEPT_LANGUAGE="en")
    calendar = Calendar.from_ical(response.content)
    text = str(calendar.get("x-wr-calname"))
    for event in calendar.walk("VEVENT"):
        text += f"\n{event.get('summary')}\n{event.get('description', '')}"
    assert "VEVENT" in response.content.decode() and untranslated(text, world["data"]) == [], text


def test_the_net_catches_an_english_word_and_an_english_sentence():
    assert untranslated("Rapport: 3 missed", []) == ["missed"]
    assert untranslated("Open the report", []) != []


# French spacing (reporting.display.typeset): a plain space or none where French typography wants
# a non-breaking one — before : ; ? ! %, and between a number and %/€.
BAD_FRENCH_SPACING = re.compile(r" [:;?!%»]|« |\d[%€]|\d [%€]|[^\s\d\u00a0\u202f/][:;?!](?=\s|$)")


def test_every_french_output_follows_french_typography(world):
    user, sla = world["user"], world["sla"]
    at_risk = {"sla": sla.pk, "month": "2026-11", "key": "won_revenue", "side": "sales", "unit": "amount",
               "target": 88500, "actual": 20000, "projected": 61000, "status": "at_risk"}  # fmt: skip
    notifications = [
        Notification.objects.create(kind=kind, recipient=user, dedupe_key=f"t{kind}", payload=payload)
        for kind, payload in (
            (Notification.Kind.MONTHLY_REPORT, {"report": world["report"].pk}),
            (Notification.Kind.OVERDUE, {"followup": world["followup"].pk}),
            (Notification.Kind.ESCALATION, {"followup": world["followup"].pk}),
            (Notification.Kind.AT_RISK, at_risk),
        )
    ]
    with time_machine.travel(NOW, tick=False):
        for notification in notifications:
            message = message_for(notification)
            for part in (message.subject, message.body, visible_text(message.alternatives[0].content)):
                assert BAD_FRENCH_SPACING.findall(part) == [], f"{notification.kind}:\n{part}"
            assert "\u00a0:" in message.body + message.subject or ":" not in message.body
    with translation.override("fr"):
        for table in TABLES:
            csv_text = report_export(world["report"], "csv", table=table, params={}).content.decode("utf-8-sig")
            assert BAD_FRENCH_SPACING.findall(csv_text) == [], csv_text


def test_typeset_spaces_french_and_leaves_other_languages_alone():
    from reporting.display import typeset

    assert (
        typeset("Responsable : Ventes, 85,7 % ou 90%", language="fr")
        == "Responsable\u00a0: Ventes, 85,7\u00a0% ou 90\u00a0%"
    )
    assert typeset("Pourquoi ? Voilà ! a ; b « c »", language="fr") == (
        "Pourquoi\u202f? Voilà\u202f! a\u202f; b «\u00a0c\u00a0»"
    )
    assert typeset("50 000€ à 10:00, https://x.fr/?a=1", language="fr") == "50 000\u00a0€ à 10:00, https://x.fr/?a=1"
    assert typeset("Propriétaire: Sofia. Pourquoi? &nbsp; ok", language="fr") == (
        "Propriétaire\u00a0: Sofia. Pourquoi\u202f? &nbsp; ok"
    )
    assert typeset("Owner : Sales 85 %", language="en") == "Owner : Sales 85 %"
    html = '<style>p { color: red !important; }</style><p title="a : b">Note : 5 %</p>'
    assert typeset(html, html=True, language="fr") == (
        '<style>p { color: red !important; }</style><p title="a\u00a0: b">Note\u00a0: 5\u00a0%</p>'
    )
    assert typeset('<a href="/x?a=1 :b" class="c :d">', html=True, language="fr") == '<a href="/x?a=1 :b" class="c :d">'


def test_the_grouped_alert_email_is_french_for_a_french_reader(world):
    from reporting.emails import alerts_group

    user = world["user"]
    rows = [
        Notification.objects.create(
            kind=kind, recipient=user, dedupe_key=f"g{kind}", payload={"followup": world["followup"].pk}
        )
        for kind in (Notification.Kind.OVERDUE, Notification.Kind.ESCALATION)
    ]
    with time_machine.travel(NOW, tick=False):
        message = alerts_group(rows)
    html = message.alternatives[0].content
    text = f"{message.subject}\n{message.body}\n{visible_text(html)}"
    assert "2 alertes vous attendent" in message.subject
    assert untranslated(text, world["data"]) == [], text
    for part in (message.subject, message.body, visible_text(html)):
        assert BAD_FRENCH_SPACING.findall(part) == [], part
