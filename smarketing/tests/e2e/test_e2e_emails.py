"""Every e-mail kind as its reader sees it: rendered in Chromium at 600 px (a desktop client's
reading pane) and 390 px (a phone), in English and French, from the demo data.

Checks what a reader would notice: nothing wider than the screen (no sideways scrolling), the
chart scaled to the width and sharp (drawn at twice its size), the inline image shown. The
screenshots land in ``test-artifacts/screenshots/email-<kind>-<lang>-<width>.png``; the ones in
``docs/screenshots/emails/`` were copied from there and looked at.
"""

from __future__ import annotations

import base64
import email

import pytest
from django.conf import settings

pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")

pytestmark = pytest.mark.e2e

WIDTHS = {"600": {"width": 600, "height": 900}, "390": {"width": 390, "height": 844}}


@pytest.fixture
def demo(transactional_db):
    from smarketing.demo import seed_all

    return seed_all()


def _messages(demo, language: str) -> dict:
    """One message of each kind for Sacha (sales manager) in ``language``, from the demo's data."""
    from django.utils import timezone

    from leads.models import FollowUp
    from reporting import compliance
    from reporting.emails import alerts_group, message_for
    from reporting.models import MonthlyReport, Notification
    from slas.models import SLA, Profile

    user = demo.users["sacha"]
    Profile.objects.filter(user=user).update(language=language)
    user.refresh_from_db()
    report = MonthlyReport.objects.current().select_related("sla").order_by("-month").first()
    followup = FollowUp.objects.overdue().exclude(lead=None).order_by("due_at").first()
    sla = SLA.objects.in_force_at(timezone.now()).first()
    status = compliance.compute(sla, sla.current_month(timezone.now()))
    commitment = next(c for c in status["commitments"] if c["status"] in ("at_risk", "missed", "on_track"))
    at_risk = {"sla": sla.pk, "month": status["month"], **commitment, "status": "at_risk"}

    def row(kind, key, payload, status=Notification.Status.QUEUED):
        return Notification.objects.create(
            kind=kind, recipient=user, dedupe_key=f"{key}:{language}", payload=payload, status=status
        )

    digested = [
        row(Notification.Kind.OVERDUE, f"d-o-{f.pk}", {"followup": f.pk}, Notification.Status.DIGESTED)
        for f in FollowUp.objects.overdue().exclude(lead=None).order_by("due_at")[:3]
    ] + [row(Notification.Kind.AT_RISK, "d-r", at_risk, Notification.Status.DIGESTED)]
    rows = {
        "monthly-report": row(Notification.Kind.MONTHLY_REPORT, "report", {"report": report.pk}),
        "overdue": row(Notification.Kind.OVERDUE, "overdue", {"followup": followup.pk}),
        "escalation": row(Notification.Kind.ESCALATION, "escalation", {"followup": followup.pk}),
        "at-risk": row(Notification.Kind.AT_RISK, "at-risk", at_risk),
        "digest": row(
            Notification.Kind.DIGEST,
            "digest",
            {"day": timezone.localdate().isoformat(), "items": [n.pk for n in digested]},
        ),
    }
    messages = {kind: message_for(notification) for kind, notification in rows.items()}
    # One scan's alerts to one person, grouped into one e-mail (reporting.notifications.outbox).
    grouped = [
        row(Notification.Kind.OVERDUE, f"g-o-{f.pk}", {"followup": f.pk})
        for f in FollowUp.objects.overdue().exclude(lead=None).order_by("due_at")[:3]
    ] + [
        row(Notification.Kind.ESCALATION, "g-e", {"followup": followup.pk}),
        row(Notification.Kind.AT_RISK, "g-r", at_risk),
    ]
    messages["alerts"] = alerts_group(grouped)
    return messages


def _html_with_images(message) -> str:
    """The HTML part with its ``cid:`` images inlined as data URIs (as a mail client shows them)."""
    parsed = email.message_from_bytes(message.message().as_bytes())
    html = next(p for p in parsed.walk() if p.get_content_type() == "text/html").get_payload(decode=True).decode()
    for part in parsed.walk():
        if part["Content-ID"]:
            data = base64.b64encode(part.get_payload(decode=True)).decode()
            html = html.replace(
                f"cid:{part['Content-ID'].strip('<>')}", f"data:{part.get_content_type()};base64,{data}"
            )
    return html


def test_every_email_kind_reads_well_at_600_and_390_px_in_english_and_french(browser, demo):
    directory = settings.BASE_DIR / "test-artifacts" / "screenshots"
    directory.mkdir(parents=True, exist_ok=True)
    for language in ("en", "fr"):
        for kind, message in _messages(demo, language).items():
            html = _html_with_images(message)
            for width, viewport in WIDTHS.items():
                context = browser.new_context(viewport=viewport, device_scale_factor=1)
                page = context.new_page()
                page.set_content(html)
                name = f"email-{kind}-{language}-{width}"
                assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], name
                assert page.evaluate("document.documentElement.lang") == language
                if kind == "monthly-report":
                    chart = page.evaluate(
                        "(() => { const i = document.querySelector('img.chart');"
                        " return [i.complete, i.naturalWidth, i.getBoundingClientRect().width]; })()"
                    )
                    assert chart[0] and chart[1] >= 2 * chart[2] - 1, f"{name}: the chart is drawn at 2x: {chart}"
                    assert chart[2] <= viewport["width"] - 20, f"{name}: the chart fits the width"
                page.screenshot(path=str(directory / f"{name}.png"), full_page=True)
                context.close()
