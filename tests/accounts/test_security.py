"""Security defaults: deploy check clean in production, login throttling, headers."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_deploy_check_is_clean_with_production_settings():
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_SECRET_KEY": "a-long-random-production-secret-" + "x7Qp2LmZ9vR4tB8n" * 3,
        "DJANGO_ALLOWED_HOSTS": "settle.example.com",
        "DJANGO_DEBUG": "false",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.django_db
def test_login_is_locked_after_repeated_failures(client, specialist):
    for _ in range(5):
        client.post("/login/", {"username": "sam", "password": "wrong"})
    locked = client.post("/login/", {"username": "sam", "password": "pw-for-tests-123"})
    assert locked.status_code == 429
    assert b"Too many failed" in locked.content


@pytest.mark.django_db
def test_pages_send_security_headers(client):
    response = client.get("/login/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_production_refuses_to_start_without_a_secret_key():
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "false",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "Set DJANGO_SECRET_KEY" in result.stderr


@pytest.mark.django_db
def test_rotating_x_forwarded_for_does_not_escape_the_token_throttle(
    client, specialist, monkeypatch
):
    from rest_framework.throttling import ScopedRateThrottle

    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"token": "3/min"})
    codes = [
        client.post(
            "/api/v1/auth/token/",
            {"username": "sam", "password": "wrong"},
            content_type="application/json",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{n}",
        ).status_code
        for n in range(5)
    ]
    assert codes[-1] == 429, codes


@pytest.mark.django_db
def test_rotating_x_forwarded_for_does_not_escape_the_login_lockout(client, specialist):
    for n in range(5):
        client.post(
            "/login/",
            {"username": "sam", "password": "wrong"},
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
        )
    locked = client.post(
        "/login/",
        {"username": "sam", "password": "pw-for-tests-123"},
        HTTP_X_FORWARDED_FOR="198.51.100.99",
    )
    assert locked.status_code == 429


# --- API tokens ---------------------------------------------------------------------------------
def _token(client, username="sam", password="pw-for-tests-123"):
    response = client.post(
        "/api/v1/auth/token/",
        {"username": username, "password": password},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return response.json()["token"]


def _me(client, token):
    return client.get("/api/v1/accounts/", HTTP_AUTHORIZATION=f"Token {token}").status_code


@pytest.mark.django_db
def test_a_token_expires_and_the_endpoint_issues_a_new_one(client, specialist, settings):
    import time_machine

    settings.SETTLE_API_TOKEN_TTL_SECONDS = 3600
    with time_machine.travel("2026-11-20T09:00:00Z", tick=False):
        old = _token(client)
        assert _me(client, old) == 200
    with time_machine.travel("2026-11-20T10:00:01Z", tick=False):
        assert _me(client, old) == 401
        new = _token(client)
        assert new != old and _me(client, new) == 200


@pytest.mark.django_db
def test_a_password_change_revokes_the_users_tokens(client, specialist):
    token = _token(client)
    specialist.set_password("a-new-password-for-tests-456")
    specialist.save()
    assert _me(client, token) == 401


@pytest.mark.django_db
def test_logging_out_revokes_the_users_tokens(client, specialist):
    token = _token(client)
    client.force_login(specialist)
    client.post("/logout/")
    assert _me(client, token) == 401


@pytest.mark.django_db
def test_pages_send_a_content_security_policy_without_inline_script(client, specialist):
    client.force_login(specialist)
    policy = client.get("/accounts/queue/")["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert "'unsafe-inline'" not in policy
    assert directives["frame-ancestors"] == "'none'"


# --- The client's address behind a proxy -----------------------------------------------------
@pytest.fixture
def one_proxy(settings):
    """One reverse proxy in front (DJANGO_PROXY_COUNT=1): DRF reloads its settings on change."""
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}


@pytest.mark.django_db
def test_behind_one_proxy_the_lockout_follows_the_address_the_proxy_saw(
    client, specialist, one_proxy
):
    """The proxy appends the real client; what the client wrote to its left is ignored, so
    rotating it neither escapes the lockout nor locks out another client of the same proxy."""

    def login(password, forwarded):
        return client.post(
            "/login/",
            {"username": "sam", "password": password},
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR=forwarded,
        )

    for n in range(5):
        login("wrong", f"192.0.2.{n}, 198.51.100.7")
    assert login("pw-for-tests-123", "192.0.2.99, 198.51.100.7").status_code == 429
    assert login("pw-for-tests-123", "198.51.100.8").status_code == 302  # another client


def test_the_client_address_is_the_proxys_hop_and_never_a_malformed_value(rf, one_proxy):
    from core.client_ip import client_ip

    behind = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.1.1.1, 198.51.100.7")
    assert client_ip(behind) == "198.51.100.7"
    forged = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.1.1.1, not-an-ip")
    assert client_ip(forged) is None


def test_without_a_proxy_the_client_address_is_the_socket(rf):
    from core.client_ip import client_ip

    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.1.1.1")
    assert client_ip(request) == "10.0.0.2"
