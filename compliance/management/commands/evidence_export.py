"""``manage.py evidence_export --from DATE --to DATE [--team CODE …] --out DIR`` and
``manage.py evidence_export --verify DIR``.

Thin: the files, their columns and the checks are in ``compliance.evidence_export`` (its
docstring is the reference).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Team
from compliance.evidence_export import ExportError, evidence_export, evidence_export_verify


def _date(option: str, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"{option} {value!r}: expected YYYY-MM-DD") from exc


class Command(BaseCommand):
    help = (
        "Export a period's contact-log and compliance-decision rows as CSV files with a manifest "
        "of SHA-256 checksums and row counts for an examiner; or --verify an export. The files "
        "hold full account numbers: run it on the server, as an admin."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="date_from", help="First business day, YYYY-MM-DD.")
        parser.add_argument("--to", dest="date_to", help="Last business day, YYYY-MM-DD.")
        parser.add_argument(
            "--team",
            action="append",
            default=[],
            help="Only this team's accounts (code; repeat or separate with commas).",
        )
        parser.add_argument("--out", help="A new (or empty) directory for the files.")
        parser.add_argument("--verify", metavar="DIR", help="Check an export against its manifest.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["verify"]:
            self.verify(options["verify"])
            return
        missing = [f"--{n}" for n in ("from", "to", "out") if not options[_dest(n)]]
        if missing:
            raise CommandError(f"Give {', '.join(missing)} (or --verify DIR).")
        teams = sorted({code for value in options["team"] for code in value.split(",") if code})
        known = set(Team.objects.filter(code__in=teams).values_list("code", flat=True))
        unknown = sorted(set(teams) - known)
        if unknown:
            raise CommandError(f"--team: no such team {', '.join(unknown)}")
        try:
            files = evidence_export(
                date_from=_date("--from", options["date_from"]),
                date_to=_date("--to", options["date_to"]),
                out_dir=options["out"],
                team_codes=teams,
            )
        except ExportError as exc:
            raise CommandError(str(exc)) from exc
        for exported in files:
            self.stdout.write(f"{exported.name}: {exported.rows} rows, sha256 {exported.sha256}")
        self.stdout.write(f"Manifest and SHA256SUMS written to {options['out']}")

    def verify(self, directory: str) -> None:
        problems = evidence_export_verify(directory)
        if problems:
            raise CommandError("The export does not verify:\n" + "\n".join(problems))
        self.stdout.write(f"{directory}: every file matches its manifest and SHA256SUMS")


def _dest(name: str) -> str:
    return {"from": "date_from", "to": "date_to"}.get(name, name)
