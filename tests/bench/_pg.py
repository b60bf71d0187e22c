"""Benchmarks run against a scratch PostgreSQL database made for the run and dropped after."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def scratch_database(name: str, *, keep: bool = False):
    """Create database ``name`` next to DATABASE_URL's, migrate it, point Django at it."""
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/settle")
    parsed = urlparse(base)
    if not parsed.scheme.startswith("postgres"):
        sys.exit("benchmarks need PostgreSQL: set DATABASE_URL=postgres://…")
    admin = {
        "PGHOST": parsed.hostname or "127.0.0.1",
        "PGPORT": str(parsed.port or 5432),
        "PGUSER": parsed.username or "postgres",
    }
    env = {**os.environ, **admin}
    subprocess.run(["dropdb", "--if-exists", name], env=env, check=True)
    subprocess.run(["createdb", name], env=env, check=True)
    url = parsed._replace(path=f"/{name}").geturl()
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    try:
        yield url
    finally:
        from django.db import connections

        connections.close_all()
        if not keep:
            subprocess.run(["dropdb", "--if-exists", name], env=env, check=True)


def existing_database(name: str) -> None:
    """Point Django at database ``name`` (next to DATABASE_URL's) as it is, and migrate it."""
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/settle")
    parsed = urlparse(base)
    if not parsed.scheme.startswith("postgres"):
        sys.exit("benchmarks need PostgreSQL: set DATABASE_URL=postgres://…")
    os.environ["DATABASE_URL"] = parsed._replace(path=f"/{name}").geturl()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
