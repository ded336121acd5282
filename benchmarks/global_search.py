"""Search everything (the header's box): milliseconds per search on a large company (issue 15: p95 under 50 ms).

    python -m benchmarks.global_search [--customers 100000] [--searches 300] [--seed 7] [--database-url URL] [--json]

Loads the demo company (`--customers`, as many orders) into a temporary SQLite file, or into the database at
`--database-url` unless it already holds one (a big database is seeded once and reused). Then runs `--searches`
searches as an admin (the whole company) and the same searches as the sales rep who owns the customer each term was
taken from (their book). The terms are what people type: three to six letters of a customer's name, company or
email, a deal's kind ("renewal"), an order number ("#1234"), part of a colleague's name, and a word nothing holds.
Each figure is `search_everything`'s whole work: the four queries (customers, deals, orders, people) with the
ownership rules, up to 5 rows each. Prints median, p95 and max milliseconds per search, and per kind of term.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from pathlib import Path

from sqlmodel import Session, func, select

from benchmarks.served_app import checkpoint, seed_unless_seeded
from crm_app.data.db import engine_for
from crm_app.data.models import Customer, Deal, Order, Role, User
from crm_app.data.repositories.global_search import search_everything
from crm_app.data.repositories.users import actor_of

TERM_KINDS = ("name", "company", "email", "deal", "order", "person", "nothing")


def _fragment(rng: random.Random, text: str | None) -> str:
    """Three to six letters from inside a word of `text`, as someone remembering part of it types them."""
    words = [word for word in (text or "").replace("@", " ").replace(".", " ").split() if len(word) >= 3]
    if not words:
        return "ann"
    word = rng.choice(words)
    size = rng.randint(3, min(6, len(word)))
    start = rng.randint(0, len(word) - size)
    return word[start:start + size]


def _terms(session: Session, rng: random.Random, searches: int) -> list[tuple[str, str, int]]:
    """(kind of term, term, owner id of the customer it came from) for each search."""
    top = session.exec(select(func.max(Customer.id))).one()
    deal_titles = session.exec(select(Deal.title).limit(200)).all()
    max_order = session.exec(select(func.max(Order.id))).one() or 1
    staff = session.exec(select(User.full_name)).all()
    terms: list[tuple[str, str, int]] = []
    while len(terms) < searches:
        customer = session.get(Customer, rng.randint(1, top))
        if customer is None or customer.owner_id is None:
            continue
        kind = TERM_KINDS[len(terms) % len(TERM_KINDS)]
        term = {
            "name": lambda: _fragment(rng, customer.name),
            "company": lambda: _fragment(rng, customer.company),
            "email": lambda: _fragment(rng, customer.email),
            "deal": lambda: rng.choice(deal_titles).split(": ")[-1].split()[0].lower(),
            "order": lambda: f"#{rng.randint(1, max_order)}",
            "person": lambda: _fragment(rng, rng.choice(staff)),
            "nothing": lambda: "zqxjv",
        }[kind]()
        terms.append((kind, term, customer.owner_id))
    return terms


def _summary(milliseconds: list[float]) -> dict:
    ordered = sorted(milliseconds)
    return {"searches": len(ordered), "median_ms": round(statistics.median(ordered), 2),
            "p95_ms": round(ordered[round(0.95 * (len(ordered) - 1))], 2), "max_ms": round(ordered[-1], 2)}


def _timed(session: Session, actor, term: str) -> float:
    started = time.perf_counter()
    search_everything(session=session, actor=actor, text=term)
    return (time.perf_counter() - started) * 1000


def run(database_url: str | None, customers: int, searches: int, seed: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        url = database_url or f"sqlite:///{Path(tmp) / 'global_search.sqlite3'}"
        started = time.perf_counter()
        seeded = seed_unless_seeded(url, seed=seed, customers=customers, orders=customers)
        seed_seconds = round(time.perf_counter() - started, 1)
        if seeded:
            checkpoint(url)
        engine = engine_for(url)
        rng = random.Random(seed)
        with Session(engine) as session:
            company_size = session.exec(select(func.count()).select_from(Customer)).one()
            deals = session.exec(select(func.count()).select_from(Deal)).one()
            admin = actor_of(session.exec(select(User).where(User.role == Role.admin)).first())
            terms = _terms(session, rng, searches)
            reps = {owner: actor_of(session.get(User, owner)) for _, _, owner in terms}
            for _, term, _ in terms[:20]:  # warm-up: page cache, prepared plans
                _timed(session, admin, term)
            timings: dict[str, dict[str, list[float]]] = {"admin": {}, "sales_rep": {}}
            for kind, term, owner in terms:
                timings["admin"].setdefault(kind, []).append(_timed(session, admin, term))
                timings["sales_rep"].setdefault(kind, []).append(_timed(session, reps[owner], term))
        engine.dispose()
    return {
        "database": url.split(":", 1)[0].split("+")[0],
        "customers": company_size,
        "deals": deals,
        "seeded_in_s": seed_seconds if seeded else "reused",
        **{role: _summary([ms for series in by_kind.values() for ms in series])
                 | {"p95_ms_by_term": {kind: _summary(series)["p95_ms"] for kind, series in by_kind.items()}}
           for role, by_kind in timings.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--searches", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures = run(args.database_url, args.customers, args.searches, args.seed)
    print(json.dumps(figures) if args.json else json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
