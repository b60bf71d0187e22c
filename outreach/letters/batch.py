"""The day's print batch: the letters stored on one business day, listed in a manifest CSV for
the print shop (letter id, masked account number, recipient address, pages, SHA-256, file).
One batch per day: building it again returns the batch already made."""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction

from accounts.masking import mask_identifier
from contacts.models import Letter, PrintBatch
from core.business_calendar import start_of_business_day
from outreach.letters.store import _write, letter_root

MANIFEST_COLUMNS = ("letter_id", "account", "recipient_address", "pages", "sha256", "file")


def manifest_csv(letters: list[Letter]) -> bytes:
    """The manifest's bytes (UTF-8 with a BOM, so a spreadsheet reads the Chinese right)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(MANIFEST_COLUMNS)
    for letter in letters:
        writer.writerow(
            [
                letter.pk,
                mask_identifier(letter.account.number),
                letter.recipient.replace("\n", ", "),
                letter.pages,
                letter.sha256,
                letter.file,
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def print_batch_build(*, day: date, now: datetime) -> tuple[PrintBatch, bool]:
    """``(batch, created)``: the print batch of ``day``, built from the letters stored that
    business day if there is none yet."""
    found = PrintBatch.objects.filter(day=day).first()
    if found is not None:
        return found, False
    letters = list(
        Letter.objects.filter(
            created_at__gte=start_of_business_day(day),
            created_at__lt=start_of_business_day(day + timedelta(days=1)),
        )
        .select_related("account")
        .order_by("created_at", "id")
    )
    data = manifest_csv(letters)
    relative = f"batches/{day:%Y-%m-%d}/manifest.csv"
    _write(letter_root() / relative, data)
    try:
        with transaction.atomic():
            batch = PrintBatch.objects.create(
                day=day,
                manifest=relative,
                manifest_sha256=hashlib.sha256(data).hexdigest(),
                letter_count=len(letters),
                page_count=sum(letter.pages for letter in letters),
                created_at=now,
            )
            batch.letters.set(letters)
    except IntegrityError:  # another run made it meanwhile
        return PrintBatch.objects.get(day=day), False
    return batch, True
