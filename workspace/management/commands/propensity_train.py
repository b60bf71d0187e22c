"""``manage.py propensity_train [--date YYYY-MM-DD] [--score]``.

Thin: the training is ``workspace.propensity.propensity_train`` (its docstring is the
reference). Prints the samples, positives, held-out month and its AUC.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from accounts import delinquency
from workspace.propensity import propensity_refresh, propensity_train


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--date {value!r}: expected YYYY-MM-DD") from exc


class Command(BaseCommand):
    help = (
        "Train the propensity-to-pay model on the contact and payment history, measure it on "
        "the most recent complete month (AUC) and make it the active one."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="Business date YYYY-MM-DD (default: today's).")
        parser.add_argument(
            "--score",
            action="store_true",
            help="Then score the open accounts with the active model (as the nightly run does).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = _date(options["date"]) if options["date"] else delinquency.business_date()
        now = timezone.now()
        result = propensity_train(as_of=as_of, now=now)
        self.stdout.write("\n".join(result.lines()))
        if options["score"]:
            changed = propensity_refresh(as_of=as_of, now=now)
            self.stdout.write(f"scored open accounts: {changed} changed")
