"""``manage.py run_nightly [--date YYYY-MM-DD] [--chunk-size N] [--full] [--quiet]``.

Thin: the steps are in ``workspace.nightly`` (its docstring is the reference).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts import delinquency
from workspace.nightly import nightly_run


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--date {value!r}: expected YYYY-MM-DD") from exc


class Command(BaseCommand):
    help = (
        "Record bucket moves, resolve promises, break overdue plans, refresh risk tiers and "
        "queue priorities for a business date (idempotent per date)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="Business date YYYY-MM-DD (default: today's).")
        parser.add_argument("--chunk-size", type=int, default=50_000)
        parser.add_argument(
            "--full",
            action="store_true",
            help="Bucket moves, risk and queue look at every account, not only the changed ones.",
        )
        parser.add_argument("--quiet", action="store_true", help="Only print the summary.")

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = _date(options["date"]) if options["date"] else delinquency.business_date()
        if options["chunk_size"] < 1:
            raise CommandError("--chunk-size must be at least 1")
        progress = None if options["quiet"] else (lambda m: self.stderr.write(m))
        summary = nightly_run(
            as_of=as_of,
            chunk_size=options["chunk_size"],
            progress=progress,
            full=options["full"],
        )
        self.stdout.write("\n".join(summary.lines()))
