"""The served app over raw HTTP: uploads are refused from their headers unless a signed-in user allowed to import sends
them, before the body is read (no temp file grows), and a body that stops arriving is cut off with 408."""

from __future__ import annotations

import asyncio
import select
import socket
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select as sql_select

from crm_app.data.models import User
from crm_app.data.repositories.users import open_session
from crm_app.states.imports import ImportState
from tests.e2e.conftest import APP_PORT, E2E_BODY_TIMEOUT_S, writing
from tests.e2e.websocket_client import ReflexClient, run

pytestmark = pytest.mark.e2e

GIB = 1024**3
# What the test pushes at most before giving up on an answer; loopback buffers hold a few MB before the server reads.
SEND_AT_MOST = 64 * 1024**2
CHUNK = b"\0" * (256 * 1024)
HANDLER = f"{ImportState.get_full_name()}.receive_file"
BOUNDARY = "e2e-upload-boundary"
# The start of a well-formed multipart body: one file part, whose content the zeros that follow are.
FILE_PART = (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"big.csv\"\r\n"
             "Content-Type: text/csv\r\n\r\n").encode()


def _token_for(database_url: str, email: str) -> str:
    with writing(database_url) as session:
        user = session.exec(sql_select(User).where(User.email == email)).one()
        token = open_session(session=session, user=user, ttl=timedelta(hours=1))
        session.commit()
    return token


def _head(declared: int, cookie: str | None, client_token: str = "never-connected-client") -> bytes:
    lines = ["POST /_upload HTTP/1.1", f"Host: localhost:{APP_PORT}", f"Content-Length: {declared}",
             f"Reflex-Client-Token: {client_token}", f"Reflex-Event-Handler: {HANDLER}",
             f"Content-Type: multipart/form-data; boundary={BOUNDARY}"]
    if cookie:
        lines.append(f"Cookie: crm_session={cookie}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _push(head: bytes, declared: int) -> tuple[int, int]:
    """Send the head, then body bytes as fast as the server takes them until it answers (or SEND_AT_MOST went
    unanswered); the status (0 for none) and the body bytes sent."""
    sent = 0
    with socket.create_connection(("127.0.0.1", APP_PORT), timeout=30) as conn:
        conn.sendall(head + FILE_PART)
        while sent < min(declared, SEND_AT_MOST):
            readable, writable, _ = select.select([conn], [conn], [], 30)
            if readable:
                break
            try:
                sent += conn.send(CHUNK)
            except (BrokenPipeError, ConnectionResetError):
                break
        conn.settimeout(5)
        try:
            answer = conn.recv(4096)
        except (TimeoutError, ConnectionResetError):
            answer = b""
    return (int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else 0), sent


def _temp_bytes(tmp: Path) -> int:
    return sum(path.stat().st_size for path in tmp.rglob("*") if path.is_file())


def test_a_gigabyte_from_anyone_not_allowed_to_import_is_refused_before_it_is_read(app_url, e2e_database_url,
                                                                                  e2e_workdir):
    tmp = e2e_workdir / "tmp"
    before = _temp_bytes(tmp)
    executive = _token_for(e2e_database_url, "exec@example.com")
    rep = _token_for(e2e_database_url, "rep1@example.com")
    for cookie, status in ((None, 401), ("forged-session-token", 401), (executive, 403), (rep, 413)):
        answered, sent = _push(_head(GIB, cookie), GIB)
        assert answered == status, cookie
        assert sent < SEND_AT_MOST
    assert _temp_bytes(tmp) - before < 1024**2


def _small_upload(cookie: str | None, client_token: str = "never-connected-client") -> bytes:
    body = FILE_PART + f"external_ref,name\r\n--{BOUNDARY}--\r\n".encode()
    with socket.create_connection(("127.0.0.1", APP_PORT), timeout=30) as conn:
        conn.sendall(_head(len(body), cookie, client_token) + body)
        return conn.recv(4096)


def test_an_allowed_user_still_uploads(app_url, e2e_database_url):
    assert _small_upload(_token_for(e2e_database_url, "rep1@example.com")).startswith(b"HTTP/1.1 200 ")


def test_in_production_the_cookie_decides_not_the_tabs_state(app_url):
    """A signed-in tab's token without the session cookie is anonymous: the production server never builds state for
    a client token an upload names (only the dev server, whose uploads go cross-port without cookies, asks it)."""

    async def upload_from(email: str, password: str) -> bytes:
        async with ReflexClient(app_url) as tab:
            await tab.sign_in(email, password)
            return await asyncio.to_thread(_small_upload, None, tab.client_token)

    assert run(lambda: upload_from("rep1@example.com", "demo-rep1-2026")).startswith(b"HTTP/1.1 401 ")


def test_a_body_that_stops_arriving_is_cut_off_with_408(app_url, e2e_workdir):
    server_log = e2e_workdir / "server.log"
    tracebacks = server_log.read_text(errors="replace").count("Traceback")
    declared = 200
    with socket.create_connection(("127.0.0.1", APP_PORT), timeout=E2E_BODY_TIMEOUT_S + 30) as conn:
        conn.sendall(f"POST /api/feedback HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                     f"Content-Length: {declared}\r\n\r\n{{\"csat\": 5".encode())
        answer = b""
        while chunk := conn.recv(4096):  # the server closes the connection after its answer
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408 ")
    assert b"connection: close" in head.lower()
    assert body == b'{"reason":"body_timeout"}'
    assert server_log.read_text(errors="replace").count("Traceback") == tracebacks
