"""Issue 13: an append-only audit log of who changed what, when and from where."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient

from slas import services as sla_services
from slas.models import SLA, Membership, Profile, Signature, Team
from slas.tests.factories import make_sla
from smarketing import webhooks
from smarketing.audit import MASK
from smarketing.models import ApiToken, WebhookSubscription
from smarketing.tokens import api_token_create

pytestmark = pytest.mark.django_db
PROXY = "10.0.0.5"


def _entries(model, pk=None):
    entries = LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(model))
    return entries.filter(object_pk=str(pk)) if pk is not None else entries


def test_an_sla_edit_records_who_from_where_and_the_sections_that_changed(roles, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    sla = make_sla(roles.marketing, roles.sales)
    before = LogEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    # Through the API's editor: the SLA row and its commitments section change.
    api = APIClient()
    api.force_login(roles.mkt_manager)
    response = api.patch(
        f"/api/v1/slas/{sla.pk}/",
        {"title": "Renamed", "revision": sla.revision, "commitments": [{"key": "mql_volume", "target": "40"}]},
        format="json",
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.7",
    )
    assert response.status_code == 200, response.json()
    entries = list(_entries(SLA, sla.pk).filter(pk__gt=before).order_by("pk"))
    assert {entry.actor for entry in entries} == {roles.mkt_manager}
    assert {entry.remote_addr for entry in entries} == {"198.51.100.7"}
    changes = {key: value for entry in entries for key, value in entry.changes_dict.items()}
    assert changes["title"][1] == "Renamed"
    assert "mql_volume" in changes["commitments"][1] and "won_revenue" in changes["commitments"][0]


def test_signatures_teams_memberships_profiles_and_users_are_recorded(roles):
    sla = sla_services.sla_submit(sla=make_sla(roles.marketing, roles.sales), by=roles.admin)
    signature = sla_services.sla_sign(sla=sla, team=roles.marketing, by=roles.mkt_manager)
    assert _entries(Signature, signature.pk).filter(action=LogEntry.Action.CREATE).exists()
    team = sla_services.team_create(by=roles.admin, name="Partners", function="sales")
    sla_services.team_update(team=team, by=roles.admin, name="Partner sales")
    assert _entries(Team, team.pk).count() == 2
    membership = sla_services.membership_save(user=roles.viewer, team=team, role="member", by=roles.admin)
    sla_services.membership_delete(membership=membership, by=roles.admin)
    assert set(_entries(Membership, membership.pk).values_list("action", flat=True)) == {
        LogEntry.Action.CREATE,
        LogEntry.Action.DELETE,
    }
    sla_services.profile_update(user=roles.sales_member, by=roles.sales_member, time_zone="America/Montreal")
    profile = Profile.objects.get(user=roles.sales_member)
    assert _entries(Profile, profile.pk).filter(changes__icontains="America/Montreal").exists()


def test_secrets_are_recorded_as_changed_but_never_shown(roles, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    sub = webhooks.webhook_subscription_create(url="http://127.0.0.1:9/", events=["report.ready"], by=roles.admin)
    webhooks.webhook_secret_rotate(subscription=sub, by=roles.admin)
    token, key = api_token_create(user=roles.admin, name="audited")
    roles.admin.set_password("An0ther-long-secret")
    roles.admin.save()
    sub.refresh_from_db()
    texts = " ".join(
        str(entry.changes)
        for entry in LogEntry.objects.filter(
            content_type__in=[
                ContentType.objects.get_for_model(m) for m in (WebhookSubscription, ApiToken, type(roles.admin))
            ]
        )
    )
    for secret in (sub.secret, sub.previous_secret, token.key_hash, key, roles.admin.password):
        assert secret[-12:] not in texts
    assert MASK in texts
    # The token revoked by the password change is recorded too.
    assert (
        _entries(ApiToken, token.pk).filter(changes__icontains="revoked_at").exists()
        or ApiToken.objects.get(pk=token.pk).revoked_at
    )


def test_an_api_call_with_a_token_is_recorded_with_its_user(roles, settings):
    _token, key = api_token_create(user=roles.admin, name="cli")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = api.post("/api/v1/teams/", {"name": "API team", "function": "marketing"}, format="json")
    assert response.status_code == 201
    entry = _entries(Team, response.json()["id"]).get()
    assert entry.actor == roles.admin and entry.remote_addr == "127.0.0.1"


def test_administrators_browse_and_filter_the_log_which_nobody_can_change(roles, client):
    sla_services.team_create(by=roles.admin, name="Filtered", function="sales")
    entry = LogEntry.objects.latest("pk")
    client.force_login(roles.admin)
    url = reverse("admin:auditlog_logentry_changelist")
    assert client.get(url).status_code == 200
    filtered = client.get(url, {"action__exact": LogEntry.Action.CREATE, "actor__id__exact": roles.admin.pk})
    assert filtered.status_code == 200 and b"Filtered" in filtered.content
    assert client.get(reverse("admin:auditlog_logentry_change", args=[entry.pk])).status_code == 200
    assert client.post(reverse("admin:auditlog_logentry_delete", args=[entry.pk]), {"post": "yes"}).status_code == 403
    changed = client.post(reverse("admin:auditlog_logentry_change", args=[entry.pk]), {"object_repr": "x"})
    assert changed.status_code == 403
    client.force_login(roles.mkt_manager)
    assert client.get(url).status_code in (302, 403)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the append-only trigger is PostgreSQL's")
def test_the_database_refuses_to_change_or_delete_an_entry(roles):
    from django.db import DatabaseError, transaction

    sla_services.team_create(by=roles.admin, name="Kept", function="sales")
    entry = LogEntry.objects.latest("pk")
    for attempt in (
        lambda: LogEntry.objects.filter(pk=entry.pk).delete(),
        lambda: LogEntry.objects.filter(pk=entry.pk).update(object_repr="x"),
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            attempt()
    assert LogEntry.objects.get(pk=entry.pk).object_repr == "Kept"
