"""Storing a letter once: its PDF under ``SETTLE_LETTER_DIR`` and its ``contacts.Letter`` row,
keyed by the reminder's idempotency key. A second store with the same key writes nothing and
returns the first letter, whichever process it runs in."""

from __future__ import annotations

import hashlib
import os
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction

from accounts.models import Account
from contacts.models import Letter, Reminder
from core.business_calendar import business_day
from outreach.letters.pdf import letter_pdf
from outreach.letters.values import letter_sender


def letter_root() -> Path:
    return Path(settings.SETTLE_LETTER_DIR)


def _write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all (a temporary file renamed over it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with tmp.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def letter_store(
    *,
    key: str,
    account_id: int,
    kind: str,
    language: str,
    body: str,
    recipient_name: str,
    recipient_address: str,
    now: datetime,
) -> tuple[Letter, bool]:
    """``(letter, created)``: the letter for ``key``, rendered and stored if it is new.

    The file is named by the key's and the content's hash, so two processes racing on one key
    never overwrite each other's file: the one whose row is not kept removes its own."""
    found = Letter.objects.filter(idempotency_key=key).first()
    if found is not None:
        return found, False
    day = business_day(now)
    jurisdiction = (
        Account.objects.filter(pk=account_id).values_list("customer__jurisdiction", flat=True)
    ).first()
    rendered = letter_pdf(
        sender=letter_sender(jurisdiction or ""),
        kind=kind,
        language=language,
        body=body,
        recipient_name=recipient_name,
        recipient_address=recipient_address,
        day=day,
        reference=key,
    )
    digest = hashlib.sha256(rendered.data).hexdigest()
    name = hashlib.sha256(key.encode()).hexdigest()[:16]
    relative = f"{day:%Y/%m/%d}/letter-{name}-{digest[:12]}.pdf"
    path = letter_root() / relative
    _write(path, rendered.data)
    reminder_id = Reminder.objects.filter(idempotency_key=key).values_list("pk", flat=True).first()
    try:
        with transaction.atomic():
            letter = Letter.objects.create(
                account_id=account_id,
                reminder_id=reminder_id,
                idempotency_key=key,
                kind=kind,
                language=language,
                recipient=recipient_address,
                file=relative,
                sha256=digest,
                pages=rendered.pages,
                created_at=now,
            )
    except IntegrityError:
        kept = Letter.objects.get(idempotency_key=key)
        if kept.file != relative:
            path.unlink(missing_ok=True)
        return kept, False
    return letter, True


def letter_verify(letter: Letter) -> bool:
    """Whether the stored file is still the one whose hash was recorded."""
    try:
        data = letter.path.read_bytes()
    except FileNotFoundError:
        return False
    return hashlib.sha256(data).hexdigest() == letter.sha256
