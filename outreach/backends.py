"""Channel backends: how an approved reminder leaves the building (SMS, email, letter).

Chosen per channel by ``settings.SETTLE_CHANNEL_BACKENDS``. A backend only transmits; the
compliance decision, the contact log and the reminder's status belong to
``outreach.reminders``. Each send carries the reminder's idempotency key so a send repeated
after a crash is not delivered twice: the console and file backends write one line per key,
the SMS gateway receives it as the ``Idempotency-Key`` header.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class OutboundMessage:
    idempotency_key: str
    channel: str
    to: str  # E.164 phone, email address or postal address; "" when unknown
    body: str
    subject: str = ""
    account_id: int | None = None
    customer_name: str = ""
    #: A letter's kind (``compliance.rules.letters``) and language, for the letter backend.
    letter_kind: str = ""
    language: str = ""


class ChannelError(Exception):
    """The channel did not accept the message; the reminder is retried with backoff."""


class BaseBackend:
    def send(self, message: OutboundMessage) -> str:
        """Transmit ``message``; return a provider reference. Raise ``ChannelError``."""
        raise NotImplementedError

    def send_many(self, messages: list[OutboundMessage]) -> list[str | ChannelError]:
        """Transmit each message; per message its reference or the ``ChannelError`` it
        raised (one failure does not stop the others). Backends that can batch override."""
        results: list[str | ChannelError] = []
        for message in messages:
            try:
                results.append(self.send(message))
            except ChannelError as exc:
                results.append(exc)
        return results


class ConsoleBackend(BaseBackend):
    """Prints one line per idempotency key (per process) to stdout: the demo's SMS."""

    def __init__(self, stream=None) -> None:
        self.stream = stream or sys.stdout
        self._seen: set[str] = set()

    def send(self, message: OutboundMessage) -> str:
        if message.idempotency_key not in self._seen:
            self._seen.add(message.idempotency_key)
            line = json.dumps(_as_record(message), ensure_ascii=False)
            self.stream.write(f"[{message.channel}] {line}\n")
            self.stream.flush()
        return message.idempotency_key


class FileBackend(BaseBackend):
    """Appends one JSON line per idempotency key to ``<SETTLE_OUTBOX_DIR>/<channel>.jsonl``.

    The keys already in the file are read before each send (only the bytes added since the
    last read), so a send repeated by another process after a crash writes nothing. Each line
    is one ``write`` on an ``O_APPEND`` descriptor: it survives the process being killed.
    """

    _lock = threading.Lock()
    #: path → (keys seen, bytes read); shared by the instances of one process.
    _index: dict[str, tuple[set[str], int]] = {}

    def __init__(self, directory: str | os.PathLike | None = None) -> None:
        self.directory = Path(directory or settings.SETTLE_OUTBOX_DIR)

    def path_for(self, channel: str) -> Path:
        return self.directory / f"{channel}.jsonl"

    def send(self, message: OutboundMessage) -> str:
        path = self.path_for(message.channel)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with self._lock:
                keys = self._refresh(path)
                if message.idempotency_key in keys:
                    return message.idempotency_key
                line = json.dumps(_as_record(message), ensure_ascii=False) + "\n"
                fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
                try:
                    os.write(fd, line.encode("utf-8"))
                finally:
                    os.close(fd)
                keys.add(message.idempotency_key)
        except OSError as exc:
            raise ChannelError(f"outbox {path}: {exc}") from exc
        return message.idempotency_key

    def send_many(self, messages: list[OutboundMessage]) -> list[str | ChannelError]:
        """Like ``send`` for each message, with one read of new keys and one ``write`` per
        channel file for the whole batch (a torn last line is ignored when read back)."""
        if type(self).send is not FileBackend.send:  # a subclass acts on each send
            return super().send_many(messages)
        results: list[str | ChannelError] = [m.idempotency_key for m in messages]
        by_path: dict[Path, list[int]] = {}
        for i, message in enumerate(messages):
            by_path.setdefault(self.path_for(message.channel), []).append(i)
        for path, indexes in by_path.items():
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                with self._lock:
                    keys = self._refresh(path)
                    lines: list[str] = []
                    for i in indexes:
                        key = messages[i].idempotency_key
                        if key not in keys:
                            keys.add(key)
                            lines.append(json.dumps(_as_record(messages[i]), ensure_ascii=False))
                    if lines:
                        data = ("\n".join(lines) + "\n").encode("utf-8")
                        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
                        try:
                            written = os.write(fd, data)
                            while written < len(data):
                                written += os.write(fd, data[written:])
                        finally:
                            os.close(fd)
            except OSError as exc:
                # Keys added above may not be in the file: read it afresh next time.
                self._index.pop(str(path), None)
                for i in indexes:
                    results[i] = ChannelError(f"outbox {path}: {exc}")
        return results

    def _refresh(self, path: Path) -> set[str]:
        name = str(path)
        keys, offset = self._index.get(name, (set(), 0))
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            size = 0
        if size < offset:  # the file was replaced: read it again
            keys, offset = set(), 0
        if size > offset:
            with path.open("rb") as fh:
                fh.seek(offset)
                chunk = fh.read()
            complete = chunk[: chunk.rfind(b"\n") + 1]  # a torn last line is ignored
            for raw in complete.splitlines():
                try:
                    keys.add(json.loads(raw)["key"])
                except (ValueError, KeyError):
                    continue
            offset += len(complete)
        self._index[name] = (keys, offset)
        return keys


