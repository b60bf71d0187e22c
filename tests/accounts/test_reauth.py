"""A reveal of personal data needs the password entered within SETTLE_REVEAL_REAUTH_SECONDS."""

from __future__ import annotations

import pytest
import time_machine
from django.urls import reverse

from accounts.models import PersonalDataReveal
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db

LOGIN = "2026-11-20T09:00:00Z"
LATER = "2026-11-20T09:16:00Z"  # 16 minutes on: past the 15-minute window


@pytest.fixture
def account(team):
    return AccountFactory(team=team)


def test_a_stale_session_is_sent_to_confirm_the_password_first(client, supervisor, account):
    reveal = reverse("accounts:reveal", args=[account.pk])
    with time_machine.travel(LOGIN, tick=False):
        client.force_login(supervisor)
    with time_machine.travel(LATER, tick=False):
        response = client.post(reveal, HTTP_HX_REQUEST="true")
        assert response.status_code == 204
        assert response["HX-Redirect"].startswith(reverse("accounts:reauth"))
        assert PersonalDataReveal.objects.count() == 0

        wrong = client.post(reverse("accounts:reauth"), {"password": "nope", "next": "/"})
        assert wrong.status_code == 400
        assert client.post(reveal, HTTP_HX_REQUEST="true").status_code == 204

        back = client.post(
            reverse("accounts:reauth"),
            {"password": "pw-for-tests-123", "next": reverse("accounts:detail", args=[account.pk])},
        )
        assert back.status_code == 302
        assert back["Location"] == reverse("accounts:detail", args=[account.pk])
        assert client.post(reveal, HTTP_HX_REQUEST="true").status_code == 200
        assert PersonalDataReveal.objects.count() == 1


def test_the_confirm_page_does_not_redirect_off_site(client, supervisor):
    client.force_login(supervisor)
    response = client.post(
        reverse("accounts:reauth"),
        {"password": "pw-for-tests-123", "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("home")


def test_an_old_token_cannot_reveal_until_the_password_is_given_again(client, supervisor, account):
    url = f"/api/v1/accounts/{account.pk}/reveal/"
    with time_machine.travel(LOGIN, tick=False):
        token = client.post(
            "/api/v1/auth/token/",
            {"username": "sue", "password": "pw-for-tests-123"},
            content_type="application/json",
        ).json()["token"]
        assert client.post(url, HTTP_AUTHORIZATION=f"Token {token}").status_code == 200
    with time_machine.travel(LATER, tick=False):
        stale = client.post(url, HTTP_AUTHORIZATION=f"Token {token}")
        assert stale.status_code == 403
        assert "Re-enter your password" in stale.json()["detail"]
        fresh = client.post(
            "/api/v1/auth/token/",
            {"username": "sue", "password": "pw-for-tests-123"},
            content_type="application/json",
        ).json()["token"]
        assert fresh != token
        assert client.post(url, HTTP_AUTHORIZATION=f"Token {fresh}").status_code == 200
