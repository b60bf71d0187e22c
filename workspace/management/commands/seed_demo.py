import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from accounts.models import Account
from workspace.demo import seed_activity, seed_agencies, seed_portfolio


class Command(BaseCommand):
    help = "Build a realistic, reproducible demo portfolio (US and CN customers, all buckets)."

    def add_arguments(self, parser):
        parser.add_argument("--accounts", type=int, default=2000)
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument(
            "--as-of",
            type=date.fromisoformat,
            default=None,
            help="Business date the DPD spread is built around (YYYY-MM-DD).",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when accounts already exist (make demo reruns).",
        )
        parser.add_argument("--chunk-size", type=int, default=50_000)
        parser.add_argument("--no-progress", action="store_true")
        parser.add_argument(
            "--no-activity",
            action="store_true",
            help="Skip the sample plans, promises and disputes.",
        )

    def handle(
        self,
        *args,
        accounts,
        seed,
        as_of,
        if_empty,
        chunk_size,
        no_progress,
        no_activity,
        **options,
    ):
        if accounts < 1:
            raise CommandError("--accounts must be at least 1.")
        if if_empty and Account.objects.exists():
            self.stdout.write("Accounts already exist; leaving the portfolio as it is.")
            return
        started = time.perf_counter()
        with tqdm(total=accounts, unit="acct", disable=no_progress or None) as bar:
            counts = seed_portfolio(
                accounts=accounts,
                seed=seed,
                as_of=as_of,
                chunk_size=chunk_size,
                progress=bar.update,
            )
        if not no_activity and as_of is None:
            # Through the real services, so only on a demo-sized portfolio's business date.
            counts.update(seed_activity(seed=seed))
        counts.update(seed_agencies())
        elapsed = time.perf_counter() - started
        summary = ", ".join(f"{v:,} {k.replace('_', ' ')}" for k, v in counts.items())
        self.stdout.write(self.style.SUCCESS(f"Seeded {summary} in {elapsed:.1f}s"))
