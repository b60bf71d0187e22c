"""``manage.py send_reminders --now 2026-11-23T09:00:00+00:00 [--generate]``;
``manage.py send_reminders --seed-templates`` creates the default message templates."""

from __future__ import annotations

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.delinquency import business_date
from outreach.reminders import reminders_generate, reminders_send_due
from outreach.strategies import templates_seed


class Command(BaseCommand):
    help = "Send the reminders due now (optionally generating today's first)."

    def add_arguments(self, parser):
        parser.add_argument("--now", help="ISO time with offset; default: the current time")
        parser.add_argument("--generate", action="store_true", help="generate reminders first")
        parser.add_argument("--batch-size", type=int, default=None)
        parser.add_argument(
            "--seed-templates",
            action="store_true",
            help="create the default message templates that are missing, then stop",
        )

    def handle(self, *args, now=None, generate=False, batch_size=None, **options):
        if options.get("seed_templates"):
            self.stdout.write(f"templates created: {templates_seed()}")
            return
        if now:
            try:
                moment = datetime.fromisoformat(now)
            except ValueError as exc:
                raise CommandError(f"--now: {exc}") from exc
            if moment.tzinfo is None:
                raise CommandError("--now needs a UTC offset, e.g. 2026-11-23T09:00:00+00:00")
        else:
            moment = timezone.now()
        if generate:
            created = reminders_generate(as_of=business_date(), now=moment)
            self.stdout.write(f"generated: {created.created} (considered {created.considered})")
        summary = reminders_send_due(now=moment, batch_size=batch_size)
        self.stdout.write(
            f"claimed: {summary.claimed} sent: {summary.sent} deferred: {summary.deferred} "
            f"blocked: {summary.blocked} retried: {summary.retried} failed: {summary.failed} "
            f"cancelled: {summary.cancelled} reclaimed: {summary.reclaimed}"
        )
