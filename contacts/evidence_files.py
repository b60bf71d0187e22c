"""What may be kept as a contact's evidence file, judged by its content, not its name.

A recording (WAV, MP3, Ogg/Opus, M4A/MP4 audio, WebM) or a letter scan or screenshot (PDF,
PNG, JPEG), at most ``SETTLE_EVIDENCE_MAX_BYTES``. The first bytes decide; the declared name
and content type are ignored, since the client chooses both.
"""

from __future__ import annotations

from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError

#: (kind, content type, test on the first 16 bytes)
SIGNATURES: tuple[tuple[str, str, object], ...] = (
    ("wav", "audio/wav", lambda h: h[:4] == b"RIFF" and h[8:12] == b"WAVE"),
    ("mp3", "audio/mpeg", lambda h: h[:3] == b"ID3" or (h[0] == 0xFF and h[1] & 0xE0 == 0xE0)),
    ("ogg", "audio/ogg", lambda h: h[:4] == b"OggS"),
    ("m4a", "audio/mp4", lambda h: h[4:8] == b"ftyp"),
    ("webm", "audio/webm", lambda h: h[:4] == b"\x1a\x45\xdf\xa3"),
    ("pdf", "application/pdf", lambda h: h[:5] == b"%PDF-"),
    ("png", "image/png", lambda h: h[:8] == b"\x89PNG\r\n\x1a\n"),
    ("jpeg", "image/jpeg", lambda h: h[:3] == b"\xff\xd8\xff"),
)


def evidence_kind(head: bytes) -> tuple[str, str] | None:
    """(kind, content type) of a file starting with ``head``, or None if not one we keep."""
    if len(head) < 4:
        return None
    padded = head.ljust(16, b"\0")
    for kind, content_type, test in SIGNATURES:
        if test(padded):  # type: ignore[operator]
            return kind, content_type
    return None


def _head(file: IO[bytes]) -> bytes:
    position = file.tell() if hasattr(file, "tell") else 0
    head = file.read(16)
    file.seek(position)
    return head


def validate_evidence_file(file) -> None:
    limit = settings.SETTLE_EVIDENCE_MAX_BYTES
    if file.size is not None and file.size > limit:
        raise ValidationError(f"The file is larger than {limit // (1024 * 1024)} MB.")
    if evidence_kind(_head(file)) is None:
        raise ValidationError(
            "Keep a recording (WAV, MP3, Ogg, M4A, WebM) or a scan (PDF, PNG, JPEG); "
            "this file is none of them."
        )
