"""A real HTTP receiver for webhook tests, and a signature verifier written from the Standard Webhooks
specification (https://www.standardwebhooks.com/, "Verifying webhook authenticity"), independent of the app's
signer in crm_app/webhook_signing.py."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class InvalidSignature(Exception):
    pass


def verify(secret: str, headers: dict[str, str], body: bytes, now: int, tolerance: int = 5 * 60) -> dict:
    """The parsed body when `headers` carry a valid v1 signature of it made with `secret` at most `tolerance`
    seconds from `now`; InvalidSignature otherwise. Per the spec: the key is the base64 after "whsec_", the
    signed content is "{webhook-id}.{webhook-timestamp}.{body}", the header is a space-separated list of
    "v1,<base64 HMAC-SHA256>", any of which may match (compared in constant time)."""
    lowered = {name.lower(): value for name, value in headers.items()}
    try:
        message_id, timestamp, signatures = (lowered["webhook-id"], lowered["webhook-timestamp"],
                                             lowered["webhook-signature"])
        sent_at = int(timestamp)
    except (KeyError, ValueError):
        raise InvalidSignature("missing or malformed headers") from None
    if abs(now - sent_at) > tolerance:
        raise InvalidSignature("timestamp outside the tolerance")
    key = base64.b64decode(secret.split("_", 1)[1] if secret.startswith("whsec_") else secret)
    content = message_id.encode() + b"." + timestamp.encode() + b"." + body
    expected = base64.b64encode(hmac.new(key, content, hashlib.sha256).digest())
    for candidate in signatures.split(" "):
        version, _, value = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(value.encode(), expected):
            return json.loads(body)
    raise InvalidSignature("no matching v1 signature")


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes
    answered: int

    @property
    def event(self) -> dict:
        return json.loads(self.body)


class Receiver:
    """An HTTP server on 127.0.0.1 (a free port) that records every POST and answers with the next status of
    `statuses` (200 once they run out)."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.received: list[Received] = []
        self._statuses = list(statuses or [])
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (the http.server name)
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                with receiver._lock:
                    status = receiver._statuses.pop(0) if receiver._statuses else 200
                    receiver.received.append(Received(dict(self.headers.items()), body, status))
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *_args) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/hooks"

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._server.shutdown()
        self._server.server_close()
