"""Cost of the request guards (crm_app/request_guards.py): per-request overhead, and how fast a 1 GiB upload is refused.

1. Overhead: the same request through a bare ASGI app and through RequestGuards wrapping it, in one process, no
   network: a GET, and a POST with an allowed Origin and a 1 KB body (the body deadline's wrapper at work).
   Prints p50/p95 of each and their difference.
2. Refusal: the backend served for real (`reflex run --env prod --backend-only`, a temporary SQLite database); an
   anonymous client declares a 1 GiB upload and pushes bytes as fast as the server takes them. Prints the time to
   the refusal and the bytes that left the client before it.

    .venv/bin/python -m benchmarks.http_guards [--requests 20000] [--port 8310]
"""

from __future__ import annotations

import argparse
import asyncio
import select
import socket
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.served_app import migrate, served_backend
from crm_app.request_guards import RequestGuards
from crm_app.settings import get_settings

BODY = b"x" * 1024
GIB = 1024**3


async def _bare(scope: dict, receive, send) -> None:
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


def _scope(method: str) -> dict:
    origin = get_settings().origins[0].encode()
    if method == "GET":
        return {"type": "http", "method": method, "path": "/api/health", "headers": [(b"origin", origin)]}
    return {"type": "http", "method": method, "path": "/api/feedback", "headers": [
        (b"origin", origin), (b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]}


async def _timings(app, method: str, requests: int) -> list[float]:
    async def receive() -> dict:
        return {"type": "http.request", "body": BODY if method == "POST" else b"", "more_body": False}

    async def send(message: dict) -> None:
        return None

    scope, microseconds = _scope(method), []
    for _ in range(requests):
        started = time.perf_counter()
        await app(dict(scope), receive, send)
        microseconds.append((time.perf_counter() - started) * 1e6)
    return microseconds


def _p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q * 100) - 1]


def overhead(requests: int) -> None:
    guarded = RequestGuards(_bare)
    print(f"Per-request overhead of RequestGuards, {requests:,} calls each (microseconds):")
    for method in ("GET", "POST"):
        bare = asyncio.run(_timings(_bare, method, requests))
        wrapped = asyncio.run(_timings(guarded, method, requests))
        print(f"  {method:4} bare p50 {_p(bare, .5):6.1f}  p95 {_p(bare, .95):6.1f} | guarded p50 {_p(wrapped, .5):6.1f}"
              f"  p95 {_p(wrapped, .95):6.1f} | overhead p50 {_p(wrapped, .5) - _p(bare, .5):6.1f}"
              f"  p95 {_p(wrapped, .95) - _p(bare, .95):6.1f}")


def refusal(port: int) -> None:
    from crm_app.states.imports import ImportState

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        migrate(url)
        with served_backend(url, port, Path(tmp) / "server.log"):
            head = (f"POST /_upload HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: {GIB}\r\n"
                    f"Reflex-Client-Token: anonymous-bench\r\n"
                    f"Reflex-Event-Handler: {ImportState.get_full_name()}.receive_file\r\n"
                    "Content-Type: multipart/form-data; boundary=b\r\n\r\n").encode()
            chunk, sent = b"\0" * (256 * 1024), 0
            with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
                started = time.perf_counter()
                conn.sendall(head)
                while sent < GIB and not select.select([conn], [], [], 0)[0]:
                    try:
                        sent += conn.send(chunk)
                    except OSError:
                        break
                status = conn.recv(64).split(b"\r\n")[0].decode()
                elapsed = time.perf_counter() - started
    print(f"1 GiB anonymous upload: '{status}' after {elapsed * 1000:.1f} ms, {sent / 1024**2:.1f} MiB sent before it")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--port", type=int, default=8310)
    args = parser.parse_args()
    overhead(args.requests)
    refusal(args.port)


if __name__ == "__main__":
    main()
