"""E-mails: one builder renders ``emails/<name>-subject.html``, ``-body-text.html`` and ``-body-html.html``.

One small function per e-mail gathers its context; ``message_for`` picks it from a notification.
Everything renders in the recipient's language (``Profile.language``) and time zone.
"""

from __future__ import annotations

import datetime as dt
from email.mime.image import MIMEImage
from zoneinfo import ZoneInfo

import css_inline
from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import SafeMIMEMultipart
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from slas.models import Profile

from .charts import scorecard_alt
from .display import (
    STATUS_COLOURS,
    commitment_label,
    format_value,
    month_label,
    side_label,
    status_label,
    typeset,
)
from .models import MonthlyReport, Notification

UNSUBSCRIBE_SALT = "reporting.unsubscribe"


class Email(EmailMultiAlternatives):
    """A message whose HTML may show inline images: ``multipart/mixed`` wrapping a
    ``multipart/related`` (the ``multipart/alternative`` text + HTML, then the images), then the
    attachments — the structure every mail client shows as a body with files attached."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.inline_images: list[MIMEImage] = []

    def attach_inline_image(self, content: bytes, cid: str, filename: str) -> None:
        image = MIMEImage(content, "png")
        image.add_header("Content-ID", f"<{cid}>")
        image.add_header("Content-Disposition", "inline", filename=filename)
        self.inline_images.append(image)

    def _create_alternatives(self, msg):
        msg = super()._create_alternatives(msg)
        if not self.inline_images:
            return msg
        related = SafeMIMEMultipart(_subtype="related", encoding=self.encoding or settings.DEFAULT_CHARSET)
        related.attach(msg)
        for image in self.inline_images:
            related.attach(image)
        return related


_inliner = css_inline.CSSInliner(keep_style_tags=True)


def build(
    name: str,
    *,
    to: str,
    context: dict,
    language: str,
    time_zone: str | None = None,
    headers: dict | None = None,
) -> Email:
    """Render the three templates of e-mail ``name`` in ``language`` (times in ``time_zone``) into text + HTML.

    The HTML's ``<style>`` rules are inlined into ``style`` attributes (Gmail and Outlook drop
    most stylesheets); the ``<style>`` stays for the media queries of phones. Every part follows
    the language's typography (``display.typeset``: French non-breaking spaces).
    """
    with translation.override(language), timezone.override(ZoneInfo(time_zone) if time_zone else None):
        context = {
            **context,
            "site_url": settings.SITE_URL,
            "language": language,
            "preferences_url": site_link("notifications:preferences", [], "/notifications/preferences/"),
        }
        subject = typeset(" ".join(render_to_string(f"emails/{name}-subject.html", context).split()))
        context["subject"] = subject
        text = typeset(render_to_string(f"emails/{name}-body-text.html", context))
        html = typeset(_inliner.inline(render_to_string(f"emails/{name}-body-html.html", context)), html=True)
    message = Email(
        subject=subject, body=text, to=[to], headers={"Auto-Submitted": "auto-generated", **(headers or {})}
    )
    message.attach_alternative(html, "text/html")
    return message


def site_link(url_name: str, args: list, fallback: str) -> str:
    """Absolute link to a page; ``fallback`` path while the page's URL is not mounted."""
    try:
        path = reverse(url_name, args=args)
    except NoReverseMatch:
        path = fallback
    return f"{settings.SITE_URL}{path}"


def unsubscribe_token(user_id: int, sla_series) -> str:
    return signing.dumps({"u": user_id, "s": str(sla_series)}, salt=UNSUBSCRIBE_SALT)


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


MISS_ITEMS_SHOWN = 5


def _previous_report(report: MonthlyReport) -> MonthlyReport | None:
    return (
        MonthlyReport.objects.current().filter(series=report.series, month__lt=report.month).order_by("-month").first()
    )


