"""``manage.py import_payments PATH.csv [--dry-run] [--by USERNAME]``.

Thin: the columns and rules are in ``feeds.payments`` (its docstring is the reference).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User
from feeds.payments import payments_import


class Command(BaseCommand):
    help = "Post payments from a bank CSV file; a file with any bad row posts nothing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="The CSV file (UTF-8, header row).")
        parser.add_argument("--dry-run", action="store_true", help="Check only; post nothing.")
        parser.add_argument("--by", help="Username recorded as the poster (default: none).")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        by = None
        if options["by"]:
            by = User.objects.filter(username=options["by"]).first()
            if by is None:
                raise CommandError(f"--by: no user {options['by']!r}")
        result = payments_import(path, by=by, dry_run=options["dry_run"])
        for duplicate in result.duplicates:
            self.stdout.write(duplicate)
        if result.errors:
            for error in result.errors:
                self.stderr.write(error)
            raise CommandError(
                f"{path.name} rejected: {len(result.errors)} error(s); no payment was posted."
            )
        verb = "would be posted" if result.dry_run else "posted"
        fresh = result.rows - len(result.duplicates)
        self.stdout.write(
            self.style.SUCCESS(
                f"{path.name}: {result.rows} rows; {fresh if result.dry_run else result.posted}"
                f" payment(s) {verb}, {len(result.duplicates)} duplicate(s) skipped."
            )
        )
