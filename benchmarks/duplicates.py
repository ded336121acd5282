"""Duplicate check on save: `duplicate_candidates` over a large customer table.

    python -m benchmarks.duplicates [--customers 100000] [--checks 200] [--seed 7] [--database-url URL] [--json]

Loads the demo company (`--customers`, 10 orders each at most) into a temporary SQLite file or the empty,
migrated database at --database-url, then checks `--checks` existing customers (as an admin, who sees the
whole table, and as their sales rep) the way the customer form does before saving. Prints milliseconds per
check (median, 95th percentile, max) and how many checks found the customer by its (misspelt) name and company.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from pathlib import Path

from sqlmodel import Session, select

from benchmarks.served_app import migrate
from crm_app.data.db import engine_for
from crm_app.data.models import Customer, CustomerCreate, Role, User
from crm_app.data.repositories.customers import duplicate_candidates
from crm_app.data.repositories.users import actor_of
from crm_app.data.seed import seed_demo_company


def _details(customer: Customer) -> CustomerCreate:
    """The customer as the form would send it again, with a typo in the name so the fuzzy path works too."""
    return CustomerCreate.model_construct(name=customer.name[:-1] + "x", company=customer.company,
                                          email=customer.email, phone=customer.phone)


def _timed(session: Session, actor, customers: list[Customer]) -> tuple[list[float], int]:
    seconds, found = [], 0
    for customer in customers:
        started = time.perf_counter()
        candidates = duplicate_candidates(session=session, actor=actor, details=_details(customer),
                                          exclude_id=None)
        seconds.append(time.perf_counter() - started)
        found += any(c.id == customer.id and any("similar" in r for r in c.reasons) for c in candidates)
    return seconds, found


def _summary(seconds: list[float]) -> dict:
    ordered = sorted(seconds)
    return {"median_ms": round(statistics.median(ordered) * 1000, 2),
            "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))] * 1000, 2),
            "max_ms": round(ordered[-1] * 1000, 2)}


def run(database_url: str | None, customers: int, checks: int, seed: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        url = database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        migrate(url)
        engine = engine_for(url)
        seed_demo_company(engine=engine, seed=seed, customers=customers, orders=customers)
        with Session(engine) as session:
            admin = session.exec(select(User).where(User.role == Role.admin)).first()
            ids = session.exec(select(Customer.id).where(Customer.owner_id.is_not(None))).all()
            sample = [session.get(Customer, i) for i in random.Random(seed).sample(ids, min(checks, len(ids)))]
            admin_seconds, admin_found = _timed(session, actor_of(admin), sample)
            rep_seconds, rep_found = [], 0
            for customer in sample:
                rep = actor_of(session.get(User, customer.owner_id))
                seconds, found = _timed(session, rep, [customer])
                rep_seconds += seconds
                rep_found += found
        engine.dispose()
    return {
        "database": "sqlite" if url.startswith("sqlite") else "postgresql",
        "customers": customers,
        "checks": len(sample),
        "admin": _summary(admin_seconds) | {"found_by_name": admin_found},
        "sales_rep": _summary(rep_seconds) | {"found_by_name": rep_found},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--checks", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures = run(args.database_url, args.customers, args.checks, args.seed)
    print(json.dumps(figures) if args.json else json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
