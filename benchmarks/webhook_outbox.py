"""What webhooks cost: a user's change with and without subscribed endpoints, and the sender's throughput.

    python -m benchmarks.webhook_outbox [--changes 300] [--deliveries 2000] [--database-url URL] [--json]

Without --database-url it uses a temporary SQLite file; with one (e.g. an empty PostgreSQL database), it migrates
it first. Each change is `customers.create_customer` in its own `write_session` (the form's path): timed with no
endpoint, then with 3 endpoints subscribed (3 outbox rows in the same transaction). The sender then posts the
queued deliveries to a local HTTP receiver that answers 204, in rounds of webhook_sender.BATCH, as the lifespan
task does, and reports deliveries per second.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from sqlmodel import Session

from benchmarks.served_app import migrate
from crm_app.data.db import engine_for, write_session
from crm_app.data.models import CustomerCreate, Role, User
from crm_app.data.repositories import customers, webhooks
from crm_app.data.repositories.users import actor_of
from crm_app.settings import get_settings
from crm_app.webhook_sender import new_client, send_due


class _Accepting(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 (the http.server name)
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *_args) -> None:
        return None


def _changes(actor, count: int, label: str) -> list[float]:
    seconds = []
    for number in range(count):
        started = time.perf_counter()
        with write_session() as session:
            customers.create_customer(session=session, actor=actor, customer_create=CustomerCreate(
                name=f"{label} customer {number}", region="EMEA", segment="SMB", acquisition_channel="event"))
        seconds.append(time.perf_counter() - started)
    return seconds


def _ms(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {"median_ms": round(statistics.median(ordered) * 1000, 2),
            "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))] * 1000, 2)}


async def _send_all() -> tuple[int, float]:
    sent, started = 0, time.perf_counter()
    async with new_client() as client:
        while attempted := await send_due(client):
            sent += attempted
    return sent, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=300)
    parser.add_argument("--deliveries", type=int, default=2000)
    parser.add_argument("--database-url")
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = options.database_url or f"sqlite:///{Path(folder) / 'webhooks.sqlite3'}"
        migrate(url)
        get_settings().database_url = url
        with Session(engine_for(url)) as session:
            admin = User(email="bench-admin@example.com", full_name="Admin", role=Role.admin, password_hash="x")
            session.add(admin)
            session.commit()
            actor = actor_of(admin)
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Accepting)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        receiver = f"http://127.0.0.1:{server.server_address[1]}/hooks"
        try:
            without = _changes(actor, options.changes, "plain")
            with write_session() as session:
                for _ in range(3):
                    webhooks.create_endpoint(session=session, actor=actor, url=receiver, events=["customer.created"])
            with_three = _changes(actor, options.changes, "hooked")
            extra = max(0, options.deliveries - 3 * options.changes)
            _changes(actor, -(-extra // 3), "queued")
            sent, seconds = asyncio.run(_send_all())
        finally:
            server.shutdown()
    figures = {"database": url.split(":", 1)[0], "changes": options.changes,
               "change_without_endpoints": _ms(without), "change_with_3_endpoints": _ms(with_three),
               "deliveries_sent": sent, "send_seconds": round(seconds, 2),
               "deliveries_per_second": round(sent / seconds, 1) if seconds else None}
    if options.json:
        print(json.dumps(figures, indent=2))
        return
    print(f"{figures['database']}: a customer created in its own transaction, {options.changes} times")
    print(f"  no endpoint:          median {figures['change_without_endpoints']['median_ms']} ms, "
          f"p95 {figures['change_without_endpoints']['p95_ms']} ms")
    print(f"  3 endpoints (3 rows): median {figures['change_with_3_endpoints']['median_ms']} ms, "
          f"p95 {figures['change_with_3_endpoints']['p95_ms']} ms")
    print(f"sender: {sent:,} deliveries to a local receiver in {seconds:.2f} s "
          f"({figures['deliveries_per_second']} a second, rounds of 20)")


if __name__ == "__main__":
    main()
