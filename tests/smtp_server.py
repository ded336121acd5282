"""A real SMTP server for tests (aiosmtpd on a free local port, in its own thread) that keeps what it received.

    with SmtpServer(user="mailer", password="s3cret") as smtp:
        ... point CRM_SMTP_URL at smtp.url ...
        [email] = smtp.wait_for(1)          # email.message.EmailMessage objects, parsed with the email package

`refuse_next(n, code)` makes it answer the next n DATA commands with `code` (451: try later, 550: never).
"""

from __future__ import annotations

import socket
import threading
import time
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Handler:
    def __init__(self, server: "SmtpServer") -> None:
        self.server = server

    async def handle_DATA(self, _smtp, _session, envelope) -> str:
        with self.server.lock:
            if self.server.refusals:
                code = self.server.refusals.pop(0)
                self.server.refused += 1
                return f"{code} {'Try again later' if code < 500 else 'Mailbox unavailable'}"
            raw = (envelope.original_content or envelope.content).replace(b"\r\n", b"\n")  # the wire's line ends
            email = message_from_bytes(raw, policy=policy.default)
            self.server.received.append(email)
            self.server.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(self, *, user: str | None = None, password: str | None = None) -> None:
        self.port = free_port()
        self.user, self.password = user, password
        self.lock = threading.Lock()
        self.received: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refusals: list[int] = []
        self.refused = 0
        self.logins: list[str] = []
        kwargs = {}
        if user is not None:
            # Offered without TLS (a local test server); `logins` tells whether the sender signed in.
            kwargs = dict(authenticator=self._authenticate, auth_require_tls=False)
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port, **kwargs)

    def _authenticate(self, _server, _session, _envelope, _mechanism, auth_data) -> AuthResult:
        if isinstance(auth_data, LoginPassword) and auth_data.login.decode() == self.user \
                and auth_data.password.decode() == self.password:
            self.logins.append(self.user)
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    @property
    def url(self) -> str:
        credentials = f"{self.user}:{self.password}@" if self.user is not None else ""
        return f"smtp://{credentials}127.0.0.1:{self.port}"

    def refuse_next(self, count: int, code: int = 451) -> None:
        with self.lock:
            self.refusals.extend([code] * count)

    def wait_for(self, count: int, timeout: float = 60.0) -> list[EmailMessage]:
        """The received emails once there are `count` of them (exactly: more is an error)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.received) >= count:
                    assert len(self.received) == count, f"expected {count} emails, received {len(self.received)}"
                    return list(self.received)
            time.sleep(0.05)
        raise AssertionError(f"expected {count} emails within {timeout} s, received {len(self.received)}")

    def mail_to(self, address: str, count: int = 1, timeout: float = 60.0) -> list[EmailMessage]:
        """The `count` emails received for `address` once they are there (a server shared by several tests)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                theirs = [email for email in self.received if email["To"] == address]
            if len(theirs) >= count:
                assert len(theirs) == count, f"expected {count} emails to {address}, received {len(theirs)}"
                return theirs
            time.sleep(0.1)
        raise AssertionError(f"expected {count} emails to {address} within {timeout} s")

    def __enter__(self) -> "SmtpServer":
        self._controller.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._controller.stop()
