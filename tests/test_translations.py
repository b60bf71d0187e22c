"""Every string the pages, forms and models show has a Simplified Chinese translation.

``makemessages`` runs on a copy of the source (so the repository's catalog is not rewritten)
and the fresh catalog must have no untranslated or fuzzy entry; the committed ``.mo`` must be
compiled from the committed ``.po``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import polib

from tests.conftest import _missing

ROOT = Path(__file__).resolve().parents[1]
CATALOG = Path("locale/zh_Hans/LC_MESSAGES/django.po")
SOURCES = (
    "accounts",
    "agencies",
    "checkout",
    "compliance",
    "config",
    "contacts",
    "core",
    "dashboards",
    "feeds",
    "legal",
    "outreach",
    "plans",
    "portal",
    "templates",
    "workspace",
)


def _untranslated(po: polib.POFile) -> list[str]:
    return [
        entry.msgid
        for entry in po
        if not entry.obsolete
        and ("fuzzy" in entry.flags or not (entry.msgstr or any(entry.msgstr_plural.values())))
    ]


def test_every_source_string_has_a_chinese_translation(tmp_path):
    if shutil.which("xgettext") is None:
        _missing("gettext tools missing (apt-get install gettext)")
    for name in SOURCES:
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "manage.py", tmp_path)
    (tmp_path / CATALOG.parent).mkdir(parents=True)
    shutil.copy(ROOT / CATALOG, tmp_path / CATALOG)
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-obsolete"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "config.settings"},
    )
    missing = _untranslated(polib.pofile(str(tmp_path / CATALOG)))
    assert not missing, (
        f"{len(missing)} strings lack a zh_Hans translation (run makemessages and translate):"
        f" {missing[:20]}"
    )


def test_compiled_catalog_matches_the_source_catalog():
    po = polib.pofile(str(ROOT / CATALOG))
    mo = polib.mofile(str(ROOT / CATALOG.with_suffix(".mo")))
    compiled = {(entry.msgctxt, entry.msgid): entry for entry in mo}
    stale = [
        entry.msgid
        for entry in po.translated_entries()
        if (entry.msgctxt, entry.msgid) not in compiled
        or (compiled[(entry.msgctxt, entry.msgid)].msgstr or "") != (entry.msgstr or "")
    ]
    assert not stale, f"django.mo is out of date (run compilemessages): {stale[:10]}"
