"""Issue 17, item 8: capture forms are discoverable — listed with their public address and an HTML
snippet to paste on a website, linked from the leads list, the visits page and a captured lead."""

from __future__ import annotations

import html

import pytest
from django.urls import reverse

from leads.models import CaptureForm, Lead, Source
from slas.models import Profile

pytestmark = pytest.mark.django_db


@pytest.fixture
def forms(roles):
    return [
        CaptureForm.objects.create(slug="website-contact", name="Website contact", team=roles.marketing, channel="web"),
        CaptureForm.objects.create(slug="old-fair", name="Old fair", team=roles.marketing, is_active=False),
    ]


def test_every_capture_form_is_listed_with_its_address_and_snippet(roles, forms, client):
    client.force_login(roles.sales_member)  # anyone signed in may hand the address on
    text = client.get(reverse("leads:capture_forms")).text
    url = "http://testserver/capture/website-contact/"
    assert f'value="{url}"' in text
    snippet = html.unescape(text.split('id="capture-snippet-')[1].split(">", 1)[1].split("</textarea>")[0])
    assert snippet == f'<a href="{url}" target="_blank" rel="noopener" class="smarketing-capture">Contact us</a>'
    assert "Old fair" in text and "Inactive" in text
    assert text.count('data-copy="capture-') == 4  # a copy button for each address and snippet
    assert client.get(url).status_code == 200  # the address is the live public form


def test_the_page_is_french_and_signed_in_only(roles, forms, client):
    assert client.get(reverse("leads:capture_forms")).status_code == 302
    Profile.objects.update_or_create(user=roles.mkt_member, defaults={"language": "fr"})
    client.force_login(roles.mkt_member)
    text = client.get(reverse("leads:capture_forms")).text
    assert "Formulaires de capture" in text and "Contactez-nous</a>" in html.unescape(text) and "Copier" in text


def test_the_forms_and_the_visits_are_linked_from_the_pages_that_need_them(roles, forms, client):
    lead = Lead.objects.create(first_name="Ada", owner_team=roles.marketing, source=Source.CAPTURE_FORM, channel="web")
    client.force_login(roles.mkt_member)
    forms_url, visits_url = reverse("leads:capture_forms"), reverse("leads:visits")
    listing = client.get(reverse("leads:list")).text
    assert f'href="{forms_url}"' in listing and f'href="{visits_url}"' in listing
    assert f'href="{forms_url}"' in client.get(visits_url).text
    detail = client.get(reverse("leads:detail", args=[lead.pk])).text
    assert f'href="{forms_url}"' in detail and f'href="{visits_url}"' in detail
