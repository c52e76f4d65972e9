"""E-mails: one builder renders ``emails/<name>-subject.html``, ``-body-text.html`` and ``-body-html.html``.

One small function per e-mail gathers its context; ``message_for`` picks it from a notification.
Everything renders in the recipient's language (``Profile.language``) and time zone.
"""

from __future__ import annotations

import io
from email.mime.image import MIMEImage
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation

from slas.models import Profile
from smarketing.spreadsheets import csv_writer

from .models import MonthlyReport, Notification

UNSUBSCRIBE_SALT = "reporting.unsubscribe"


def build(name: str, *, to: str, context: dict, language: str, time_zone: str | None = None) -> EmailMultiAlternatives:
    """Render the three templates of e-mail ``name`` in ``language`` (times in ``time_zone``) into text + HTML."""
    with translation.override(language), timezone.override(ZoneInfo(time_zone) if time_zone else None):
        context = {**context, "site_url": settings.SITE_URL, "language": language}
        subject = " ".join(render_to_string(f"emails/{name}-subject.html", context).split())
        text = render_to_string(f"emails/{name}-body-text.html", context)
        html = render_to_string(f"emails/{name}-body-html.html", context)
    message = EmailMultiAlternatives(subject=subject, body=text, to=[to])
    message.attach_alternative(html, "text/html")
    return message


def _profile(user) -> Profile:
    try:
        return user.profile
    except Profile.DoesNotExist:
        return Profile.for_user(user)


def site_link(url_name: str, args: list, fallback: str) -> str:
    """Absolute link to a page; ``fallback`` path while the page's URL is not mounted."""
    try:
        path = reverse(url_name, args=args)
    except NoReverseMatch:
        path = fallback
    return f"{settings.SITE_URL}{path}"


def unsubscribe_token(user_id: int, sla_series) -> str:
    return signing.dumps({"u": user_id, "s": str(sla_series)}, salt=UNSUBSCRIBE_SALT)


def report_csv(report: MonthlyReport) -> str:
    buffer = io.StringIO()
    writer = csv_writer(buffer)
    writer.writerow(["key", "side", "target", "actual", "projected", "status"])
    for row in report.data.get("commitments", []):
        writer.writerow([row.get(k, "") for k in ("key", "side", "target", "actual", "projected", "status")])
    return buffer.getvalue()


def top_changes(report: MonthlyReport, previous: MonthlyReport | None, limit: int = 3) -> list[dict]:
    """The commitments that moved most against last month, relative to their target."""
    if previous is None:
        return []
    before = {row["key"]: row for row in previous.data.get("commitments", [])}
    changes = []
    for row in report.data.get("commitments", []):
        old = before.get(row["key"])
        if old is None or row.get("actual") is None or old.get("actual") is None:
            continue
        delta = float(row["actual"]) - float(old["actual"])
        scale = abs(float(row.get("target") or 0)) or 1.0
        changes.append(
            {
                "key": row["key"],
                "before": old["actual"],
                "after": row["actual"],
                "delta": round(delta, 2),
                "status_before": old.get("status"),
                "status_after": row.get("status"),
                "weight": abs(delta) / scale + (1 if old.get("status") != row.get("status") else 0),
            }
        )
    changes.sort(key=lambda change: (-change["weight"], change["key"]))
    return changes[:limit]


def _commitment_label(key: str) -> str:
    from slas.models import CommitmentKey

    try:
        return str(CommitmentKey(key).label)
    except ValueError:
        return key


def monthly_report(notification: Notification) -> EmailMultiAlternatives:
    from .charts import scorecard_png

    report = MonthlyReport.objects.select_related("sla").get(pk=notification.payload["report"])
    recipient = notification.recipient
    language = _profile(recipient).language
    previous = (
        MonthlyReport.objects.current().filter(series=report.series, month__lt=report.month).order_by("-month").first()
    )
    with translation.override(language):
        commitments = [{**row, "label": _commitment_label(row["key"])} for row in report.data.get("commitments", [])]
        changes = [{**row, "label": _commitment_label(row["key"])} for row in top_changes(report, previous)]
    context = {
        "report": report,
        "sla": report.sla,
        "overall": report.data.get("overall", {}),
        "commitments": commitments,
        "changes": changes,
        "report_url": site_link("reporting:report_detail", [report.pk], f"/reports/{report.pk}/"),
        "unsubscribe_url": site_link(
            "notifications:unsubscribe",
            [unsubscribe_token(recipient.pk, report.series)],
            f"/notifications/unsubscribe/{unsubscribe_token(recipient.pk, report.series)}/",
        ),
        "recipient": recipient,
    }
    message = build("monthly-report", to=recipient.email, context=context, language=language)
    message.mixed_subtype = "related"
    image = MIMEImage(scorecard_png(report.data), "png")
    image.add_header("Content-ID", "<scorecard>")
    image.add_header("Content-Disposition", "inline", filename="scorecard.png")
    message.attach(image)
    message.attach(f"report-{report.month:%Y-%m}.csv", report_csv(report), "text/csv")
    return message


def _followup_context(notification: Notification) -> dict:
    from leads.models import FollowUp

    followup = FollowUp.objects.select_related("lead", "owner_team", "owner_user").get(
        pk=notification.payload["followup"]
    )
    tz = ZoneInfo(_profile(notification.recipient).time_zone)
    return {
        "followup": followup,
        "due_local": timezone.localtime(followup.due_at, tz),
        # The lead, or for an action item the review it was decided in.
        "lead_url": f"{settings.SITE_URL}{followup.get_absolute_url()}",
        "recipient": notification.recipient,
    }


def _followup_email(name: str, notification: Notification) -> EmailMultiAlternatives:
    profile = _profile(notification.recipient)
    return build(
        name,
        to=notification.recipient.email,
        context=_followup_context(notification),
        language=profile.language,
        time_zone=profile.time_zone,
    )


def overdue(notification: Notification) -> EmailMultiAlternatives:
    return _followup_email("overdue", notification)


def escalation(notification: Notification) -> EmailMultiAlternatives:
    return _followup_email("escalation", notification)


def at_risk(notification: Notification) -> EmailMultiAlternatives:
    recipient = notification.recipient
    language = _profile(recipient).language
    with translation.override(language):
        label = _commitment_label(notification.payload.get("key", ""))
    context = {"alert": notification.payload, "label": label, "recipient": recipient}
    return build("at-risk", to=recipient.email, context=context, language=language)


def digest(notification: Notification) -> EmailMultiAlternatives:
    from .notifications import digest_groups

    recipient = notification.recipient
    language = _profile(recipient).language
    with translation.override(language):
        groups = [(str(label), items) for label, items in digest_groups(notification)]
    context = {"groups": groups, "day": notification.payload.get("day"), "recipient": recipient}
    return build("digest", to=recipient.email, context=context, language=language)


BUILDERS = {
    Notification.Kind.MONTHLY_REPORT: monthly_report,
    Notification.Kind.OVERDUE: overdue,
    Notification.Kind.ESCALATION: escalation,
    Notification.Kind.AT_RISK: at_risk,
    Notification.Kind.DIGEST: digest,
}


def register(kind: str, builder) -> None:
    """An app above ``reporting`` (``reviews``) adds the builder of its own notification kind."""
    BUILDERS[kind] = builder


def message_for(notification: Notification) -> EmailMultiAlternatives:
    return BUILDERS[notification.kind](notification)