def headline(report: MonthlyReport, previous: MonthlyReport | None) -> str:
    """ "6 of 9 commitments met, 2 more than September" (in the current language)."""
    overall = report.data.get("overall", {})
    met, evaluable = overall.get("met", 0), overall.get("evaluable", 0)
    text = ngettext("%(met)s of %(total)s commitment met", "%(met)s of %(total)s commitments met", evaluable) % {
        "met": met,
        "total": evaluable,
    }
    if previous is None or "met" not in previous.data.get("overall", {}):
        return text
    delta = met - previous.data["overall"]["met"]
    month = month_label(previous.month, short=False).split(" ")[0]
    if delta > 0:
        more = ngettext("%(count)s more than %(month)s", "%(count)s more than %(month)s", delta)
        return f"{text}, {more % {'count': delta, 'month': month}}"
    if delta < 0:
        fewer = ngettext("%(count)s fewer than %(month)s", "%(count)s fewer than %(month)s", -delta)
        return f"{text}, {fewer % {'count': -delta, 'month': month}}"
    return f"{text}, {_('as many as in %(month)s') % {'month': month}}"


def _item(row) -> dict:
    """One item behind a miss (a handoff, a follow-up or a lead event), for the e-mail: the lead, linked."""
    lead = row.lead
    when = getattr(row, "decision_due_at", None) or getattr(row, "due_at", None) or getattr(row, "occurred_at", None)
    return {
        "name": lead.display_name,
        "company": lead.company,
        "url": site_link("leads:detail", [lead.pk], f"/leads/{lead.pk}/"),
        "when": when,
        "reason": getattr(row, "reason", "") or "",
    }


# What a miss without items means, for the commitments whose misses are volumes, not items.
MISS_WITHOUT_ITEMS = {
    "prospects_volume": gettext_lazy("Fewer new prospects than agreed: look at the channels that brought fewer."),
    "mql_volume": gettext_lazy("Fewer MQLs than agreed: look at scoring and the campaigns of the month."),
    "won_revenue": gettext_lazy("Less revenue won than agreed: look at the opportunities that slipped."),
    "new_clients": gettext_lazy("Fewer new clients than agreed: look at the opportunities that slipped."),
}


def report_misses(report: MonthlyReport, limit: int = MISS_ITEMS_SHOWN) -> list[dict]:
    """Each missed commitment with its owner side and up to ``limit`` items behind it (``queries.MISSED_ITEMS``)."""
    from . import queries

    currency = report.data.get("currency") or report.sla.currency
    misses = []
    for row in report.data.get("commitments", []):
        if row.get("status") != "missed":
            continue
        selector = queries.MISSED_ITEMS.get(row["key"])
        items, total = ([], 0) if selector is None else selector(report.sla, report.month, limit=limit)
        unit = row.get("unit", "")
        misses.append(
            {
                "key": row["key"],
                "label": commitment_label(row["key"]),
                "side": row.get("side"),
                "side_label": side_label(row.get("side")),
                "status_label": status_label("missed"),
                "colour": STATUS_COLOURS["missed"],
                "actual_text": format_value(row.get("actual"), unit, currency),
                "target_text": format_value(row.get("target"), unit, currency),
                "items": [_item(item) for item in items],
                "more": max(total - len(items), 0),
                "kind_text": str(MISS_WITHOUT_ITEMS.get(row["key"], "")),
            }
        )
    return misses


def discussion_points(misses: list[dict], changes: list[dict], report: MonthlyReport) -> list[str]:
    """What the monthly review should talk about: each miss by its owner, the slides, the at-risk ones."""
    points = []
    for miss in misses:
        count = len(miss["items"]) + miss["more"]
        if count:
            points.append(
                ngettext(
                    "%(side)s: %(label)s missed (%(actual)s against %(target)s) — go through the %(count)s item "
                    "and agree what changes.",
                    "%(side)s: %(label)s missed (%(actual)s against %(target)s) — go through the %(count)s items "
                    "and agree what changes.",
                    count,
                )
                % {
                    "side": miss["side_label"],
                    "label": miss["label"],
                    "count": count,
                    "actual": miss["actual_text"],
                    "target": miss["target_text"],
                }
            )
        else:
            points.append(
                _("%(side)s: %(label)s missed (%(actual)s against %(target)s) — what will be different next month?")
                % {
                    "side": miss["side_label"],
                    "label": miss["label"],
                    "actual": miss["actual_text"],
                    "target": miss["target_text"],
                }
            )
    for change in changes:
        if (
            change["status_changed"]
            and change["status_after"] == "missed"
            and change["key"] not in {m["key"] for m in misses}
        ):
            continue
        if change["status_changed"] and change["status_after"] in ("met", "on_track"):
            points.append(_("%(label)s is met again: keep what worked.") % change)
    if not points:
        points.append(_("Every commitment was met: is a target ready to be raised?"))
    if report.data.get("funnel", {}).get("late_entries"):
        points.append(
            ngettext(
                "%(count)s event was recorded more than a day late: agree how to record on time.",
                "%(count)s events were recorded more than a day late: agree how to record on time.",
                report.data["funnel"]["late_entries"],
            )
            % {"count": report.data["funnel"]["late_entries"]}
        )
    return points


