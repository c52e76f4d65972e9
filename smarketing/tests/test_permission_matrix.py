"""The permission matrix (SPEC §7) as ONE table: every URL pattern × every role.

Roles: the administrator; the manager and the member of two marketing teams (M1, M2) and of two
sales teams (S1, S2); a viewer; an anonymous visitor; and a caller holding a *revoked* token
of the administrator. UI pages are requested with a session, API endpoints with the role's
own token (real ``Authorization: Token`` authentication).

For each case the table names the roles that may succeed. Every other role must not succeed:
no 2xx and no redirect other than to a login page, no error-free page, and nothing changed in
the database (a fingerprint of the tables every action writes: the audit log, leads and their
history, jobs, deliveries, notifications, reports, tokens, webhooks, SLA states). A role that
may succeed must succeed. No role ever gets a 5xx. Each request runs in a savepoint that is
rolled back, so every role meets the same world.

How to extend it (a new URL pattern makes ``test_every_url_pattern_is_in_the_table`` fail):

1. Add an entry to ``TABLE`` keyed by the pattern's name as ``reverse()`` takes it
   (``"leads:detail"``, ``"api-lead-list"``); a pattern without a name is keyed by its route.
2. Give it one or more cases: ``get(path, allowed)``, ``post(path, allowed, data)``,
   ``patch(...)``, ``delete(...)``. ``path`` and ``data`` are functions of the ``World`` (the
   objects below: ``w.draft``, ``w.mql``, ``w.webhook`` …; add one to ``build_world`` if you
   need it). ``allowed`` is a set of role names built from the groups below (``SIGNED_IN``,
   ``MANAGERS`` …). Use ``business_errors_ok=True`` when an allowed role may be refused by a
   business rule (a 400/409, or a page with an error message) rather than by the matrix.
3. Admin pages are generated from the admin registry (``admin_cases``): a new ModelAdmin needs
   one line in ``ADMIN_MODELS`` saying what the administrator may do there. Admin actions are
   generated too, for the administrator only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.messages import constants as message_levels
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import Sum
from django.forms import BaseForm
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from leads import services as lead_services
from leads.models import Activity, CaptureForm, FollowUp, Handoff, ImportFile, Lead, LeadEvent, Stage, VisitCount
from reporting.emails import unsubscribe_token
from reporting.models import MonthlyReport, Notification, ReportAudit
from reporting.services import report_compute
from reviews import services as review_services
from reviews.models import ActionItem, AgendaPoint, Decision, Note, Participant, Review
from slas import services as sla_services
from slas.models import SLA, GoalPlan, LifecycleRecord, Membership, Profile
from slas.tests.factories import TeamFactory, UserFactory, make_sla
from smarketing import webhooks
from smarketing.models import ApiToken, Job, WebhookDelivery, WebhookSubscription, WorkerHeartbeat
from smarketing.tokens import api_token_create, api_token_revoke

pytestmark = pytest.mark.django_db

# --- Roles ------------------------------------------------------------------------------------

ROLES = [
    "admin",
    "mkt_manager",
    "mkt_member",
    "other_mkt_manager",
    "other_mkt_member",
    "sales_manager",
    "sales_member",
    "other_sales_manager",
    "other_sales_member",
    "viewer",
    "anonymous",
    "revoked_token",
]
EVERYONE = frozenset(ROLES)
SIGNED_IN = EVERYONE - {"anonymous", "revoked_token"}
WRITERS = SIGNED_IN - {"viewer"}
ADMIN = frozenset({"admin"})
NOBODY: frozenset[str] = frozenset()
MKT_MANAGERS = frozenset({"mkt_manager", "other_mkt_manager"})
SALES_MANAGERS = frozenset({"sales_manager", "other_sales_manager"})
MANAGERS = MKT_MANAGERS | SALES_MANAGERS
MARKETING = MKT_MANAGERS | {"mkt_member", "other_mkt_member"}
# The SLA of the world binds M1 (mkt_*) and S1 (sales_*): its parties' managers draft and amend it.
SLA_PARTIES = frozenset({"admin", "mkt_manager", "sales_manager"})
# A marketing-stage lead of M1: admin, any marketing manager, members of M1.
M1_LEAD_WORKERS = ADMIN | MKT_MANAGERS | {"mkt_member"}
# A handoff to S1, and a sales-stage lead owned by sales_member in S1.
S1_DECIDERS = ADMIN | SALES_MANAGERS | {"sales_member"}
WEBHOOK_OWNER = frozenset({"admin", "mkt_manager"})
PASSWORD = "pass-word-123"

# --- The world ----------------------------------------------------------------------------------


@dataclass
class World:
    users: dict[str, Any]
    keys: dict[str, str]
    teams: dict[str, Any]
    draft: SLA
    in_signature: SLA
    active: SLA
    mql: Lead
    pending: Lead
    sql: Lead
    report: MonthlyReport
    webhook: WebhookSubscription
    job: Job
    capture: CaptureForm
    extra_token: ApiToken
    calendar_token: str
    unsubscribe: str
    proposal: LeadEvent
    objects: dict[str, Any] = field(default_factory=dict)


def build_world() -> World:
    teams = {
        "M1": TeamFactory(name="Marketing", function="marketing"),
        "M2": TeamFactory(name="Events marketing", function="marketing"),
        "S1": TeamFactory(name="Inside sales", function="sales"),
        "S2": TeamFactory(name="Field sales", function="sales"),
    }
    users: dict[str, Any] = {"admin": UserFactory(username="admin", is_superuser=True, is_staff=True)}
    for role, team, rank in [
        ("mkt_manager", "M1", Membership.Role.MANAGER),
        ("mkt_member", "M1", Membership.Role.MEMBER),
        ("other_mkt_manager", "M2", Membership.Role.MANAGER),
        ("other_mkt_member", "M2", Membership.Role.MEMBER),
        ("sales_manager", "S1", Membership.Role.MANAGER),
        ("sales_member", "S1", Membership.Role.MEMBER),
        ("other_sales_manager", "S2", Membership.Role.MANAGER),
        ("other_sales_member", "S2", Membership.Role.MEMBER),
    ]:
        users[role] = UserFactory(username=role, password=PASSWORD)
        Membership.objects.create(user=users[role], team=teams[team], role=rank)
    users["viewer"] = UserFactory(username="viewer", password=PASSWORD)
    Profile.objects.update_or_create(user=users["viewer"], defaults={"is_viewer": True})
    keys = {role: api_token_create(user=user, name="matrix")[1] for role, user in users.items()}
    revoked, keys["revoked_token"] = api_token_create(user=users["admin"], name="revoked")
    api_token_revoke(token=revoked, by=users["admin"])

    today = timezone.localdate()
    active = make_sla(
        teams["M1"],
        teams["S1"],
        status=SLA.Status.ACTIVE,
        start=today.replace(day=1) - dt.timedelta(days=400),
        end=today + dt.timedelta(days=365),
    )
    draft = make_sla(teams["M1"], teams["S1"], start=today + dt.timedelta(days=400), end=today + dt.timedelta(days=700))
    SLA.objects.filter(pk=draft.pk).update(created_by=users["mkt_manager"])
    draft.refresh_from_db()
    in_signature = sla_services.sla_submit(
        sla=make_sla(
            teams["M1"], teams["S1"], start=today + dt.timedelta(days=800), end=today + dt.timedelta(days=900)
        ),
        by=users["admin"],
    )
    mql = lead_services.lead_create(
        data={"email": "mql@example.com", "first_name": "Mia"},
        team=teams["M1"],
        by=users["mkt_member"],
        stage=Stage.MQL,
    )
    # A later capture of the MQL's person proposes a different first name (SPEC §2).
    lead_services.lead_create(
        data={"email": "mql@example.com", "first_name": "Mila"}, team=teams["M1"], by=None, source="capture_form"
    )
    proposal = mql.events.get(kind=LeadEvent.Kind.CAPTURED_AGAIN)
    pending = lead_services.lead_create(
        data={"email": "pending@example.com"}, team=teams["M1"], by=users["mkt_member"], stage=Stage.MQL
    )
    lead_services.lead_handoff(lead=pending, team=teams["S1"], by=users["mkt_member"])
    sql = lead_services.lead_create(
        data={"email": "sql@example.com"}, team=teams["M1"], by=users["mkt_member"], stage=Stage.MQL
    )
    lead_services.lead_handoff(lead=sql, team=teams["S1"], by=users["mkt_member"])
    sql = lead_services.lead_accept(lead=sql, by=users["sales_member"])
    lead_services.activity_log(lead=sql, kind="call", by=users["sales_member"])
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    report = report_compute(sla=active, month=last_month)
    # Reviews (issue 18): last month's, prepared with its report (M1 and S1's managers invited), with
    # a decision proposing a change and an action item of sales_member; an earlier one closed; and a
    # back-filled report three months ago that has no review yet.
    review = Review.objects.get(series=active.series, month=last_month)
    decision = review_services.decision_add(
        review=review,
        by=users["mkt_manager"],
        text="Raise the MQL target",
        proposal="target",
        commitment_key="mql_volume",
        proposed_value="40",
    )
    action_item = review_services.action_item_add(
        review=review, by=users["mkt_manager"], title="Call back", owner=users["sales_member"], due_date=today
    )
    two_months_ago = (last_month - dt.timedelta(days=1)).replace(day=1)
    closed_review = review_services.review_create_monthly(sla=active, month=two_months_ago)
    review_services.review_close(review=closed_review, by=users["mkt_manager"])
    report_without_review = report_compute(sla=active, month=(two_months_ago - dt.timedelta(days=1)).replace(day=1))
    # A deleted draft leaves its lifecycle record (SLA history is never lost).
    sla_services.sla_delete_draft(
        sla=make_sla(teams["M2"], teams["S2"], start=today, end=today + dt.timedelta(days=30)), by=users["admin"]
    )
    webhook = webhooks.webhook_subscription_create(
        url="http://127.0.0.1:9/hook", events=["report.ready"], by=users["mkt_manager"]
    )
    job = Job.objects.create(kind=Job.Kind.LEAD_IMPORT, created_by=users["mkt_member"], status=Job.Status.SUCCEEDED)
    capture = CaptureForm.objects.create(slug="contact", name="Contact", team=teams["M1"], channel="web")
    extra_token, _key = api_token_create(user=users["mkt_manager"], name="extra")
    # One object of every model the admin shows, for its change, delete and history pages.
    objects = {
        "notification": Notification.objects.create(
            kind=Notification.Kind.MONTHLY_REPORT,
            recipient=users["mkt_manager"],
            dedupe_key="matrix:report",
            payload={"report": report.pk},
            subject="Monthly report",
        ),
        "auth.group": Group.objects.create(name="Readers"),
        "smarketing.workerheartbeat": WorkerHeartbeat.objects.create(hostname="w1", last_seen=timezone.now()),
        "leads.visitcount": VisitCount.objects.create(month=last_month, channel="web", count=3),
        "slas.goalplan": GoalPlan.objects.create(name="Plan", inputs={}, result={}, created_by=users["admin"]),
        "slas.lifecyclerecord": LifecycleRecord.objects.order_by("pk").first(),
        "reviews.review": review,
        "reviews.actionitem": action_item,
        "reviews.decision": decision,
        "reviews.closed": closed_review,
        "reviews.report_without_review": report_without_review,
    }
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    objects["axes.accessattempt"] = AccessAttempt.objects.create(
        username="x", ip_address="198.51.100.1", failures_since_start=1
    )
    objects["axes.accesslog"] = AccessLog.objects.create(username="x", ip_address="198.51.100.1")
    objects["axes.accessfailurelog"] = AccessFailureLog.objects.create(username="x", ip_address="198.51.100.1")
    return World(
        users=users,
        keys=keys,
        teams=teams,
        draft=draft,
        in_signature=in_signature,
        active=active,
        mql=mql,
        pending=pending,
        sql=sql,
        report=report,
        webhook=webhook,
        job=job,
        capture=capture,
        extra_token=extra_token,
        calendar_token=Profile.for_user(users["mkt_manager"]).calendar_token,
        unsubscribe=unsubscribe_token(users["mkt_manager"].pk, active.series),
        proposal=proposal,
        objects=objects,
    )


def fingerprint() -> tuple:
    """What any successful action changes: compared before and after a refused request."""
    counted = [LogEntry, Lead, LeadEvent, Activity, Handoff, FollowUp, Job, ImportFile, WebhookDelivery]
    counted += [WebhookSubscription, Notification, MonthlyReport, ReportAudit, VisitCount, GoalPlan, SLA, Membership]
    counted += [Review, Participant, AgendaPoint, Note, Decision, ActionItem]
    return (
        *(model.objects.count() for model in counted),
        tuple(Review.objects.order_by("pk").values_list("status", "sequence", "scheduled_at")),
        tuple(FollowUp.objects.order_by("pk").values_list("status", flat=True)),
        ApiToken.objects.filter(revoked_at__isnull=True).count(),
        Lead.objects.aggregate(total=Sum("version"))["total"],
        tuple(SLA.objects.order_by("pk").values_list("status", "revision")),
        tuple(Profile.objects.order_by("pk").values_list("calendar_token", flat=True)),
        Notification.objects.filter(read_at__isnull=True).count(),
    )


# --- Cases --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    method: str
    path: Callable[[World], str]
    allowed: frozenset[str]
    data: Callable[[World], Any] | None = None
    business_errors_ok: bool = False
    ok_statuses: frozenset[int] = frozenset()

    def describe(self, world: World) -> str:
        return f"{self.method.upper()} {self.path(world)}"


def get(path, allowed, **options) -> Case:
    return Case("get", path, frozenset(allowed), **options)


def post(path, allowed, data=None, **options) -> Case:
    return Case("post", path, frozenset(allowed), data, **options)


def patch(path, allowed, data=None, **options) -> Case:
    return Case("patch", path, frozenset(allowed), data, **options)


def delete(path, allowed, **options) -> Case:
    return Case("delete", path, frozenset(allowed), **options)


def url(name: str, *args) -> Callable[[World], str]:
    """``reverse(name, args)`` where each arg may be a function of the world."""
    return lambda w: reverse(name, args=[arg(w) if callable(arg) else arg for arg in args])


def future(days: int = 10) -> str:
    return (timezone.now() + dt.timedelta(days=days)).isoformat()


TABLE: dict[str, list[Case]] = {
    # --- Shell, accounts, profile ---
    "home": [get(url("home"), SIGNED_IN)],
    "healthz": [get(url("healthz"), EVERYONE, ok_statuses=frozenset({200, 503}))],
    "login": [get(url("login"), EVERYONE)],
    # Signing out lands on the sign-in page, whoever asks.
    "logout": [post(url("logout"), EVERYONE, ok_statuses=frozenset({302}))],
    "profile": [
        get(url("profile"), SIGNED_IN),
        post(url("profile"), SIGNED_IN, lambda w: {"action": "create_token", "name": "new one"}),
    ],
    "profile_token_revoke": [post(url("profile_token_revoke", lambda w: w.extra_token.pk), {"mkt_manager"})],
    "password_change": [get(url("password_change"), SIGNED_IN)],
    "password_change_done": [get(url("password_change_done"), SIGNED_IN)],
    "password_reset": [
        get(url("password_reset"), EVERYONE),
        post(url("password_reset"), EVERYONE, lambda w: {"email": "viewer@example.com"}),
    ],
    "password_reset_done": [get(url("password_reset_done"), EVERYONE)],
    "password_reset_confirm": [get(url("password_reset_confirm", "MQ", "bad-token"), EVERYONE)],
    "password_reset_complete": [get(url("password_reset_complete"), EVERYONE)],
    "set_language": [post(url("set_language"), EVERYONE, lambda w: {"language": "fr", "next": "/"})],
    # Public, but a revoked token is refused wherever it is presented.
    "api-schema": [get(url("api-schema"), EVERYONE - {"revoked_token"})],
    "api-docs": [get(url("api-docs"), EVERYONE - {"revoked_token"})],
    # --- SLA pages ---
    "slas:list": [get(url("slas:list"), SIGNED_IN)],
    "slas:create": [get(url("slas:create"), ADMIN | MANAGERS)],
    "slas:goal_planner": [get(url("slas:goal_planner"), SIGNED_IN)],
    "slas:detail": [get(url("slas:detail", lambda w: w.draft.pk), SIGNED_IN)],
    "slas:edit": [get(url("slas:edit", lambda w: w.draft.pk), SLA_PARTIES)],
    # The editor's steps: every step page, the review (the document as it will be signed) included.
    "slas:edit_step": [
        get(url("slas:edit_step", lambda w: w.draft.pk, step), SLA_PARTIES)
        for step in ("goals", "commitments", "rules", "calendars", "review")
    ],
    "slas:submit": [post(url("slas:submit", lambda w: w.draft.pk), SLA_PARTIES)],
    "slas:sign": [
        get(lambda w: f"{reverse('slas:sign', args=[w.in_signature.pk])}?team={w.teams['M1'].pk}", {"mkt_manager"}),
        post(
            url("slas:sign", lambda w: w.in_signature.pk),
            {"mkt_manager"},
            lambda w: {"team": w.teams["M1"].pk, "fingerprint": w.in_signature.fingerprint},
        ),
    ],
    "slas:amend": [post(url("slas:amend", lambda w: w.active.pk), SLA_PARTIES)],
    "slas:withdraw": [
        post(url("slas:withdraw", lambda w: w.in_signature.pk), SLA_PARTIES, lambda w: {"reason": "Redo"})
    ],
    # A draft goes with its author (mkt_manager here) or an admin.
    "slas:delete": [post(url("slas:delete", lambda w: w.draft.pk), {"admin", "mkt_manager"})],
    "slas:compare": [get(url("slas:compare", lambda w: w.draft.pk), SIGNED_IN)],
    # --- Lead pages ---
    "leads:list": [get(url("leads:list"), SIGNED_IN)],
    "leads:board": [get(url("leads:board"), SIGNED_IN)],
    "leads:create": [
        get(url("leads:create"), ADMIN | MARKETING),
        post(
            url("leads:create"),
            ADMIN | MKT_MANAGERS | {"mkt_member"},
            lambda w: {"email": "new@example.com", "team": w.teams["M1"].pk, "stage": "prospect"},
        ),
    ],
    "leads:detail": [get(url("leads:detail", lambda w: w.mql.pk), SIGNED_IN)],
    "leads:edit": [
        get(url("leads:edit", lambda w: w.mql.pk), M1_LEAD_WORKERS),
        post(
            url("leads:edit", lambda w: w.mql.pk),
            M1_LEAD_WORKERS,
            lambda w: {"email": "mql@example.com", "company": "Acme"},
        ),
    ],
    "leads:action": [
        post(url("leads:action", lambda w: w.mql.pk, "handoff"), M1_LEAD_WORKERS, lambda w: {"team": w.teams["S1"].pk}),
        post(url("leads:action", lambda w: w.pending.pk, "accept"), S1_DECIDERS),
        post(url("leads:action", lambda w: w.pending.pk, "reject"), S1_DECIDERS, lambda w: {"reason": "Too early"}),
        post(
            url("leads:action", lambda w: w.sql.pk, "activity"),
            S1_DECIDERS,
            lambda w: {"kind": "call", "outcome": "done"},
        ),
        post(url("leads:action", lambda w: w.mql.pk, "bogus"), NOBODY),
    ],
    "leads:apply_proposal": [
        post(
            url("leads:apply_proposal", lambda w: w.mql.pk, lambda w: w.proposal.pk),
            M1_LEAD_WORKERS,
            lambda w: {"fields_to_apply": ["first_name"]},
        )
    ],
    "leads:followups": [get(url("leads:followups"), SIGNED_IN)],
    "leads:visits": [
        get(url("leads:visits"), SIGNED_IN),
        post(url("leads:visits"), ADMIN | MARKETING, lambda w: {"month": "2026-01", "channel": "ads", "count": 5}),
    ],
    "leads:capture_forms": [get(url("leads:capture_forms"), SIGNED_IN)],
    "leads:import": [get(url("leads:import"), ADMIN | MARKETING)],
    "leads:import_job": [get(url("leads:import_job", lambda w: w.job.pk), {"admin", "mkt_member"})],
    "capture": [
        get(url("capture", "contact"), EVERYONE),
        post(
            url("capture", "contact"),
            EVERYONE,
            lambda w: {"first_name": "P", "last_name": "Q", "email": "p@example.com", "consent_to_contact": "on"},
        ),
    ],
    # --- Reports, notifications, calendar ---
    "reporting:report_list": [get(url("reporting:report_list"), SIGNED_IN)],
    "reporting:report_detail": [get(url("reporting:report_detail", lambda w: w.report.pk), SIGNED_IN)],
    "reporting:report_csv": [get(url("reporting:report_csv", lambda w: w.report.pk), SIGNED_IN)],
    "reporting:report_xlsx": [get(url("reporting:report_xlsx", lambda w: w.report.pk), SIGNED_IN)],
    "reporting:report_pdf": [get(url("reporting:report_pdf", lambda w: w.report.pk), SIGNED_IN)],
    "reporting:report_recompute": [post(url("reporting:report_recompute", lambda w: w.report.pk), SLA_PARTIES)],
    "reporting:planner_prefill": [get(url("reporting:planner_prefill"), SIGNED_IN)],
    "notifications:list": [get(url("notifications:list"), SIGNED_IN)],
    # Marking as read: one's own notification only (mkt_manager's here); everyone may clear their own.
    "notifications:read": [
        post(url("notifications:read", lambda w: w.objects["notification"].pk), {"mkt_manager"}),
    ],
    "notifications:read_all": [post(url("notifications:read_all"), SIGNED_IN)],
    # A capability URL: whoever holds the signed link (sent to its user) may use it.
    "notifications:unsubscribe": [
        get(url("notifications:unsubscribe", lambda w: w.unsubscribe), EVERYONE),
        post(url("notifications:unsubscribe", lambda w: w.unsubscribe), EVERYONE),
    ],
    "notifications:preferences": [
        get(url("notifications:preferences"), SIGNED_IN),
        post(
            url("notifications:preferences"),
            SIGNED_IN,
            lambda w: {"series": str(w.active.series), "action": "subscribe"},
        ),
    ],
    "notifications:calendar": [get(url("notifications:calendar"), SIGNED_IN)],
    "notifications:calendar_rotate": [post(url("notifications:calendar_rotate"), SIGNED_IN)],
    "calendar_feed": [get(url("calendar_feed", lambda w: w.calendar_token), EVERYONE)],
    # --- Reviews (issue 18): everyone reads; the review's participants and the managers of its SLA's
    # two teams (mkt_manager, sales_manager: invited) write; the managers prepare, move and close ---
    "reviews:list": [get(url("reviews:list"), SIGNED_IN)],
    "reviews:new": [get(url("reviews:new"), SLA_PARTIES)],
    "reviews:prepare": [
        post(url("reviews:prepare"), SLA_PARTIES, lambda w: {"report": w.objects["reviews.report_without_review"].pk})
    ],
    "reviews:detail": [
        get(url("reviews:detail", lambda w: w.objects["reviews.review"].pk), SIGNED_IN),
        get(url("reviews:detail", lambda w: w.objects["reviews.closed"].pk), SIGNED_IN),
    ],
    "reviews:meeting": [get(url("reviews:meeting", lambda w: w.objects["reviews.review"].pk), SIGNED_IN)],
    "reviews:participant_add": [
        post(
            url("reviews:participant_add", lambda w: w.objects["reviews.review"].pk),
            SLA_PARTIES,
            lambda w: {"user": w.users["mkt_member"].pk},
        )
    ],
    "reviews:point_add": [
        post(url("reviews:point_add", lambda w: w.objects["reviews.review"].pk), SLA_PARTIES, lambda w: {"text": "A"})
    ],
    "reviews:note_add": [
        post(
            url("reviews:note_add", lambda w: w.objects["reviews.review"].pk),
            SLA_PARTIES,
            lambda w: {"item": "scorecard", "text": "A note"},
        )
    ],
    "reviews:decision_add": [
        post(
            url("reviews:decision_add", lambda w: w.objects["reviews.review"].pk),
            SLA_PARTIES,
            lambda w: {"text": "A decision"},
        )
    ],
    "reviews:decision_amend": [
        post(
            url(
                "reviews:decision_amend",
                lambda w: w.objects["reviews.review"].pk,
                lambda w: w.objects["reviews.decision"].pk,
            ),
            SLA_PARTIES,
        )
    ],
    "reviews:action_add": [
        post(
            url("reviews:action_add", lambda w: w.objects["reviews.review"].pk),
            SLA_PARTIES,
            lambda w: {"title": "Act", "owner": w.users["sales_member"].pk, "due_date": future()[:10]},
        )
    ],
    "reviews:action_done": [
        post(url("reviews:action_done", lambda w: w.objects["reviews.actionitem"].pk), SLA_PARTIES | {"sales_member"})
    ],
    "reviews:reschedule": [
        post(
            url("reviews:reschedule", lambda w: w.objects["reviews.review"].pk),
            SLA_PARTIES,
            lambda w: {"scheduled_at": future(20)[:16], "duration_minutes": 60},
        )
    ],
    "reviews:close": [post(url("reviews:close", lambda w: w.objects["reviews.review"].pk), SLA_PARTIES)],
    "reviews:minutes_pdf": [get(url("reviews:minutes_pdf", lambda w: w.objects["reviews.closed"].pk), SIGNED_IN)],
    "reviews:invitation": [get(url("reviews:invitation", lambda w: w.objects["reviews.review"].pk), SIGNED_IN)],
    "reviews:planner": [get(url("reviews:planner", lambda w: w.objects["reviews.review"].pk), SIGNED_IN)],
    # --- Webhook pages: a manager's own, all for the admin ---
    "webhooks:list": [get(url("webhooks:list"), ADMIN | MANAGERS)],
    "webhooks:create": [
        get(url("webhooks:create"), ADMIN | MANAGERS),
        post(
            url("webhooks:create"),
            ADMIN | MANAGERS,
            lambda w: {"url": "http://127.0.0.1:9/n", "events": ["report.ready"]},
        ),
    ],
    "webhooks:detail": [get(url("webhooks:detail", lambda w: w.webhook.pk), WEBHOOK_OWNER)],
    "webhooks:edit": [
        get(url("webhooks:edit", lambda w: w.webhook.pk), WEBHOOK_OWNER),
        post(
            url("webhooks:edit", lambda w: w.webhook.pk),
            WEBHOOK_OWNER,
            lambda w: {"url": "http://127.0.0.1:9/changed", "events": ["report.ready"]},
        ),
    ],
    "webhooks:test": [post(url("webhooks:test", lambda w: w.webhook.pk), WEBHOOK_OWNER)],
    "webhooks:rotate": [post(url("webhooks:rotate", lambda w: w.webhook.pk), WEBHOOK_OWNER)],
    "webhooks:delete": [post(url("webhooks:delete", lambda w: w.webhook.pk), WEBHOOK_OWNER)],
    # --- REST API ---
    "api-not-found": [get(lambda w: "/api/v1/no-such-thing/", NOBODY), post(lambda w: "/api/v2/leads/", NOBODY, {})],
    "api-token": [post(url("api-token"), EVERYONE, lambda w: {"username": "viewer", "password": PASSWORD})],
    "api-tokens": [get(url("api-tokens"), SIGNED_IN)],
    "api-token-revoke": [post(url("api-token-revoke", lambda w: w.extra_token.pk), {"mkt_manager"})],
    "api-webhooks": [
        get(url("api-webhooks"), ADMIN | MANAGERS),
        post(
            url("api-webhooks"), ADMIN | MANAGERS, lambda w: {"url": "http://127.0.0.1:9/a", "events": ["report.ready"]}
        ),
    ],
    "api-webhook": [
        get(url("api-webhook", lambda w: w.webhook.pk), WEBHOOK_OWNER),
        patch(url("api-webhook", lambda w: w.webhook.pk), WEBHOOK_OWNER, lambda w: {"description": "changed"}),
        delete(url("api-webhook", lambda w: w.webhook.pk), WEBHOOK_OWNER),
    ],
    "api-webhook-test": [post(url("api-webhook-test", lambda w: w.webhook.pk), WEBHOOK_OWNER)],
    "api-webhook-rotate-secret": [
        post(url("api-webhook-rotate-secret", lambda w: w.webhook.pk), WEBHOOK_OWNER, lambda w: {})
    ],
    "api-webhook-deliveries": [get(url("api-webhook-deliveries", lambda w: w.webhook.pk), WEBHOOK_OWNER)],
    "goal-plans": [
        post(
            url("goal-plans"),
            SIGNED_IN,
            lambda w: {"revenue_target": "100000", "average_deal_size": "1000", "overall_rate": "2"},
        ),
        post(
            url("goal-plans"),
            WRITERS,
            lambda w: {"revenue_target": "100000", "average_deal_size": "1000", "overall_rate": "2", "save": True},
        ),
    ],
    "team-list": [
        get(url("team-list"), SIGNED_IN),
        post(url("team-list"), ADMIN, lambda w: {"name": "Partners", "function": "sales"}),
    ],
    "team-detail": [get(url("team-detail", lambda w: w.teams["M1"].pk), SIGNED_IN)],
    "user-list": [
        get(url("user-list"), SIGNED_IN),
        post(url("user-list"), ADMIN, lambda w: {"username": "newbie", "password": "Lo0ng-enough-secret"}),
    ],
    "user-detail": [get(url("user-detail", lambda w: w.users["viewer"].pk), SIGNED_IN)],
    "sla-list": [
        get(url("sla-list"), SIGNED_IN),
        post(
            url("sla-list"),
            SLA_PARTIES,
            lambda w: {
                "title": "New",
                "marketing_team": w.teams["M1"].pk,
                "sales_team": w.teams["S1"].pk,
                "start_date": "2031-01-01",
                "end_date": "2031-12-31",
            },
        ),
    ],
    "sla-detail": [
        get(url("sla-detail", lambda w: w.draft.pk), SIGNED_IN),
        patch(url("sla-detail", lambda w: w.draft.pk), SLA_PARTIES, lambda w: {"title": "Renamed"}),
    ],
    "sla-submit": [post(url("sla-submit", lambda w: w.draft.pk), SLA_PARTIES)],
    "sla-sign": [
        post(url("sla-sign", lambda w: w.in_signature.pk), {"mkt_manager"}, lambda w: {"team": w.teams["M1"].pk})
    ],
    "sla-amend": [post(url("sla-amend", lambda w: w.active.pk), SLA_PARTIES)],
    "sla-withdraw": [post(url("sla-withdraw", lambda w: w.in_signature.pk), SLA_PARTIES, lambda w: {"reason": "Redo"})],
    "api-lead-list": [
        get(url("api-lead-list"), SIGNED_IN),
        post(url("api-lead-list"), M1_LEAD_WORKERS, lambda w: {"email": "api@example.com", "team": w.teams["M1"].pk}),
    ],
    "api-lead-detail": [
        get(url("api-lead-detail", lambda w: w.mql.pk), SIGNED_IN),
        patch(url("api-lead-detail", lambda w: w.mql.pk), M1_LEAD_WORKERS, lambda w: {"company": "Acme"}),
    ],
    "api-lead-transition": [
        post(url("api-lead-transition", lambda w: w.mql.pk), M1_LEAD_WORKERS, lambda w: {"to": "prospect"})
    ],
    "api-lead-handoff": [
        post(url("api-lead-handoff", lambda w: w.mql.pk), M1_LEAD_WORKERS, lambda w: {"team": w.teams["S1"].pk})
    ],
    "api-lead-accept": [post(url("api-lead-accept", lambda w: w.pending.pk), S1_DECIDERS)],
    "api-lead-reject": [post(url("api-lead-reject", lambda w: w.pending.pk), S1_DECIDERS, lambda w: {"reason": "No"})],
    # Taking (for one's own team, S1 here) depends on the lead's category and the SLA's rule: the
    # matrix checks who is refused.
    "api-lead-take": [
        post(
            url("api-lead-take", lambda w: w.mql.pk),
            ADMIN | {"sales_manager", "sales_member"},
            lambda w: {"until": future(), "team": w.teams["S1"].pk},
            business_errors_ok=True,
        )
    ],
    "api-lead-return": [post(url("api-lead-return", lambda w: w.sql.pk), S1_DECIDERS, lambda w: {"feedback": "Later"})],
    "api-lead-category": [
        post(
            url("api-lead-category", lambda w: w.mql.pk), M1_LEAD_WORKERS, lambda w: {"category": 2, "reason": "Budget"}
        )
    ],
    "api-lead-activities": [
        get(url("api-lead-activities", lambda w: w.sql.pk), SIGNED_IN),
        post(url("api-lead-activities", lambda w: w.sql.pk), S1_DECIDERS, lambda w: {"kind": "call"}),
    ],
    "api-lead-history": [get(url("api-lead-history", lambda w: w.mql.pk), SIGNED_IN)],
    "api-followup-list": [get(url("api-followup-list"), SIGNED_IN)],
    "api-visits": [
        post(url("api-visits"), ADMIN | MARKETING, lambda w: {"month": "2026-01", "channel": "ads", "count": 5})
    ],
    "api-imports": [
        post(
            url("api-imports"),
            M1_LEAD_WORKERS,
            lambda w: {"file": SimpleUploadedFile("l.csv", b"email\nimp@example.com\n"), "team": w.teams["M1"].pk},
        )
    ],
    "api-job-detail": [get(url("api-job-detail", lambda w: w.job.pk), {"admin", "mkt_member"})],
    "api-sla-status": [get(url("api-sla-status", lambda w: w.active.pk), SIGNED_IN)],
    "api-report-list": [get(url("api-report-list"), SIGNED_IN)],
    "api-report-detail": [get(url("api-report-detail", lambda w: w.report.pk), SIGNED_IN)],
    "api-report-csv": [get(url("api-report-csv", lambda w: w.report.pk), SIGNED_IN)],
    "api-report-xlsx": [get(url("api-report-xlsx", lambda w: w.report.pk), SIGNED_IN)],
    "api-notification-list": [get(url("api-notification-list"), SIGNED_IN)],
    "api-review-list": [get(url("api-review-list"), SIGNED_IN)],
    "api-review-detail": [get(url("api-review-detail", lambda w: w.objects["reviews.review"].pk), SIGNED_IN)],
    "api-review-decisions": [
        post(
            url("api-review-decisions", lambda w: w.objects["reviews.review"].pk),
            SLA_PARTIES,
            lambda w: {"text": "A decision"},
        )
    ],
    "api-review-action-items": [
        post(
            url("api-review-action-items", lambda w: w.objects["reviews.review"].pk),
            SLA_PARTIES,
            lambda w: {"title": "Act", "owner": w.users["sales_member"].pk, "due_date": future()[:10]},
        )
    ],
    # --- Admin pages that are not per model ---
    "admin:index": [get(url("admin:index"), ADMIN)],
    "admin:login": [get(url("admin:login"), EVERYONE)],
    "admin:logout": [post(url("admin:logout"), EVERYONE, ok_statuses=frozenset({302}))],
    "admin:password_change": [get(url("admin:password_change"), ADMIN)],
    "admin:password_change_done": [get(url("admin:password_change_done"), ADMIN)],
    "admin:jsi18n": [get(url("admin:jsi18n"), ADMIN)],
    "admin:autocomplete": [
        get(lambda w: reverse("admin:autocomplete") + "?app_label=slas&model_name=membership&field_name=user", ADMIN)
    ],
    "admin:view_on_site": [get(lambda w: reverse("admin:view_on_site", args=[1, 1]), NOBODY)],
    "admin:app_list": [get(url("admin:app_list", "slas"), ADMIN)],
    "admin:auth_user_password_change": [
        get(url("admin:auth_user_password_change", lambda w: w.users["viewer"].pk), ADMIN)
    ],
    "admin/(?P<url>.*)$": [get(lambda w: "/admin/no/such/page/", NOBODY)],
}

# What the administrator may do per model in the admin (SPEC §7 "manage users and teams";
# issue 13: everything else through the services or read-only). Nobody else gets in.
ADMIN_MODELS: dict[str, set[str]] = {
    "auth.group": {"view", "add", "delete"},
    "auth.user": {"view", "add"},
    "slas.team": {"view", "add"},
    "slas.sla": {"view", "delete"},
    "slas.workingcalendar": {"view"},
    "slas.goalplan": {"view"},
    "slas.lifecyclerecord": {"view"},
    "leads.lead": {"view"},
    "leads.leadevent": {"view"},
    "leads.activity": {"view"},
    "leads.handoff": {"view"},
    "leads.followup": {"view"},
    "leads.visitcount": {"view"},
    "leads.captureform": {"view", "add", "delete"},
    "smarketing.webhooksubscription": {"view", "add", "delete"},
    "smarketing.apitoken": {"view"},
    "smarketing.job": {"view", "delete"},
    "smarketing.workerheartbeat": {"view", "delete"},
    "auditlog.logentry": {"view"},
    "reviews.review": {"view"},
    "reviews.actionitem": {"view"},
    "axes.accessattempt": {"view", "delete"},
    "axes.accesslog": {"view", "delete"},
    "axes.accessfailurelog": {"view", "delete"},
}
ADMIN_WORLD_OBJECTS: dict[str, Callable[[World], Any]] = {
    "auth.user": lambda w: w.users["viewer"],
    "slas.team": lambda w: w.teams["M2"],
    "slas.sla": lambda w: w.draft,
    "slas.workingcalendar": lambda w: w.draft.calendar,
    "leads.lead": lambda w: w.mql,
    "leads.leadevent": lambda w: w.mql.events.first(),
    "leads.activity": lambda w: Activity.objects.first(),
    "leads.handoff": lambda w: Handoff.objects.first(),
    "leads.followup": lambda w: FollowUp.objects.first(),
    "leads.captureform": lambda w: w.capture,
    "smarketing.webhooksubscription": lambda w: w.webhook,
    "smarketing.apitoken": lambda w: w.extra_token,
    "smarketing.job": lambda w: w.job,
    "auditlog.logentry": lambda w: LogEntry.objects.order_by("pk").first(),
}


def _world_object(label: str) -> Callable[[World], Any]:
    def find(world: World):
        getter = ADMIN_WORLD_OBJECTS.get(label)
        obj = getter(world) if getter else world.objects.get(label)
        assert obj is not None, f"build_world() has no {label} for the admin's change pages: add one"
        return obj

    return find


def admin_cases() -> dict[str, list[Case]]:
    """Changelist, add, change, delete and history pages of every registered model, its actions,
    and the redirect from ``<id>/``; allowed for the administrator as ADMIN_MODELS says."""
    cases: dict[str, list[Case]] = {}
    for model, model_admin in admin.site._registry.items():
        label = model._meta.label_lower
        rights = ADMIN_MODELS.get(label, set())
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        obj = _world_object(label)
        pk = lambda w, obj=obj: obj(w).pk  # noqa: E731
        view = ADMIN if "view" in rights else NOBODY
        cases[f"{prefix}_changelist"] = [get(url(f"{prefix}_changelist"), view)]
        cases[f"{prefix}_add"] = [get(url(f"{prefix}_add"), ADMIN if "add" in rights else NOBODY)]
        cases[f"{prefix}_change"] = [get(url(f"{prefix}_change", pk), view)]
        cases[f"{prefix}_history"] = [get(url(f"{prefix}_history", pk), view)]
        cases[f"{prefix}_delete"] = [get(url(f"{prefix}_delete", pk), ADMIN if "delete" in rights else NOBODY)]
        for action in model_admin.actions or []:
            if action == "delete_selected":
                continue
            cases[f"{prefix}_changelist"].append(
                post(
                    url(f"{prefix}_changelist"),
                    ADMIN,
                    lambda w, action=action, pk=pk: {"action": action, "_selected_action": [pk(w)]},
                    business_errors_ok=True,
                )
            )
        route = f"admin/{model._meta.app_label}/{model._meta.model_name}/<path:object_id>/"
        cases[route] = [
            get(lambda w, pk=pk, model=model: f"/admin/{model._meta.app_label}/{model._meta.model_name}/{pk(w)}/", view)
        ]
    return cases


ALL_CASES = {**TABLE, **admin_cases()}

# --- Running a case -------------------------------------------------------------------------------

LOGIN_PATHS = ("/accounts/login/", "/admin/login/")


def _client(world: World, role: str, api: bool):
    if api:
        client = APIClient()
        if role == "anonymous":
            return client
        client.credentials(HTTP_AUTHORIZATION=f"Token {world.keys[role]}")
        return client
    client = Client()
    if role == "revoked_token":
        client.defaults["HTTP_AUTHORIZATION"] = f"Token {world.keys[role]}"
    elif role != "anonymous":
        client.force_login(world.users[role])
    return client


def _request(case: Case, world: World, role: str):
    path = case.path(world)
    api = path.startswith("/api/") and not path.startswith("/api/docs")
    client = _client(world, role, api)
    data = case.data(world) if case.data else None
    if api and case.method in ("post", "patch") and not any(hasattr(v, "read") for v in (data or {}).values()):
        return getattr(client, case.method)(path, data or {}, format="json")
    if api and case.method == "post":
        return client.post(path, data, format="multipart")
    return getattr(client, case.method)(path, data or {})


def _has_error_message(response) -> bool:
    """A warning or error queued with Django's messages (read by the page or waiting in the storage)."""
    storage = getattr(getattr(response, "wsgi_request", None), "_messages", None)
    if storage is None:
        return False
    shown = list(getattr(storage, "_queued_messages", [])) + list(getattr(storage, "_loaded_data", None) or [])
    return any(message.level >= message_levels.WARNING for message in shown)


