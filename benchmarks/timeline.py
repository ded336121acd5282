"""Time per page of a customer's timeline when it holds 10,000 entries (issue 15: p95 under 50 ms).

    python -m benchmarks.timeline [--entries 10000] [--others 50000] [--rounds 3] [--database-url URL] [--json]

Builds a migrated database (SQLite in a temporary directory unless `--database-url` names an empty one, e.g. a
PostgreSQL database) with one sales rep's customer holding `--entries` timeline entries of every source (logged
notes/calls/emails/meetings, tasks created and done, orders, survey answers, field changes, stage moves) and
`--others` logged entries spread over 50 other customers. Then reads the customer's whole timeline page by page
(50 entries a page, keyset) as the rep, `--rounds` times, and once more with the "Calls" filter, and prints the
median and p95 of `timeline_page` per page (the repository's whole work: the ownership check, the merged keys,
the rows of the page, the names).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from alembic import command
from alembic.config import Config
from sqlalchemy import insert
from sqlmodel import Session

from crm_app.data.db import engine_for
from crm_app.data.models import (Activity, AuditLog, Customer, Deal, Feedback, LoggedActivity, Order, Role, User)
from crm_app.data.repositories import timeline
from crm_app.data.repositories.users import actor_of
from crm_app.settings import PROJECT_ROOT

START = datetime(2024, 1, 1, tzinfo=UTC)
# How a customer's entries split over the sources (fractions of --entries); tasks count twice when done.
SHARES = {"logged": 0.60, "tasks": 0.12, "orders": 0.10, "feedback": 0.05, "changes": 0.08, "moves": 0.05}


def migrated(url: str) -> None:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", url)
    config.attributes["configure_logger"] = False
    command.upgrade(config, "head")


def build(url: str, entries: int, others: int, seed: int = 7) -> tuple[int, User]:
    """The rep, their customer with `entries` timeline entries, and `others` entries on other customers."""
    rng = np.random.default_rng(seed)
    engine = engine_for(url)
    with Session(engine) as session:
        rep = User(email="rep@example.com", full_name="Riley Rep", role=Role.sales_rep, password_hash="x")
        session.add(rep)
        session.flush()
        customers = [Customer(name=f"Customer {i}", region="EMEA", segment="SMB", acquisition_channel="event",
                              owner_id=rep.id) for i in range(51)]
        session.add_all(customers)
        session.flush()
        subject = customers[0].id
        deals = [Deal(title=f"Deal {i}", customer_id=subject, owner_id=rep.id, amount=100) for i in range(5)]
        session.add_all(deals)
        session.flush()

        def moments(n: int) -> list[datetime]:
            return [START + timedelta(minutes=int(m)) for m in rng.integers(0, 2 * 365 * 24 * 60, n)]

        count = {source: int(entries * share) for source, share in SHARES.items()}
        kinds = ("note", "call", "email", "meeting")
        session.execute(insert(LoggedActivity), [
            {"kind": kinds[i % 4], "body": f"Entry {i}\nwith two lines", "customer_id": subject, "author_id": rep.id,
             "occurred_at": at, "created_at": at, "updated_at": at}
            for i, at in enumerate(moments(count["logged"]))])
        tasks = count["tasks"] // 3 * 2  # half of them done: 1.5 entries each
        session.execute(insert(Activity), [
            {"kind": "task", "subject": f"Task {i}", "customer_id": subject, "owner_id": rep.id, "due_at": at,
             "done": i % 2 == 0, "done_at": at + timedelta(days=1) if i % 2 == 0 else None, "created_at": at,
             "updated_at": at} for i, at in enumerate(moments(tasks))])
        session.execute(insert(Order), [
            {"customer_id": subject, "status": "paid", "channel": "online", "ordered_at": at, "total_amount": 99.5,
             "created_at": at, "updated_at": at} for at in moments(count["orders"])])
        session.execute(insert(Feedback), [
            {"customer_id": subject, "nps": 8, "csat": 4, "comment": "Fine", "submitted_at": at, "updated_at": at,
             "channel": "web", "status": "new", "consent_contact": False} for at in moments(count["feedback"])])
        session.execute(insert(AuditLog), [
            {"actor_id": rep.id, "entity": "customer", "entity_id": subject, "action": "update", "at": at,
             "old_values": {"phone": "+14155550123"}, "new_values": {"phone": "+442079460958"}}
            for at in moments(count["changes"])])
        session.execute(insert(AuditLog), [
            {"actor_id": rep.id, "entity": "deal", "entity_id": deals[i % 5].id, "action": "stage_move", "at": at,
             "old_values": {"stage": "Lead"}, "new_values": {"stage": "Qualified"}}
            for i, at in enumerate(moments(count["moves"]))])
        others_at = moments(others)
        session.execute(insert(LoggedActivity), [
            {"kind": "note", "body": "Someone else's", "customer_id": customers[1 + i % 50].id, "author_id": rep.id,
             "occurred_at": at, "created_at": at, "updated_at": at} for i, at in enumerate(others_at)])
        session.commit()
        if engine.dialect.name == "postgresql":  # statistics, as autovacuum keeps them on a live database
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("ANALYZE")
        session.refresh(rep)
        return subject, rep


def read_every_page(url: str, actor, customer_id: int, kinds: frozenset[str]) -> tuple[list[float], int]:
    """Milliseconds per page over the whole timeline, and how many entries it held."""
    timings, total, cursor = [], 0, None
    with Session(engine_for(url)) as session:
        while True:
            started = time.perf_counter()
            page = timeline.timeline_page(session=session, actor=actor, customer_id=customer_id, kinds=kinds,
                                          after=cursor)
            timings.append((time.perf_counter() - started) * 1000)
            total += len(page.entries)
            if page.next_cursor is None:
                return timings, total
            cursor = page.next_cursor


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--others", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database-url", help="an empty database to build in (default: SQLite in a temp dir)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        url = args.database_url or f"sqlite:///{Path(workdir) / 'timeline.sqlite3'}"
        migrated(url)
        customer_id, rep = build(url, args.entries, args.others)
        actor = actor_of(rep)
        read_every_page(url, actor, customer_id, frozenset())  # warm-up: caches, prepared plans
        results = {}
        for label, kinds in (("all entries", frozenset()), ("calls only", frozenset({"call"}))):
            timings, total = [], 0
            for _ in range(args.rounds):
                round_timings, total = read_every_page(url, actor, customer_id, kinds)
                timings += round_timings
            results[label] = {"entries": total, "pages": len(timings) // args.rounds,
                              "median_ms": round(statistics.median(timings), 2),
                              "p95_ms": round(float(np.percentile(timings, 95)), 2),
                              "max_ms": round(max(timings), 2)}
        engine_for(url).dispose()
    database = url.split(":", 1)[0]
    if args.json:
        print(json.dumps({"database": database, "results": results}, indent=2))
        return
    print(f"Timeline of one customer ({database}), {args.others:,} entries on 50 other customers, pages of "
          f"{timeline.PAGE_SIZE}, {args.rounds} rounds:")
    for label, figures in results.items():
        print(f"  {label:12} {figures['entries']:6,} entries, {figures['pages']:4} pages: median "
              f"{figures['median_ms']:6.2f} ms, p95 {figures['p95_ms']:6.2f} ms, max {figures['max_ms']:6.2f} ms "
              f"(goal: p95 < 50 ms)")


if __name__ == "__main__":
    main()