class DjangoEmailBackend(BaseBackend):
    """Email through Django's mail framework (``EMAIL_BACKEND``, console by default)."""

    def send(self, message: OutboundMessage) -> str:
        if not message.to:
            raise ChannelError("no email address")
        email = EmailMessage(
            subject=message.subject or message.body.split("\n", 1)[0][:120],
            body=message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.to],
            headers={"X-Idempotency-Key": message.idempotency_key},
        )
        try:
            email.send(fail_silently=False)
        except Exception as exc:  # SMTP and friends raise many kinds
            raise ChannelError(f"email: {exc}") from exc
        return message.idempotency_key


class SmsGatewayBackend(BaseBackend):
    """POSTs JSON to ``SETTLE_SMS_GATEWAY_URL`` with a bearer token and ``Idempotency-Key``."""

    def __init__(self, url: str | None = None, token: str | None = None, timeout: float = 10):
        self.url = url or settings.SETTLE_SMS_GATEWAY_URL
        self.token = token if token is not None else settings.SETTLE_SMS_GATEWAY_TOKEN
        self.timeout = timeout

    def send(self, message: OutboundMessage) -> str:
        if not self.url:
            raise ChannelError("SETTLE_SMS_GATEWAY_URL is not set")
        if not message.to:
            raise ChannelError("no phone number")
        payload = json.dumps({"to": message.to, "text": message.body}).encode("utf-8")
        request = urllib.request.Request(  # noqa: S310 - the URL comes from settings
            self.url,
            data=payload,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {self.token}",
                "Idempotency-Key": message.idempotency_key,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                body = response.read().decode("utf-8") or "{}"
        except urllib.error.HTTPError as exc:
            raise ChannelError(f"sms gateway HTTP {exc.code}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise ChannelError(f"sms gateway: {exc}") from exc
        try:
            return str(json.loads(body).get("id", message.idempotency_key))
        except (ValueError, AttributeError):
            return message.idempotency_key


def _as_record(message: OutboundMessage) -> dict:
    return {
        "key": message.idempotency_key,
        "channel": message.channel,
        "to": message.to,
        "account": message.account_id,
        "subject": message.subject,
        "body": message.body,
    }


def backend_for(channel: str) -> BaseBackend:
    """A new backend instance for ``channel`` as configured."""
    try:
        path = settings.SETTLE_CHANNEL_BACKENDS[channel]
    except KeyError as exc:
        raise ChannelError(f"no backend configured for {channel}") from exc
    return import_string(path)()
