"""Issue 17, item 7: the notifications centre — an unread count in the navigation, mark one or all
as read (POST with the CSRF token), each row linking to its report, review, SLA or lead."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from reporting.models import Notification

from .notify_helpers import active_sla, followup

pytestmark = pytest.mark.django_db


def _notify(user, key: str, kind=Notification.Kind.MONTHLY_REPORT, payload=None, subject="") -> Notification:
    return Notification.objects.create(
        kind=kind, recipient=user, dedupe_key=key, payload=payload or {}, subject=subject or f"About {key}"
    )


def _badge(client) -> str:
    import lxml.html

    page = lxml.html.document_fromstring(client.get(reverse("leads:list")).text)
    badges = page.xpath("//nav//a[contains(@href, '/notifications/')]//span[contains(@class, 'smk-nav-badge')]")
    return badges[0].text_content().split()[0] if badges else ""


def test_the_navigation_counts_ones_own_unread_notifications(roles, client):
    for key in ("a", "b", "c"):
        _notify(roles.sales_member, key)
    _notify(roles.mkt_member, "other")
    Notification.objects.filter(dedupe_key="c").update(read_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    client.force_login(roles.sales_member)
    assert _badge(client) == "2"
    client.force_login(roles.sales_manager)
    assert _badge(client) == ""  # nothing unread: no badge at all


def test_the_badge_stops_counting_at_99(roles, client):
    Notification.objects.bulk_create(
        Notification(kind="overdue", recipient=roles.sales_member, dedupe_key=f"k{i}") for i in range(120)
    )
    client.force_login(roles.sales_member)
    assert _badge(client) == "99+"


def test_mark_one_as_read_changes_only_that_one_and_only_ones_own(roles, client):
    mine, other = _notify(roles.sales_member, "mine"), _notify(roles.sales_member, "other")
    theirs = _notify(roles.sales_manager, "theirs")
    client.force_login(roles.sales_member)
    response = client.post(reverse("notifications:read", args=[mine.pk]), {"next": "/notifications/?unread=1"})
    assert response.status_code == 302 and response["Location"] == "/notifications/?unread=1"
    assert list(Notification.objects.unread_for(roles.sales_member)) == [other]
    assert client.post(reverse("notifications:read", args=[theirs.pk])).status_code == 404
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    # A foreign "next" is not followed.
    response = client.post(reverse("notifications:read", args=[other.pk]), {"next": "https://evil.example/"})
    assert response["Location"] == reverse("notifications:list")


def test_mark_all_as_read_says_how_many(roles, client):
    for key in ("a", "b", "c"):
        _notify(roles.sales_member, key)
    theirs = _notify(roles.sales_manager, "theirs")
    client.force_login(roles.sales_member)
    response = client.post(reverse("notifications:read_all"), follow=True)
    assert "3 notifications marked as read." in response.text
    assert not Notification.objects.unread_for(roles.sales_member).exists()
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_reading_needs_a_post_with_the_csrf_token(roles):
    notification = _notify(roles.sales_member, "a")
    client = Client(enforce_csrf_checks=True)
    client.force_login(roles.sales_member)
    assert client.get(reverse("notifications:read", args=[notification.pk])).status_code == 405
    assert client.post(reverse("notifications:read", args=[notification.pk])).status_code == 403
    assert client.post(reverse("notifications:read_all")).status_code == 403
    assert Notification.objects.unread_for(roles.sales_member).count() == 1


def test_each_row_links_to_what_it_is_about_in_a_fixed_number_of_queries(roles, client, django_assert_max_num_queries):
    sla = active_sla(roles)
    late = [followup(sla, due_at=dt.datetime(2026, 10, 14, 9, tzinfo=dt.UTC)) for _ in range(20)]
    for index, item in enumerate(late):
        _notify(roles.sales_member, f"f{index}", Notification.Kind.OVERDUE, {"followup": item.pk}, "Overdue")
    _notify(roles.sales_member, "r", Notification.Kind.MONTHLY_REPORT, {"report": 41}, "Report")
    _notify(roles.sales_member, "s", Notification.Kind.AT_RISK, {"sla": sla.pk, "key": "won_revenue"}, "Risk")
    _notify(roles.sales_member, "v", Notification.Kind.REVIEW_MINUTES, {"review": 7}, "Minutes")
    _notify(roles.sales_member, "d", Notification.Kind.DIGEST, {"day": "2026-11-20", "items": []}, "Digest")
    client.force_login(roles.sales_member)
    with django_assert_max_num_queries(14):
        text = client.get(reverse("notifications:list")).text
    for lead in (item.lead for item in late):
        assert f'href="{reverse("leads:detail", args=[lead.pk])}"' in text
    assert f'href="{reverse("reporting:report_detail", args=[41])}"' in text
    assert f'href="{reverse("slas:detail", args=[sla.pk])}"' in text
    assert f'href="{reverse("reviews:detail", args=[7])}"' in text
    assert f'href="{reverse("leads:followups")}"' in text
    assert text.count("smk-unread") == 24


def test_a_manager_reads_everyones_log_only_when_asking(roles, client):
    _notify(roles.sales_member, "member's", subject="For the member")
    _notify(roles.sales_manager, "manager's", subject="For the manager")
    client.force_login(roles.sales_manager)
    mine = client.get(reverse("notifications:list")).text
    assert "For the manager" in mine and "For the member" not in mine
    everyone = client.get(reverse("notifications:list") + "?scope=all").text
    assert "For the manager" in everyone and "For the member" in everyone
    client.force_login(roles.sales_member)
    assert "For the manager" not in client.get(reverse("notifications:list") + "?scope=all").text


def test_the_centre_is_french_for_a_french_reader(roles, client):
    from slas.models import Profile

    Profile.objects.update_or_create(user=roles.sales_member, defaults={"language": "fr"})
    _notify(roles.sales_member, "a")
    client.force_login(roles.sales_member)
    text = client.get(reverse("notifications:list")).text
    assert "Tout marquer comme lu" in text and "Marquer comme lu" in text and "Nouveau" in text
    response = client.post(reverse("notifications:read_all"), follow=True)
    assert "1 notification marquée comme lue." in response.text