def _has_form_errors(response) -> bool:
    """The page came back with its form in error (a refusal shown as a field error)."""
    for context in getattr(response, "context", None) or []:
        for value in context.flatten().values() if hasattr(context, "flatten") else []:
            if isinstance(value, BaseForm) and value.is_bound and value.errors:
                return True
    return False


def outcome(response) -> str:
    """'server-error', 'success' or 'refused' (what a person or a program would call it)."""
    status = response.status_code
    if status >= 500:
        return "server-error"
    if 300 <= status < 400 and response["Location"].split("?")[0].endswith(LOGIN_PATHS):
        return "refused"
    if 200 <= status < 400 and not _has_error_message(response) and not _has_form_errors(response):
        return "success"
    return "refused"


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """One world for the module, inside a transaction rolled back at its end; every request of
    every case runs in a savepoint of its own, rolled back too."""
    with django_db_blocker.unblock(), override_settings(WEBHOOKS_ALLOW_PRIVATE=True), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)


@pytest.mark.parametrize("name", sorted(ALL_CASES))
def test_the_permission_matrix(name, world, settings):
    """Every role against every case of one URL pattern (see the module docstring)."""
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    problems = []
    for case in ALL_CASES[name]:
        for role in ROLES:
            cache.clear()
            with transaction.atomic():
                before = fingerprint()
                response = _request(case, world, role)
                result = outcome(response)
                changed = fingerprint() != before
                transaction.set_rollback(True)
            where = f"{role}: {case.describe(world)} → {response.status_code}"
            if result == "server-error" and response.status_code not in case.ok_statuses:
                problems.append(f"{where} (server error)")
            elif role in case.allowed:
                business = case.business_errors_ok and response.status_code in (200, 302, 400, 409)
                if result != "success" and response.status_code not in case.ok_statuses and not business:
                    problems.append(f"{where} (expected to succeed)")
            elif result == "success" or changed:
                problems.append(f"{where} (unexpected {'change' if changed else 'success'})")
    assert not problems, "\n".join(problems)


# --- The table covers every URL pattern -----------------------------------------------------------


def _patterns(patterns, prefix: str = "", namespace: str = ""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = (
                f"{namespace}:{pattern.namespace}"
                if namespace and pattern.namespace
                else pattern.namespace or namespace
            )
            yield from _patterns(pattern.url_patterns, prefix + str(pattern.pattern), inner or "")
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            yield name or prefix + str(pattern.pattern)


def test_every_url_pattern_is_in_the_table():
    missing = sorted(set(_patterns(get_resolver().url_patterns)) - set(ALL_CASES))
    assert not missing, "URL patterns missing from the permission matrix (see this module's docstring):\n" + "\n".join(
        missing
    )


def test_every_admin_model_says_what_the_administrator_may_do():
    registered = {model._meta.label_lower for model in admin.site._registry}
    assert registered == set(ADMIN_MODELS), "add each new ModelAdmin to ADMIN_MODELS (and remove old ones)"


def test_the_fingerprint_sees_a_change(roles):
    before = fingerprint()
    lead_services.lead_create(data={"email": "seen@example.com"}, team=roles.marketing, by=roles.mkt_member)
    assert fingerprint() != before
