"""The letter channel's backend: each approved letter becomes a PDF (``store.letter_store``)
and, as before, a JSON line in ``<SETTLE_OUTBOX_DIR>/letter.jsonl`` naming it. Exactly once
per idempotency key: a repeated send finds the stored letter and writes nothing new."""

from __future__ import annotations

from django.db import DatabaseError
from django.utils import timezone

from outreach.backends import ChannelError, FileBackend, OutboundMessage
from outreach.letters.store import letter_store


class LetterBackend(FileBackend):
    def send(self, message: OutboundMessage) -> str:
        if message.account_id is None:
            raise ChannelError("a letter needs its account")
        if not message.to.strip():
            raise ChannelError("no postal address")
        try:
            letter, _created = letter_store(
                key=message.idempotency_key,
                account_id=message.account_id,
                kind=message.letter_kind,
                language=message.language or "en",
                body=message.body,
                recipient_name=message.customer_name,
                recipient_address=message.to,
                now=timezone.now(),
            )
        except (OSError, DatabaseError) as exc:
            raise ChannelError(f"letter {message.idempotency_key}: {exc}") from exc
        super().send(message)
        return f"letter:{letter.pk}"
