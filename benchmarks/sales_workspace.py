"""Server time of the sales workspace's events: the customer list's search/filter/page, and a pipeline stage move.

    python -m benchmarks.sales_workspace [--customers 100000] [--open-deals 5000] [--orders 100000]
                                         [--events 200] [--database-url URL] [--port 8765] [--json]

Builds the demo company (`crm-app seed`) with `--customers` customers (unless `--database-url` names a database
that already has it: a big one is seeded once and reused), then adds open deals (spread over the
sales reps' customers and the four open stages) until `--open-deals` deals are open. It serves the real
backend (`reflex run --env prod --backend-only`, one worker) and drives it over its websocket exactly as the
browser does: a socket.io client signs in through the login form's HTTP post, then sends the page's events.

What is measured, per event: the wall time from emitting the event on the socket to receiving the state update
it causes, on loopback. That is the server's whole work for the event (session-token check, the repository's
queries, the state delta, its serialization) plus one loopback hop, so it is a slight over-estimate of server time.
"Bytes" is the size of the JSON the server sends back for the event (the delta and any toast).

- /customers: `CustomersState.load` on URLs the page's controls produce: a search for a name fragment, a region
  filter, a page of the list, in turn.
- /pipeline: `PipelineState.move_to` of a different open deal each time to the next open stage; the handler
  writes the move and its audit row, then re-reads the six column summaries and the first page of each column.

Each runs as the admin (the whole company: every customer and every open deal) and as one sales rep
(their own book). The first few events of each series are a warm-up and are not counted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import insert
from sqlmodel import Session, func, select

from benchmarks.served_app import checkpoint, seed_unless_seeded, served_backend
from benchmarks.browser_tab import BrowserTab
from crm_app.data.db import engine_for
from crm_app.data.models import Customer, Deal, Role, User
from crm_app.domain import OPEN_STAGES, STAGE_PROBABILITY
from crm_app.states.customers import CustomersState
from crm_app.states.pipeline import PipelineState

WARM_UP = 5
LOGINS = {"admin": ("admin@example.com", "demo-admin-2026"), "rep": ("rep1@example.com", "demo-rep1-2026")}


# --- the data -------------------------------------------------------------------------------------


def top_up_open_deals(url: str, open_deals: int, seed: int) -> int:
    """Add open deals on the sales reps' customers until `open_deals` are open; returns how many were added."""
    rng = np.random.default_rng(seed)
    with Session(engine_for(url)) as session:
        missing = open_deals - session.exec(select(func.count()).select_from(Deal)
                                            .where(Deal.stage.in_(OPEN_STAGES))).one()
        owned = session.exec(select(Customer.id, Customer.owner_id).join(User, User.id == Customer.owner_id)
                             .where(User.role == Role.sales_rep)).all()
        if missing <= 0:
            return 0
        picks = rng.integers(0, len(owned), missing)
        stages = rng.integers(0, len(OPEN_STAGES), missing)
        amounts = np.maximum(np.round(rng.lognormal(9, 0.8, missing), -2), 100.0)
        closes = rng.integers(0, 180, missing)
        start = date(2026, 1, 1)
        rows = [{"title": f"Benchmark deal {n}", "customer_id": owned[pick][0], "owner_id": owned[pick][1],
                 "stage": OPEN_STAGES[stage].value, "amount": float(amount),
                 "probability": STAGE_PROBABILITY[OPEN_STAGES[stage]],
                 "expected_close_date": start + timedelta(days=int(close))}
                for n, (pick, stage, amount, close) in enumerate(zip(picks, stages, amounts, closes))]
        session.execute(insert(Deal), rows)
        session.commit()
    return missing


def _sample_inputs(url: str, events: int, seed: int) -> dict[str, Any]:
    """Search fragments, regions and open deals to drive the events with, picked from the data."""
    rng = np.random.default_rng(seed)
    with Session(engine_for(url)) as session:
        names = session.exec(select(Customer.name).order_by(Customer.id).limit(5000)).all()
        regions = session.exec(select(Customer.region).distinct()).all()
        rep_id = session.exec(select(User.id).where(User.email == LOGINS["rep"][0])).one()
        deal_rows = session.exec(select(Deal.id, Deal.owner_id, Deal.stage).where(Deal.stage.in_(OPEN_STAGES))
                                 .order_by(Deal.id)).all()
    fragments = [names[i].split()[-1][:4].lower() for i in rng.integers(0, len(names), events)]
    return {
        "fragments": fragments, "regions": list(regions),
        "admin_deals": [(d, s) for d, _, s in deal_rows][: events + WARM_UP],
        "rep_deals": [(d, s) for d, owner, s in deal_rows if owner == rep_id][: events + WARM_UP],
    }


