"""Speed of the REST API: GET /api/v1/customers?limit=100 at 100,000 customers, and the token check.

    python -m benchmarks.api_v1 [--customers 100000] [--requests 300] [--database-url URL] [--json]

The API app (crm_app.api) is called in-process over ASGI (httpx.ASGITransport) on one event loop, one request at a
time: what one worker spends per request, without the network. Figures: p50/p95 of the first page and of pages
followed through `next_cursor` deep into the list, as an admin (every customer) and as a sales rep (a tenth of
them), and of `caller_for_token` alone (one indexed lookup of the token's SHA-256). Goals (issue 18): list p95 under
30 ms, token check under 1 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import insert
from sqlmodel import Session

from benchmarks.served_app import migrate


def _percentiles(samples_ms: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(samples_ms, n=100, method="inclusive")
    return {"p50_ms": round(cuts[49], 2), "p95_ms": round(cuts[94], 2)}


def _seed(url: str, customers: int) -> dict[str, str]:
    """`customers` customers, a tenth owned by the rep, and a read-only token for an admin and for the rep."""
    from crm_app.data.db import engine_for
    from crm_app.data.models import Customer, Role, User
    from crm_app.data.repositories.api_tokens import create_token
    from crm_app.data.repositories.users import actor_of

    engine = engine_for(url)
    with Session(engine) as session:
        admin = User(email="admin@example.com", full_name="Admin", role=Role.admin, password_hash="x")
        rep = User(email="rep@example.com", full_name="Rep", role=Role.sales_rep, password_hash="x")
        other = User(email="other@example.com", full_name="Other", role=Role.sales_rep, password_hash="x")
        session.add_all([admin, rep, other])
        session.flush()
        start = datetime(2024, 1, 1, tzinfo=UTC)
        for first in range(0, customers, 10_000):
            session.execute(insert(Customer), [
                {"name": f"Customer {n:06d}", "email": f"c{n}@example.com", "region": "EMEA", "segment": "SMB",
                 "acquisition_channel": "event", "owner_id": rep.id if n % 10 == 0 else other.id,
                 "consent_email": False, "consent_phone": False, "created_at": start + timedelta(minutes=n),
                 "updated_at": start + timedelta(minutes=n)}
                for n in range(first, min(first + 10_000, customers))])
        tokens = {name: create_token(session=session, actor=actor_of(user), name="bench", can_write=False).secret
                  for name, user in (("admin", admin), ("rep", rep))}
        session.commit()
    return tokens


async def _pages(client: httpx.AsyncClient, token: str, requests: int, sort: str) -> tuple[list[float], list[float]]:
    """Latencies of `requests` first pages, then of `requests` pages followed through the cursors."""
    headers = {"Authorization": f"Bearer {token}"}
    first, deeper, cursor = [], [], None
    for _ in range(requests):
        started = time.perf_counter()
        answer = await client.get("/api/v1/customers", params={"limit": 100, "sort": sort}, headers=headers)
        first.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200 and len(answer.json()["data"]) == 100, answer.text
    for _ in range(requests):
        params = {"limit": 100, "sort": sort} | ({"cursor": cursor} if cursor else {})
        started = time.perf_counter()
        answer = await client.get("/api/v1/customers", params=params, headers=headers)
        deeper.append((time.perf_counter() - started) * 1000)
        cursor = answer.json()["next_cursor"]
    return first, deeper


async def _lists(tokens: dict[str, str], requests: int) -> dict:
    from crm_app.api import api

    figures = {}
    transport = httpx.ASGITransport(app=api)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        await _pages(client, tokens["admin"], 10, "id")  # warm up
        for role in ("admin", "rep"):
            for sort in ("id", "-updated_at", "name"):
                first, deeper = await _pages(client, tokens[role], requests, sort)
                figures[f"{role}_sort_{sort}"] = {"first_page": _percentiles(first),
                                                  "following_pages": _percentiles(deeper)}
    return figures


def _token_checks(tokens: dict[str, str], repeats: int) -> dict[str, float]:
    from crm_app.data.db import read_session
    from crm_app.data.repositories.api_tokens import caller_for_token

    samples = []
    with read_session() as session:
        for n in range(repeats):
            started = time.perf_counter()
            caller = caller_for_token(session=session, secret=tokens["rep" if n % 2 else "admin"])
            samples.append((time.perf_counter() - started) * 1000)
            assert caller is not None
    return _percentiles(samples)


def run(database_url: str | None, customers: int, requests: int) -> dict:
    from crm_app.settings import get_settings

    with tempfile.TemporaryDirectory() as tmp:
        url = database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        migrate(url)
        settings = get_settings()
        settings.database_url, settings.redis_url, settings.api_token_rate_limit = url, None, "1000000/minute"
        seeding = time.perf_counter()
        tokens = _seed(url, customers)
        figures: dict = {"database": "sqlite" if url.startswith("sqlite") else "postgresql", "customers": customers,
                         "requests_per_figure": requests, "seed_seconds": round(time.perf_counter() - seeding, 1)}
        figures["list_customers_limit_100"] = asyncio.run(_lists(tokens, requests))
        figures["token_check"] = _token_checks(tokens, 2000)
        return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--database-url", default=None, help="An empty database (default: a new SQLite file).")
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()
    figures = run(options.database_url, options.customers, options.requests)
    if options.json:
        print(json.dumps(figures, indent=2))
        return
    print(f"{figures['customers']:,} customers on {figures['database']}, {figures['requests_per_figure']} requests "
          f"per figure (seeded in {figures['seed_seconds']} s)")
    for name, pages in figures["list_customers_limit_100"].items():
        print(f"  GET /api/v1/customers?limit=100 {name:24} first page p50 {pages['first_page']['p50_ms']:6.2f} ms "
              f"p95 {pages['first_page']['p95_ms']:6.2f} ms | following pages p50 "
              f"{pages['following_pages']['p50_ms']:6.2f} ms p95 {pages['following_pages']['p95_ms']:6.2f} ms")
    check = figures["token_check"]
    print(f"  token check (caller_for_token) p50 {check['p50_ms']:.3f} ms p95 {check['p95_ms']:.3f} ms")


if __name__ == "__main__":
    main()
