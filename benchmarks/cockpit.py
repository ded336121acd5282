"""Speed of the cockpit: server time and bytes per filter change, against a naive re-read of the database.

    python -m benchmarks.cockpit [--orders 1000000] [--customers 100000] [--changes 50] [--baseline-changes 5]
                                 [--database-url URL] [--json]

Without --database-url it seeds a temporary SQLite file. Each change draws a random period, comparison and
slicers, and times what the cockpit's `load` event does after the guard: the snapshot check (one SELECT),
`evaluate`, the gap suggestions and the Plotly figures; bytes are the JSON of the cards and figures the
event sends. The baseline re-reads the orders from the database and aggregates them with pandas
(`sales_kpis` and a monthly group-by) for each change. Then one order (with a line) is written and the
snapshot refresh the next change pays is timed (`append_one_order_ms`: the incremental merge, no full
reload). Not measured here: the websocket round trip.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

import plotly.io as pio
from sqlalchemy import text
from sqlmodel import Session

from benchmarks._server import migrate
from crm_app.analytics import charts
from crm_app.analytics import cockpit as evaluation
from crm_app.analytics.kpis import sales_kpis
from crm_app.data.db import engine_for
from crm_app.data.facts import ORDERS_SQL, read_frame
from crm_app.data.models import Role
from crm_app.data.permissions import Actor
from crm_app.data.repositories import targets
from crm_app.data.seed import seed_demo_company
from crm_app.data.snapshot import cockpit_facts, current_facts

ADMIN = Actor(id=1, email="admin@example.com", full_name="Admin", role=Role.admin)


def _random_filters(rng: random.Random, facts: evaluation.CockpitFacts, today: date) -> evaluation.CockpitFilters:
    start, end = evaluation.period_for(rng.choice([p for p in evaluation.PRESETS if p != "custom"]), today)
    slicers = {name: rng.choice([None, *facts.labels[name]]) if rng.random() < 0.4 else None
               for name in ("region", "segment", "category", "channel")}
    return evaluation.CockpitFilters(start=start, end=end, compare=rng.choice(list(evaluation.COMPARISONS)), **slicers)


def _figures(view: evaluation.CockpitView) -> list:
    return [charts.revenue_trend_figure(view.monthly), charts.orders_aov_figure(view.monthly),
            charts.customers_figure(view.monthly), charts.cohort_figure(view.cohorts),
            charts.bar_figure(view.revenue_by_region, "r"), charts.bar_figure(view.revenue_by_segment, "s"),
            charts.bar_figure(view.revenue_by_category, "c"), charts.funnel_figure(view.pipeline),
            charts.bar_figure(view.win_rates["rate"], "w"), charts.satisfaction_figure(view.satisfaction),
            charts.campaigns_figure(view.campaigns)]


def _change(engine, filters: evaluation.CockpitFilters) -> int:
    with Session(engine) as session:
        facts = cockpit_facts(session=session, actor=ADMIN)
        goals = targets.targets_between(session=session, actor=ADMIN, start=filters.start, end=filters.end)
    view = evaluation.evaluate(facts, filters, goals)
    evaluation.gap_suggestions(facts, view)
    cards = [(c.definition.key, c.actual.value, c.target, c.sparkline) for c in view.cards]
    return len(json.dumps(cards, default=str)) + sum(len(pio.to_json(f, validate=False)) for f in _figures(view))


def _baseline(engine, filters: evaluation.CockpitFilters) -> None:
    with Session(engine) as session:
        orders = read_frame(session.connection(), ORDERS_SQL)
    for name in ("region", "segment", "channel"):
        if getattr(filters, name):
            orders = orders.loc[orders[name] == getattr(filters, name)]
    sales_kpis(orders, filters.start, filters.end)
    orders.groupby(orders["ordered_at"].dt.strftime("%Y-%m"))["total_amount"].sum()


def _append_one_order(engine, as_of) -> tuple[float, bool]:
    """Write one paid order with one line, as another worker would; the time the next event's snapshot
    refresh takes, and whether it came back current without a full reload."""
    with engine.begin() as connection:
        customer = connection.execute(text("SELECT min(id) FROM customer")).scalar_one()
        product = connection.execute(text("SELECT min(id) FROM product")).scalar_one()
        stamp = as_of.strftime("%Y-%m-%d %H:%M:%S")
        order = connection.execute(text(
            "INSERT INTO sales_order (customer_id, status, channel, ordered_at, total_amount, created_at, updated_at) "
            "VALUES (:c, 'paid', 'online', :t, 99.5, :t, :t) RETURNING id"), {"c": customer, "t": stamp}).scalar_one()
        connection.execute(text("INSERT INTO order_line (order_id, product_id, quantity, unit_price, discount) "
                                "VALUES (:o, :p, 1, 99.5, 0)"), {"o": order, "p": product})
    started = time.perf_counter()
    with Session(engine) as session:
        _, freshness = current_facts(session=session, actor=ADMIN)
    return (time.perf_counter() - started) * 1000, not freshness.refreshing


def _percentile(values: list[float], share: float) -> float:
    return sorted(values)[min(len(values) - 1, int(share * len(values)))]


def run(database_url: str | None, orders: int, customers: int, changes: int, baseline_changes: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        url = database_url or f"sqlite:///{Path(tmp) / 'cockpit.sqlite3'}"
        if database_url is None:
            migrate(url)
            seed_demo_company(engine=engine_for(url), customers=customers, orders=orders)
        engine = engine_for(url)
        started = time.perf_counter()
        with Session(engine) as session:
            facts = cockpit_facts(session=session, actor=ADMIN)
        cold_s = time.perf_counter() - started
        rng, today = random.Random(7), facts.as_of.date()
        draws = [_random_filters(rng, facts, today) for _ in range(changes)]
        times, sizes = [], []
        for filters in draws:
            started = time.perf_counter()
            sizes.append(_change(engine, filters))
            times.append((time.perf_counter() - started) * 1000)
        baseline = []
        for filters in draws[:baseline_changes]:
            started = time.perf_counter()
            _baseline(engine, filters)
            baseline.append((time.perf_counter() - started) * 1000)
        append_ms, current = _append_one_order(engine, facts.as_of)
        engine.dispose()
    p50, base = statistics.median(times), statistics.median(baseline)
    return {"database": url.split(":")[0], "revenue_orders": int(len(facts.orders["ns"])), "changes": changes,
            "snapshot_load_s": round(cold_s, 1), "p50_ms": round(p50, 1), "p95_ms": round(_percentile(times, 0.95), 1),
            "bytes_p50": int(statistics.median(sizes)), "baseline_p50_ms": round(base, 1),
            "speedup": round(base / p50, 1), "append_one_order_ms": round(append_ms, 1),
            "append_current_without_reload": current}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--changes", type=int, default=50)
    parser.add_argument("--baseline-changes", type=int, default=5)
    parser.add_argument("--database-url", default=None, help="default: a new temporary SQLite file")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures = run(args.database_url, args.orders, args.customers, args.changes, args.baseline_changes)
    print(json.dumps(figures) if args.json else "\n".join(f"{k:>16}: {v}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
