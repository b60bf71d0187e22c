"""Compliance fixtures: a fresh profile cache per test (a rolled-back edit must not linger)."""

from __future__ import annotations

import pytest

from compliance.profiles import profile_cache_clear


@pytest.fixture(autouse=True)
def _fresh_profiles():
    profile_cache_clear()
    yield
    profile_cache_clear()