def _customer_urls(inputs: dict[str, Any], count: int) -> list[str]:
    urls = []
    for n in range(count):
        kind = n % 3
        if kind == 0:
            urls.append(f"/customers?q={inputs['fragments'][n % len(inputs['fragments'])]}")
        elif kind == 1:
            urls.append(f"/customers?region={inputs['regions'][n % len(inputs['regions'])].replace(' ', '+')}")
        else:
            urls.append(f"/customers?page={1 + (n * 37) % 150}")
    return urls


def _next_open_stage(stage: str) -> str:
    names = [s.value for s in OPEN_STAGES]
    return names[(names.index(stage) + 1) % len(names)]


def _figures(samples: list[tuple[float, int]]) -> dict[str, float]:
    counted = samples[WARM_UP:]
    times = sorted(ms for ms, _ in counted)
    return {
        "events": len(counted),
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))], 1),
        "max_ms": round(times[-1], 1),
        "bytes_per_event": round(statistics.mean(size for _, size in counted)),
    }


async def _measure(base_url: str, inputs: dict[str, Any], events: int) -> dict[str, dict[str, float]]:
    results = {}
    for who, (email, password) in LOGINS.items():
        tab = BrowserTab(base_url)
        await tab.open()
        await tab.sign_in(email, password)
        samples = [await tab.send(CustomersState, "load", url) for url in _customer_urls(inputs, events + WARM_UP)]
        results[f"/customers search/filter/page ({who})"] = _figures(samples)
        print(f"measured /customers as {who}", file=sys.stderr, flush=True)
        await tab.send(PipelineState, "load", "/pipeline")
        deals = inputs[f"{who}_deals"]
        samples = [await tab.send(PipelineState, "move_to", "/pipeline", deal_id=str(deal_id),
                                  stage=_next_open_stage(stage)) for deal_id, stage in deals]
        results[f"/pipeline stage move ({who})"] = _figures(samples)
        print(f"measured /pipeline as {who}", file=sys.stderr, flush=True)
        await tab.close()
    return results


def run(database_url: str | None, customers: int, open_deals: int, orders: int, events: int, port: int,
        seed: int = 7) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        url = database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        seed_unless_seeded(url, seed=seed, customers=customers, orders=orders)
        added = top_up_open_deals(url, open_deals, seed)
        checkpoint(url)
        inputs = _sample_inputs(url, events, seed)
        # Its own build and state directories, so a developer's server from this checkout is left alone.
        with served_backend(url, port, Path(tmp) / "server.log", REFLEX_WEB_WORKDIR=str(Path(tmp) / "web"),
                            REFLEX_STATES_WORKDIR=str(Path(tmp) / "states")) as base:
            results = asyncio.run(_measure(base, inputs, events))
        engine_for(url).dispose()
    return {"database": "sqlite" if url.startswith("sqlite") else "postgresql", "customers": customers,
            "open_deals": open_deals, "benchmark_deals_added": added, "results": results}


def _table(figures: dict[str, Any]) -> str:
    lines = [f"database: {figures['database']}, customers: {figures['customers']:,}, "
             f"open deals: {figures['open_deals']:,} ({figures['benchmark_deals_added']:,} added to the seed's)",
             f"{'event':<44}{'events':>8}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'bytes/event':>13}"]
    for name, row in figures["results"].items():
        lines.append(f"{name:<44}{row['events']:>8}{row['p50_ms']:>9}{row['p95_ms']:>9}{row['max_ms']:>9}"
                     f"{row['bytes_per_event']:>13,}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--open-deals", type=int, default=5_000)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=200, help="measured events per series")
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures = run(args.database_url, args.customers, args.open_deals, args.orders, args.events, args.port)
    print(json.dumps(figures) if args.json else _table(figures))


if __name__ == "__main__":
    main()
