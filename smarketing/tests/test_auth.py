from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from slas.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_pages_need_a_signed_in_user(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_sign_in_shows_the_dashboard_then_sign_out(client):
    UserFactory(username="marion", password="pass-word-123")
    response = client.post(reverse("login"), {"username": "marion", "password": "pass-word-123"}, follow=True)
    assert response.status_code == 200
    assert response.context["user"].username == "marion"
    assert b"Dashboard" in response.content

    response = client.post(reverse("logout"), follow=True)
    assert response.context["user"].is_anonymous


def test_a_wrong_password_shows_an_error_and_does_not_sign_in(client):
    UserFactory(username="marion", password="pass-word-123")
    response = client.post(reverse("login"), {"username": "marion", "password": "nope"})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert response.context["user"].is_anonymous


def test_sign_in_is_throttled_after_five_failures(client):
    UserFactory(username="marion", password="pass-word-123")
    for _ in range(5):
        client.post(reverse("login"), {"username": "marion", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "marion", "password": "pass-word-123"})
    assert response.status_code == 429
    assert b"Too many failed sign-in attempts" in response.content


def test_password_change(client):
    user = UserFactory(username="marion", password="pass-word-123")
    client.force_login(user)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": "pass-word-123",
            "new_password1": "An0ther-long-secret",
            "new_password2": "An0ther-long-secret",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("An0ther-long-secret")


def test_password_reset_sends_a_link_that_sets_a_new_password(client):
    user = UserFactory(username="marion", email="marion@example.com", password="pass-word-123")
    response = client.post(reverse("password_reset"), {"email": "marion@example.com"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["marion@example.com"]
    assert "Reset your smarketing password" in message.subject
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+)", message.body).group(1)

    response = client.get(link, follow=True)
    set_password_url = response.redirect_chain[-1][0]
    response = client.post(
        set_password_url, {"new_password1": "Brand-new-secret-9", "new_password2": "Brand-new-secret-9"}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Brand-new-secret-9")


def test_password_reset_for_an_unknown_address_sends_nothing(client):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert mail.outbox == []
