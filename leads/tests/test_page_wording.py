"""Issue 17's smaller items on the lead pages: money as the reader's language writes it, an import
page that says "done" with its counts, and filters that say "Any"."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from leads.models import Lead
from leads.templatetags.money import money, money_whole
from slas.models import Profile
from smarketing.models import Job

pytestmark = pytest.mark.django_db


def test_money_in_english_and_french():
    from django.utils import translation

    with translation.override("en"):
        assert money(Decimal("12000")) == "€12,000.00"
        assert money_whole(Decimal("84000.4"), "USD") == "$84,000"
    with translation.override("fr"):
        assert money(Decimal("12000")) == "12\u00a0000,00\u00a0€"
        assert money(None) == "–"


def test_the_lead_page_shows_the_deal_value_as_money(roles, client):
    lead = Lead.objects.create(first_name="Ada", owner_team=roles.marketing, deal_value=Decimal("12000"))
    client.force_login(roles.mkt_member)
    assert "€12,000.00" in client.get(reverse("leads:detail", args=[lead.pk])).text
    Profile.objects.update_or_create(user=roles.mkt_member, defaults={"language": "fr"})
    assert "12\u00a0000,00\u00a0€" in client.get(reverse("leads:detail", args=[lead.pk])).text


def test_a_finished_import_says_done_with_its_counts_and_a_link(roles, client):
    job = Job.objects.create(
        kind=Job.Kind.LEAD_IMPORT,
        created_by=roles.mkt_member,
        status=Job.Status.SUCCEEDED,
        total=5,
        done=3,
        result={"imported": 3, "errors": []},
    )
    client.force_login(roles.mkt_member)
    text = client.get(reverse("leads:import_job", args=[job.pk])).text
    assert "Import done" in text and "in progress" not in text and "hx-get" not in text
    assert "3 leads imported from the file." in text and "5 rows read" in text
    assert f'href="{reverse("leads:list")}?sort=-created"' in text


def test_a_running_import_says_in_progress_and_polls(roles, client):
    job = Job.objects.create(
        kind=Job.Kind.LEAD_IMPORT, created_by=roles.mkt_member, status=Job.Status.RUNNING, total=10, done=4
    )
    client.force_login(roles.mkt_member)
    text = client.get(reverse("leads:import_job", args=[job.pk])).text
    assert "Import in progress" in text and "hx-get" in text and "40%" in text


def test_the_lead_filters_say_any_and_the_stage_is_checkboxes(roles, client):
    client.force_login(roles.mkt_member)
    text = client.get(reverse("leads:list")).text
    assert "---------" not in text and "Unknown" not in text
    assert text.count('type="checkbox" name="stage"') == 7


def test_saving_visits_says_what_was_recorded(roles, client):
    client.force_login(roles.mkt_member)
    response = client.post(reverse("leads:visits"), {"month": "2026-01", "channel": "ads", "count": 1200}, follow=True)
    assert "1,200 visits recorded for ads in January 2026." in response.text
    Profile.objects.update_or_create(user=roles.mkt_member, defaults={"language": "fr"})
    response = client.post(reverse("leads:visits"), {"month": "2026-02", "channel": "ads", "count": 5}, follow=True)
    assert "5 visites enregistrées pour ads en février 2026." in response.text
