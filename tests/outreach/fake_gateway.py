"""A local stand-in for the SMS gateway: ``http.server`` on 127.0.0.1 in a thread.

It records every request (headers and JSON body), answers 503 for the next ``fail(n)`` calls,
and, like a real gateway honouring ``Idempotency-Key``, delivers a repeated key only once.
``signed`` is how it signs what it posts back to Settle (inbound messages, delivery receipts).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeGateway:
    def __init__(self, token: str = "test-token") -> None:
        self.token = token
        self.requests: list[dict] = []
        self.delivered: dict[str, dict] = {}
        self._failures = 0
        self._lock = threading.Lock()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                status, answer = gateway._handle(dict(self.headers), body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/messages"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _handle(self, headers: dict, body: dict) -> tuple[int, dict]:
        with self._lock:
            self.requests.append({"headers": headers, "body": body})
            if headers.get("Authorization") != f"Bearer {self.token}":
                return 401, {"error": "unauthorized"}
            if self._failures > 0:
                self._failures -= 1
                return 503, {"error": "unavailable"}
            key = headers.get("Idempotency-Key", "")
            self.delivered.setdefault(key, body)
            return 200, {"id": f"msg-{key}"}

    @staticmethod
    def signed(payload: dict, *, secret: str, at: datetime) -> tuple[bytes, dict[str, str]]:
        """The body and headers of a webhook the gateway posts at ``at``: HMAC-SHA256 with
        ``secret`` over ``<unix timestamp>.<body>``."""
        body = json.dumps(payload, ensure_ascii=False).encode()
        timestamp = str(int(at.timestamp()))
        mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
        return body, {
            "HTTP_X_SETTLE_TIMESTAMP": timestamp,
            "HTTP_X_SETTLE_SIGNATURE": f"sha256={mac.hexdigest()}",
        }

    def fail(self, times: int) -> None:
        with self._lock:
            self._failures = times

    def __enter__(self) -> FakeGateway:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