def report_summary(report: MonthlyReport) -> dict:
    """What a report says to its readers, in the current language: the headline against last month,
    each commitment with its figures and units, the biggest changes, the misses with their items and
    what to discuss. The monthly e-mail and the PDF show the same summary."""
    previous = _previous_report(report)
    data = report.data
    currency = data.get("currency") or report.sla.currency
    units = {row["key"]: row.get("unit", "") for row in data.get("commitments", [])}
    commitments = [
        {
            **row,
            "label": commitment_label(row["key"]),
            "side_label": side_label(row.get("side")),
            "status_label": status_label(row.get("status")),
            "colour": STATUS_COLOURS.get(row.get("status"), STATUS_COLOURS["no_data"]),
            "target_text": format_value(row.get("target"), row.get("unit", ""), currency),
            "actual_text": format_value(row.get("actual"), row.get("unit", ""), currency),
            "projected_text": format_value(row.get("projected"), row.get("unit", ""), currency),
        }
        for row in data.get("commitments", [])
    ]
    changes = [
        {
            **row,
            "label": commitment_label(row["key"]),
            "before_text": format_value(row["before"], units.get(row["key"], ""), currency),
            "after_text": format_value(row["after"], units.get(row["key"], ""), currency),
            "status_changed": row["status_before"] != row["status_after"],
            "status_before_label": status_label(row["status_before"]),
            "status_after_label": status_label(row["status_after"]),
        }
        for row in top_changes(report, previous)
    ]
    misses = report_misses(report)
    overall = data.get("overall", {})
    return {
        "report": report,
        "sla": report.sla,
        "currency": currency,
        "overall": overall,
        "score_text": format_value(overall.get("score"), "percent"),
        "month_name": month_label(report.month, short=False),
        "headline": headline(report, previous),
        "headline_short": _("%(met)s of %(total)s met")
        % {"met": overall.get("met", 0), "total": overall.get("evaluable", 0)},
        "commitments": commitments,
        "changes": changes,
        "misses": misses,
        "discuss": discussion_points(misses, changes, report),
        "chart_alt": scorecard_alt(data),
    }


def monthly_report_context(report: MonthlyReport, recipient) -> dict:
    """Everything the monthly report e-mail shows, in the current language."""
    token = unsubscribe_token(recipient.pk, report.series)
    return {
        **report_summary(report),
        "report_url": site_link("reporting:report_detail", [report.pk], f"/reports/{report.pk}/"),
        "xlsx_url": site_link("reporting:report_xlsx", [report.pk], f"/reports/{report.pk}/report.xlsx"),
        "unsubscribe_url": site_link("notifications:unsubscribe", [token], f"/notifications/unsubscribe/{token}/"),
        "unsubscribe_token": token,
        "recipient": recipient,
    }


def _mail_domain() -> str:
    return settings.SITE_URL.split("//")[-1].split("/")[0].split(":")[0] or "smarketing.localhost"


def monthly_report(notification: Notification) -> Email:
    from .charts import scorecard_png
    from .exports import report_export

    report = MonthlyReport.objects.select_related("sla").get(pk=notification.payload["report"])
    recipient = notification.recipient
    language = Profile.for_user(recipient).language
    with translation.override(language):
        context = monthly_report_context(report, recipient)
        chart = scorecard_png(report.data)
        csv_file = report_export(report, "csv", table="commitments", params={})
        xlsx_file = report_export(report, "xlsx")
    token = context["unsubscribe_token"]
    headers = {
        # RFC 2369 and RFC 8058: a mailto and a one-click HTTPS POST that unsubscribes for real.
        "List-Unsubscribe": f"<{context['unsubscribe_url']}>, <mailto:unsubscribe@{_mail_domain()}?subject={token}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "List-Id": f"{report.sla.title} <report-{report.series}.{_mail_domain()}>",
    }
    message = build(
        "monthly-report",
        to=recipient.email,
        context=context,
        language=language,
        time_zone=Profile.for_user(recipient).time_zone,
        headers=headers,
    )
    message.attach_inline_image(chart, "scorecard", "scorecard.png")
    message.attach(csv_file.filename, csv_file.content, csv_file.content_type)
    message.attach(xlsx_file.filename, xlsx_file.content, xlsx_file.content_type)
    return message


