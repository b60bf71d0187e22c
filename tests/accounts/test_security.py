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
