"""Signing names what is signed: the confirmation shows the version and its fingerprint, the
signature records that fingerprint, and a version whose content changed since is refused."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from slas import services
from slas.models import SLA, Signature
from slas.tests.factories import make_sla

pytestmark = pytest.mark.django_db


def _resubmitted_with_a_change(sla: SLA, by) -> SLA:
    """Withdraw, edit one commitment and submit again: same version, another fingerprint."""
    sla = services.sla_withdraw(sla=sla, by=by, reason="One more hour")
    commitments = [c.canonical() | {"category_hours": c.category_hours} for c in sla.commitments.all()]
    for item in commitments:
        if item["key"] == "handoff_response":
            item["hours"] = Decimal(5)
    services.sla_update(sla=sla, by=by, revision=sla.revision, data={"commitments": commitments})
    return services.sla_submit(sla=SLA.objects.get(pk=sla.pk), by=by)


def test_the_confirmation_names_the_version_and_the_fingerprint(roles, client):
    sla = services.sla_submit(sla=make_sla(roles.marketing, roles.sales), by=roles.mkt_manager)
    client.force_login(roles.mkt_manager)
    detail = client.get(reverse("slas:detail", args=[sla.pk])).content.decode()
    confirm_url = f"{reverse('slas:sign', args=[sla.pk])}?team={roles.marketing.pk}"
    assert f'href="{confirm_url}"' in detail.replace("&amp;", "&")
    page = client.get(confirm_url)
    assert page.status_code == 200
    html = page.content.decode()
    assert f'<dd class="col-sm-9" id="sign-version">{sla.version}</dd>' in html
    assert f'<code class="text-break" id="sign-fingerprint">{sla.fingerprint}</code>' in html
    assert f'name="fingerprint" value="{sla.fingerprint}"' in html
    assert "New MQLs" in html  # the document itself, as it is signed
    # Nothing is signed by looking; a team that is not yours, or already signed, has no confirmation.
    assert not Signature.objects.exists()
    assert client.get(reverse("slas:sign", args=[sla.pk]), {"team": roles.sales.pk}).status_code == 403
    client.post(reverse("slas:sign", args=[sla.pk]), {"team": roles.marketing.pk, "fingerprint": sla.fingerprint})
    assert Signature.objects.get().fingerprint == sla.fingerprint
    again = client.get(confirm_url)
    assert again.status_code == 302 and again.url == reverse("slas:detail", args=[sla.pk])


def test_a_version_changed_since_the_confirmation_is_refused(roles, client):
    sla = services.sla_submit(sla=make_sla(roles.marketing, roles.sales), by=roles.mkt_manager)
    shown = sla.fingerprint  # the confirmation page the sales manager left open
    sla = _resubmitted_with_a_change(sla, roles.mkt_manager)
    assert sla.fingerprint != shown and sla.version == 1

    client.force_login(roles.sales_manager)
    response = client.post(
        reverse("slas:sign", args=[sla.pk]), {"team": roles.sales.pk, "fingerprint": shown}, follow=True
    )
    page = response.content.decode()
    assert "Version 1 changed since you read it" in page and shown[:12] in page and sla.fingerprint[:12] in page
    assert not Signature.objects.exists()
    sla.refresh_from_db()
    assert sla.status == SLA.Status.IN_SIGNATURE

    # Without a fingerprint, the page does not sign either: the confirmation is the way.
    client.post(reverse("slas:sign", args=[sla.pk]), {"team": roles.sales.pk})
    assert not Signature.objects.exists()
    client.post(reverse("slas:sign", args=[sla.pk]), {"team": roles.sales.pk, "fingerprint": sla.fingerprint})
    assert Signature.objects.get().fingerprint == sla.fingerprint


def test_the_api_answers_409_for_a_stale_fingerprint(roles):
    sla = services.sla_submit(sla=make_sla(roles.marketing, roles.sales), by=roles.mkt_manager)
    shown = sla.fingerprint
    sla = _resubmitted_with_a_change(sla, roles.mkt_manager)
    api = APIClient()
    api.force_authenticate(roles.mkt_manager)
    url = reverse("sla-sign", args=[sla.pk])
    stale = api.post(url, {"team": roles.marketing.pk, "fingerprint": shown}, format="json")
    assert stale.status_code == 409 and "changed since you read it" in stale.json()["detail"]
    assert not Signature.objects.exists()
    signed = api.post(url, {"team": roles.marketing.pk, "fingerprint": sla.fingerprint}, format="json")
    assert signed.status_code == 201 and signed.json()["fingerprint"] == sla.fingerprint