def followup_facts(followup, *, now: dt.datetime | None = None) -> dict:
    """What an alert says about a follow-up so it can be acted on without opening anything: the
    lead, company, stage, category, owner, due time, how late in business hours, the SLA rule that
    set the due time, and links to act. Strings in the current language; times are aware datetimes
    (templates show them in the current time zone)."""
    now = now or timezone.now()
    lead, sla = followup.lead, followup.sla
    calendar = sla.business_calendar if sla is not None else None
    late_hours = calendar.business_hours_between(followup.due_at, now) if calendar and now > followup.due_at else None
    rule = ""
    if sla is not None and followup.kind != followup.Kind.ACTION_ITEM:
        allowed = calendar.business_hours_between(followup.starts_at, followup.due_at)
        rule = _("%(kind)s within %(hours)s business hours of %(start)s — %(sla)s, version %(version)s") % {
            "kind": followup.get_kind_display(),
            "hours": format_value(round(allowed, 1), "count"),
            "start": formats.date_format(timezone.localtime(followup.starts_at), "SHORT_DATETIME_FORMAT"),
            "sla": sla.title,
            "version": sla.version,
        }
    lead_url = site_link("leads:detail", [lead.pk], f"/leads/{lead.pk}/") if lead else ""
    actions = []
    if lead is not None:
        if followup.kind == followup.Kind.HANDOFF_DECISION:
            actions.append({"label": _("Accept or reject"), "url": lead_url})
        else:
            actions.append({"label": _("Log a call"), "url": lead_url})
        actions.append({"label": _("Reassign"), "url": site_link("leads:edit", [lead.pk], f"/leads/{lead.pk}/edit/")})
    else:
        actions.append({"label": _("Open the action item"), "url": f"{settings.SITE_URL}{followup.get_absolute_url()}"})
    owner = followup.owner_user
    return {
        "followup": followup,
        "kind": followup.get_kind_display(),
        "subject": followup.subject,
        "lead": lead,
        "company": lead.company if lead else "",
        "stage": lead.get_stage_display() if lead else "",
        "category": lead.get_maturity_category_display() if lead and lead.maturity_category else "",
        "owner": (owner.get_full_name() or owner.get_username()) if owner else str(followup.owner_team),
        "team": str(followup.owner_team),
        "due_at": followup.due_at,
        "late_text": _("%(hours)s business hours late") % {"hours": format_value(round(late_hours, 1), "count")}
        if late_hours
        else "",
        "rule": rule,
        "url": f"{settings.SITE_URL}{followup.get_absolute_url()}" if followup.get_absolute_url() else lead_url,
        "actions": actions,
    }


def _followup_context(notification: Notification) -> dict:
    from leads.models import FollowUp

    followup = FollowUp.objects.select_related("lead", "owner_team", "owner_user", "sla__calendar").get(
        pk=notification.payload["followup"]
    )
    profile = Profile.for_user(notification.recipient)
    with translation.override(profile.language), timezone.override(ZoneInfo(profile.time_zone)):
        facts = followup_facts(followup)
    return {
        "followup": followup,
        "facts": facts,
        "due_local": timezone.localtime(followup.due_at, ZoneInfo(profile.time_zone)),
        # The lead, or for an action item the review it was decided in.
        "lead_url": facts["url"],
        "recipient": notification.recipient,
    }


def _followup_email(name: str, notification: Notification) -> EmailMultiAlternatives:
    profile = Profile.for_user(notification.recipient)
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


def at_risk_facts(payload: dict) -> dict:
    """An at-risk alert's commitment in words: label, owner side, target, actual and projection with units."""
    from slas.models import SLA

    sla = SLA.objects.filter(pk=payload.get("sla")).first()
    currency = sla.currency if sla else "EUR"
    unit = payload.get("unit", "")
    month = payload.get("month", "")
    try:
        month_text = month_label(dt.date.fromisoformat(f"{month}-01"), short=False)
    except ValueError:
        month_text = month
    return {
        "label": commitment_label(payload.get("key", "")),
        "side_label": side_label(payload.get("side")),
        "sla": sla,
        "month": month_text,
        "target_text": format_value(payload.get("target"), unit, currency),
        "actual_text": format_value(payload.get("actual"), unit, currency),
        "projected_text": format_value(payload.get("projected"), unit, currency),
        "status_label": status_label("at_risk"),
        "colour": STATUS_COLOURS["at_risk"],
        "url": site_link("home", [], "/"),
    }


