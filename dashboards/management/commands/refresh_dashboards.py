from datetime import date

from django.core.management.base import BaseCommand, CommandError

from dashboards.facts import facts_refresh


class Command(BaseCommand):
    help = "Refresh the supervisor dashboard facts for a business date (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="YYYY-MM-DD (default: the business date)")
        parser.add_argument("--activity-days", type=int, default=7)
        parser.add_argument("--roll-months", type=int, default=2)

    def handle(self, *args, **options):
        try:
            day = date.fromisoformat(options["date"]) if options["date"] else None
        except ValueError as exc:
            raise CommandError(f"--date must be YYYY-MM-DD: {exc}") from exc
        summary = facts_refresh(
            day=day, activity_days=options["activity_days"], roll_months=options["roll_months"]
        )
        self.stdout.write(
            f"{summary.day}: {summary.snapshot_rows} snapshot, {summary.activity_rows} activity,"
            f" {summary.roll_rows} roll rows in {summary.seconds:.2f}s"
        )
