"""``manage.py print_batch [--day YYYY-MM-DD]``: build the day's print batch of letters
(default: the previous business day). Running it twice makes one batch."""

from __future__ import annotations

from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.delinquency import business_date
from outreach.letters.batch import print_batch_build
from outreach.letters.store import letter_root


class Command(BaseCommand):
    help = "Build the print batch (manifest CSV) of one business day's letters."

    def add_arguments(self, parser):
        parser.add_argument("--day", help="business day, YYYY-MM-DD (default: yesterday)")

    def handle(self, *args, **options):
        try:
            day = (
                date.fromisoformat(options["day"])
                if options["day"]
                else business_date() - timedelta(days=1)
            )
        except ValueError as exc:
            raise CommandError(f"--day: {exc}") from exc
        batch, created = print_batch_build(day=day, now=timezone.now())
        verb = "Built" if created else "Already built:"
        self.stdout.write(
            f"{verb} print batch {batch.day}: {batch.letter_count} letters, "
            f"{batch.page_count} pages, manifest {letter_root() / batch.manifest}"
        )
