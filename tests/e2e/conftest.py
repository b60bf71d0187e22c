"""Playwright (sync API) driving Debian's Chromium against pytest-django's live server.

Screenshots of each step land in ``test-artifacts/`` (CI keeps them as artifacts).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import CHROMIUM

ARTIFACTS = Path(os.environ.get("SETTLE_ARTIFACTS", "test-artifacts"))


DATA_MIGRATIONS = (
    "accounts.migrations.0002_roles_and_buckets",
    "plans.migrations.0002_policies_and_permissions",
    "plans.migrations.0006_settlement_authority_defaults",
    "legal.migrations.0001_legal_referral_and_cases",
    "plans.migrations.0010_write_offs",
)


@pytest.fixture(autouse=True)
def _roles(transactional_db):
    """Live-server tests flush the database after each test, data migrations included: put
    the role groups, default buckets and plan policies back with the code that made them."""
    from importlib import import_module

    from django.apps import apps

    from accounts.roles import roles_apply

    for name in DATA_MIGRATIONS:
        import_module(name).forwards(apps, None)
    roles_apply()


@pytest.fixture(scope="session")
def browser():
    # The live server runs in a thread; Playwright's sync API runs its own event loop, which
    # Django would otherwise take for an async context.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium missing at {CHROMIUM}") if os.environ.get("CI") else pytest.skip(
            f"Chromium missing at {CHROMIUM}"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def browser_locale():
    """The browser's language (its Accept-Language); parametrize it to run a test in another
    one, e.g. ``zh-CN``, which Django serves as zh-hans."""
    return "en-US"


@pytest.fixture
def page(browser, request, browser_locale):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale=browser_locale)
    page = context.new_page()
    page.set_default_timeout(15_000)
    shots = ARTIFACTS / request.node.name
    shots.mkdir(parents=True, exist_ok=True)
    counter = iter(range(1, 100))
    page.snap = lambda name: page.screenshot(
        path=shots / f"{next(counter):02d}-{name}.png", full_page=True
    )
    # Every browser test also guards the Content-Security-Policy: a page whose script or style
    # the policy refuses shows up here and fails the test.
    refused = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    yield page
    context.close()
    assert refused == [], f"the Content-Security-Policy refused: {refused}"


def login(page, live_server, username: str, password: str = "pw-for-tests-123") -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
