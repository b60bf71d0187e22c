"""``manage.py import_accounts PATH.csv [--team CODE] [--dry-run] [--no-progress] [--by NAME]``.

Thin: the behaviour is in ``feeds.account_import`` and the columns in
``feeds.account_import.spec`` (their docstrings are the reference).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from feeds.account_import import import_accounts


class Command(BaseCommand):
    help = (
        "Upsert customers and accounts from a bank-feed CSV; a file with any bad row changes "
        "nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="The CSV file (UTF-8, header row).")
        parser.add_argument("--team", help="Team code for rows without a team column value.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Validate and count; write nothing."
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")
        parser.add_argument(
            "--by",
            help="Who runs the import, recorded on the import batch (default: login@host).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        result = import_accounts(
            path,
            team_code=options["team"],
            dry_run=options["dry_run"],
            progress=not options["no_progress"] and sys.stderr.isatty(),
            started_by=options["by"],
        )
        if result.errors:
            for error in result.errors:
                self.stderr.write(error)
            where = f" (import batch {result.batch_id})" if result.batch_id else ""
            raise CommandError(
                f"{path.name} rejected: {len(result.errors)} error(s); nothing was changed{where}."
            )
        verb = "would be" if result.dry_run else "were"
        self.stdout.write(
            self.style.SUCCESS(
                f"{path.name}: {result.rows} rows. Customers: {result.customers_created} created, "
                f"{result.customers_updated} updated; accounts: {result.accounts_created} created, "
                f"{result.accounts_updated} updated {verb} written"
                + (
                    f", {result.accounts_charged_off} of the new ones charged off by the"
                    " write-off policy"
                    if result.accounts_charged_off
                    else ""
                )
                + (
                    ""
                    if result.dry_run
                    else f"; contact points: {result.contact_points_created} created"
                    f" (import batch {result.batch_id})"
                )
                + "."
            )
        )