def at_risk(notification: Notification) -> EmailMultiAlternatives:
    recipient = notification.recipient
    profile = Profile.for_user(recipient)
    with translation.override(profile.language):
        facts = at_risk_facts(notification.payload)
    context = {"alert": notification.payload, "facts": facts, "label": facts["label"], "recipient": recipient}
    return build("at-risk", to=recipient.email, context=context, language=profile.language, time_zone=profile.time_zone)


def alert_sections(items: list[Notification]) -> list[dict]:
    """Alerts grouped by SLA (title, items), each with its facts, link, due time and actions
    (the digest and the grouped alerts of one scan)."""
    from leads.models import FollowUp

    followup_ids = [item.payload.get("followup") for item in items if item.payload.get("followup")]
    followups = FollowUp.objects.select_related("lead", "owner_team", "owner_user", "sla__calendar").in_bulk(
        followup_ids
    )
    sections: dict[str, list[dict]] = {}
    for item in items:
        followup = followups.get(item.payload.get("followup"))
        if followup is not None:
            facts = followup_facts(followup)
            title = followup.sla.title if followup.sla else _("Action items")
            entry = {**facts, "kind_label": Notification.Kind(item.kind).label, "due_at": followup.due_at}
        elif item.kind == Notification.Kind.AT_RISK:
            facts = at_risk_facts(item.payload)
            title = facts["sla"].title if facts["sla"] else ""
            entry = {
                "kind_label": Notification.Kind.AT_RISK.label,
                "subject": facts["label"],
                "url": facts["url"],
                "due_at": None,
                "late_text": _("projected %(projected)s for a target of %(target)s")
                % {"projected": facts["projected_text"], "target": facts["target_text"]},
            }
        else:
            continue
        sections.setdefault(title, []).append(entry)
    return [{"title": title, "items": entries} for title, entries in sorted(sections.items())]


def _alert_list_email(name: str, recipient, items: list[Notification], extra) -> EmailMultiAlternatives:
    """The digest and the grouped alerts: ``items`` grouped by SLA (``alert_sections``) in the
    recipient's language and time zone, with ``extra()``'s context (computed in that language)."""
    profile = Profile.for_user(recipient)
    with translation.override(profile.language), timezone.override(ZoneInfo(profile.time_zone)):
        sections = alert_sections(items)
        context = {
            "sections": sections,
            "count": sum(len(section["items"]) for section in sections),
            "recipient": recipient,
            **extra(),
        }
    return build(name, to=recipient.email, context=context, language=profile.language, time_zone=profile.time_zone)


def digest(notification: Notification) -> EmailMultiAlternatives:
    def day_text() -> dict:
        day = notification.payload.get("day", "")
        try:
            return {"day": formats.date_format(dt.date.fromisoformat(day), "DATE_FORMAT")}
        except ValueError:
            return {"day": day}

    items = Notification.objects.filter(pk__in=notification.payload.get("items", [])).order_by("created_at", "pk")
    return _alert_list_email("digest", notification.recipient, list(items), day_text)


def alerts_group(rows: list[Notification]) -> EmailMultiAlternatives:
    """One e-mail for several alerts to one person (one scan's overdue follow-ups, escalations and
    at-risk commitments): how many of each, then every item grouped by SLA with its facts and links."""
    kinds = [Notification.Kind.OVERDUE, Notification.Kind.ESCALATION, Notification.Kind.AT_RISK]

    def counts() -> dict:
        return {
            "counts": [
                {"label": Notification.Kind(kind).label, "count": sum(1 for row in rows if row.kind == kind)}
                for kind in kinds
                if any(row.kind == kind for row in rows)
            ]
        }

    return _alert_list_email("alerts", rows[0].recipient, rows, counts)


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
    """The e-mail of a notification; its ``Message-ID`` is the notification's, the same on every retry
    (a receiving server or client that got a first attempt recognises the second)."""
    message = BUILDERS[notification.kind](notification)
    from .notifications.outbox import message_id

    message.extra_headers.setdefault("Message-ID", message_id(notification))
    message.extra_headers.setdefault("Auto-Submitted", "auto-generated")
    return message
