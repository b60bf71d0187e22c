"""``manage.py retention [--dry-run] [--as-of YYYY-MM-DD]``.

Thin: the policy and the work are in ``compliance.retention`` and, for whole months of evidence
on PostgreSQL, ``compliance.retention_partitions`` (their docstrings are the reference).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from compliance.retention import retention_apply
from compliance.retention_partitions import partitions_retire


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--as-of {value!r}: expected YYYY-MM-DD") from exc


class Command(BaseCommand):
    help = (
        "Apply the data-retention policy to closed accounts: clear contact-log texts and "
        "decision messages, delete evidence files and reveal records past their period; on "
        "PostgreSQL, drop the months of the contact log and decisions whose every row is past "
        "its period and referred to by nothing (audited). Idempotent."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Report what would be removed (counts per kind, oldest date) and each month's "
            "partition past the period (dropped or what keeps it); change nothing.",
        )
        parser.add_argument("--as-of", help="Business date YYYY-MM-DD (default: today's).")

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = _date(options["as_of"]) if options["as_of"] else None
        report = retention_apply(as_of=as_of, dry_run=options["dry_run"])
        self.stdout.write("\n".join(report.lines()))
        partitions = partitions_retire(as_of=as_of, dry_run=options["dry_run"])
        self.stdout.write("\n".join(partitions.lines()))
