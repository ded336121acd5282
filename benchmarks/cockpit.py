"""Speed of the cockpit over its websocket: time and bytes per filter change, against a naive re-read of the database.

    python -m benchmarks.cockpit [--orders 1000000] [--customers 100000] [--changes 50] [--baseline-changes 50]
                                 [--database-url URL] [--port 8766] [--cold-open] [--json]

Seeds the demo company (up to today) into a temporary SQLite file, or into `--database-url` when that database
has no users yet (an already seeded one is used as it is). Serves the real app (`reflex run --env prod`, one
worker) and drives /cockpit as an executive's browser tab does (benchmarks/browser_tab.py): a filter control sends
`CockpitState.set_filter` (or `set_dates`), and the server recomputes the page in that event and answers with the
changed cards and charts and the new URL for the browser's history (the filters live in the URL). Per change:

- `p50_ms`, `p95_ms`: from sending the control's event to receiving its update, on loopback: the server's whole
  work (guards, the snapshot check, every card and the charts whose data changed, the system panels, the deltas
  and their serialization) plus the round trip;
- `bytes_p50`, `bytes_p95`: the JSON the server sent for the change (deltas, the URL, toasts).
- `by_customer_p50_ms`, `by_order_p50_ms` (and how many changes each): the p50 of the views sliced only by what
  belongs to the customer (region, segment, rep: read from the order cube) and of those with a channel or a
  category (read from the orders themselves), see analytics.cockpit.filters.by_customer.

The changes are a random walk over the page's controls (period, dates, comparison, region, segment, category,
channel, rep; values from the page's own menus), after a few uncounted warm-up changes. The baseline is the
naive design: for the same filters, re-read the orders from the database and aggregate them with pandas
(`sales_kpis` and a monthly group-by), in this process, after the server has finished; `speedup` is its median
over `p50_ms`. `snapshot_load_s` is the first open of /cockpit on a fresh server (until the figures replace
"loading"); `change_after_write_ms` the first change after another process wrote an order (merged into the
snapshot on the way). With `--cold-open` the server also builds and serves the pages (a few minutes), and
`cold_open_ms` is the median of 3 opens of /cockpit in a new Chromium context (empty cache, signed in) until
every Plotly chart has drawn its data.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from sqlalchemy import text
from sqlmodel import Session

from benchmarks.served_app import seed_unless_seeded, served_backend
from benchmarks.browser_tab import BrowserTab
from crm_app import routes
from crm_app.analytics import cockpit as evaluation
from crm_app.analytics.cockpit.filters import by_customer
from crm_app.analytics.kpis import sales_kpis
from crm_app.data.db import engine_for
from crm_app.data.facts import ORDERS_SQL, read_frame
from crm_app.states.cockpit import ANY, SLICERS, CockpitState

EXECUTIVE = ("exec@example.com", "demo-exec-2026")
WARM_UP = 3
COLD_OPENS = 3
SNAPSHOT_TIMEOUT_S = 900  # the first snapshot of a million orders takes about a minute on a quiet machine
ALL_CHARTS_DRAWN = """() => {
  const cards = [...document.querySelectorAll('[data-testid^="chart-"]')];
  return cards.length > 0 && cards.every(card => {
    const plot = card.querySelector('.js-plotly-plot');
    return plot && plot.data && plot.data.length > 0 && plot.querySelector('.main-svg');
  });
}"""


# --- the data -------------------------------------------------------------------------------------


def _sizes(url: str) -> dict[str, int]:
    with engine_for(url).connect() as connection:
        return {table: int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
                for table in ("sales_order", "customer", "deal", "feedback")}


def _write_one_order(url: str) -> None:
    """One paid order with one line, as another worker would write it."""
    with engine_for(url).begin() as connection:
        customer = connection.execute(text("SELECT min(id) FROM customer")).scalar_one()
        product = connection.execute(text("SELECT min(id) FROM product")).scalar_one()
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
        order = connection.execute(text(
            "INSERT INTO sales_order (customer_id, status, channel, ordered_at, total_amount, created_at, updated_at) "
            "VALUES (:c, 'paid', 'online', :t, 99.5, :t, :t) RETURNING id"), {"c": customer, "t": stamp}).scalar_one()
        connection.execute(text("INSERT INTO order_line (order_id, product_id, quantity, unit_price, discount) "
                                "VALUES (:o, :p, 1, 99.5, 0)"), {"o": order, "p": product})


# --- the filter changes ---------------------------------------------------------------------------


def _params(path: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(path).query))


def _next_change(rng: random.Random, path: str, menus: dict[str, list[str]], today: date) -> tuple[str, dict]:
    """One control a user changes on the page at `path`: (handler, payload). A set slicer is cleared half the
    time, so the walk does not pile filters up into empty views."""
    params = _params(path)
    control = rng.choice(["period", "dates", "compare", *SLICERS, "rep"])
    if control == "dates":
        first = today - timedelta(days=rng.randrange(7, 720))
        last = min(first + timedelta(days=rng.randrange(7, 120)), today)
        return "set_dates", {"form_data": {"from": first.isoformat(), "to": last.isoformat()}}
    defaults = {"period": "last_90_days", "compare": "previous_period"}
    current = params.get(control, defaults.get(control, ANY))
    if current != ANY and control not in defaults and rng.random() < 0.5:
        return "set_filter", {"name": control, "value": ANY}
    options = [value for value in menus[control] if value != current]
    return "set_filter", {"name": control, "value": rng.choice(options)}


def _filters_of(path: str, today: date) -> evaluation.CockpitFilters:
    """The filters a cockpit URL asks for (the page checks them against its menus; these came from them)."""
    params = _params(path)
    day = {key: date.fromisoformat(params[key]) if key in params else None for key in ("from", "to")}
    start, end = evaluation.period_for(params.get("period", "last_90_days"), today, day["from"], day["to"])
    return evaluation.CockpitFilters(start=start, end=end, compare=params.get("compare", "previous_period"),
                                     owner_id=int(params["rep"]) if "rep" in params else None,
                                     **{name: params.get(name) for name in SLICERS})


def _cockpit_values(tab: BrowserTab) -> dict[str, Any]:
    """CockpitState's vars as the messages since the tab's last action set them."""
    values: dict[str, Any] = {}
    for message in tab.messages:
        values.update(message.get("delta", {}).get(CockpitState.get_full_name(), {}))
    return {key.removesuffix("_rx_state_"): value for key, value in values.items()}


async def _drive(base_url: str, url: str, changes: int, seed: int) -> dict[str, Any]:
    tab = BrowserTab(base_url)
    await tab.open()
    await tab.sign_in(*EXECUTIVE)
    started = time.perf_counter()
    await tab.navigate(routes.COCKPIT)
    await tab.wait_for(lambda: _cockpit_values(tab).get("loading") is False, timeout_s=SNAPSHOT_TIMEOUT_S)
    snapshot_load_s = time.perf_counter() - started
    shown = _cockpit_values(tab)
    menus = {**shown["choices"], "rep": [ANY, *(rep["id"] for rep in shown["reps"])],
             "period": [p for p in evaluation.PRESETS if p != "custom"], "compare": list(evaluation.COMPARISONS)}
    menus.update({name: [ANY, *menus[name]] for name in SLICERS})
    rng, today, path = random.Random(seed), datetime.now(UTC).date(), routes.COCKPIT
    samples = []
    for n in range(WARM_UP + changes):
        handler, payload = _next_change(rng, path, menus, today)
        elapsed, size, path = await tab.act(CockpitState, handler, path, **payload)
        if n >= WARM_UP:
            samples.append((elapsed, size, path))
        print(f"change {n + 1 - WARM_UP}/{changes}: {elapsed:.0f} ms, {size:,} bytes, {path}", file=sys.stderr,
              flush=True)
    _write_one_order(url)
    after_write_ms, _, _ = await tab.act(CockpitState, "set_filter", path, name="compare",
                                         value="last_year" if "compare=last_year" not in path else "previous_period")
    await tab.close()
    return {"samples": samples, "snapshot_load_s": snapshot_load_s, "after_write_ms": after_write_ms,
            "today": today}


def _baseline(url: str, filters: evaluation.CockpitFilters) -> None:
    """The naive design: every change re-reads the orders and aggregates them with pandas."""
    with Session(engine_for(url)) as session:
        orders = read_frame(session.connection(), ORDERS_SQL)
    for name in ("region", "segment", "channel", "owner_id"):
        if getattr(filters, name) is not None:
            orders = orders.loc[orders[name] == getattr(filters, name)]
    sales_kpis(orders, filters.start, filters.end)
    orders.groupby(orders["ordered_at"].dt.strftime("%Y-%m"))["total_amount"].sum()


# --- Chromium -------------------------------------------------------------------------------------


def _cold_opens(app_url: str) -> list[float]:
    """Milliseconds from opening /cockpit in a new context (empty cache, signed in) until every chart has drawn."""
    from playwright.sync_api import sync_playwright

    from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, SOCKET_PROBE

    times = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        signing_in = browser.new_context()
        signing_in.add_init_script(SOCKET_PROBE)
        page = signing_in.new_page()
        page.goto(f"{app_url}/login")
        page.wait_for_function("() => window.__e2eSocketConnected === true", timeout=60_000)
        page.locator("#login-email").fill(EXECUTIVE[0])
        page.locator("#login-password").fill(EXECUTIVE[1])
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_function("() => document.querySelector('[data-testid=signed-in-user]')?.textContent.trim()")
        cookies = signing_in.cookies()
        signing_in.close()
        for _ in range(COLD_OPENS):
            context = browser.new_context()
            context.add_cookies(cookies)
            page = context.new_page()
            started = time.perf_counter()
            page.goto(f"{app_url}{routes.COCKPIT}")
            page.wait_for_function(ALL_CHARTS_DRAWN, timeout=120_000)
            times.append((time.perf_counter() - started) * 1000)
            context.close()
        browser.close()
    return times


# --- the run --------------------------------------------------------------------------------------


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def run(database_url: str | None, orders: int, customers: int, changes: int, baseline_changes: int, port: int,
        cold_open: bool, seed: int = 7) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        url = database_url or f"sqlite:///{Path(tmp) / 'cockpit.sqlite3'}"
        seeded = seed_unless_seeded(url, customers=customers, orders=orders, as_of=datetime.now(UTC).date())
        sizes = _sizes(url)
        origins = f"http://localhost:{port},http://127.0.0.1:{port}"
        # Its own build and state directories, so a developer's server from this checkout is left alone.
        with served_backend(url, port, Path(tmp) / "server.log", frontend=cold_open, CRM_ALLOWED_ORIGINS=origins,
                            REFLEX_WEB_WORKDIR=str(Path(tmp) / "web"),
                            REFLEX_STATES_WORKDIR=str(Path(tmp) / "states")) as base:
            driven = asyncio.run(_drive(base, url, changes, seed))
            cold = _cold_opens(f"http://localhost:{port}") if cold_open else []
        baseline = []
        for _, _, path in driven["samples"][:baseline_changes]:
            started = time.perf_counter()
            _baseline(url, _filters_of(path, driven["today"]))
            baseline.append((time.perf_counter() - started) * 1000)
        engine_for(url).dispose()
    times = [ms for ms, _, _ in driven["samples"]]
    sent = [size for _, size, _ in driven["samples"]]
    p50, base_p50 = statistics.median(times), statistics.median(baseline)
    kinds = {kind: [ms for ms, _, path in driven["samples"]
                    if by_customer(_filters_of(path, driven["today"])) == (kind == "by_customer")]
             for kind in ("by_customer", "by_order")}
    return {
        "p50_ms": round(p50, 1), "p95_ms": round(_percentile(times, 0.95), 1),
        **{f"{kind}_p50_ms": round(statistics.median(kept), 1) if kept else None for kind, kept in kinds.items()},
        **{f"{kind}_changes": len(kept) for kind, kept in kinds.items()},
        "bytes_p50": int(statistics.median(sent)), "baseline_p50_ms": round(base_p50, 1),
        "speedup": round(base_p50 / p50, 1),
        "bytes_p95": int(_percentile(sent, 0.95)), "max_ms": round(max(times), 1),
        "cold_open_ms": round(statistics.median(cold)) if cold else None,
        "snapshot_load_s": round(driven["snapshot_load_s"], 1),
        "change_after_write_ms": round(driven["after_write_ms"], 1),
        "changes": len(times), "baseline_changes": len(baseline),
        "database": "sqlite" if url.startswith("sqlite") else "postgresql", "seeded": seeded,
        "orders": sizes["sales_order"], "customers": sizes["customer"], "deals": sizes["deal"],
        "feedback": sizes["feedback"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--changes", type=int, default=50)
    parser.add_argument("--baseline-changes", type=int, default=50, help="how many of the changes the baseline repeats")
    parser.add_argument("--database-url", default=None, help="default: a new temporary SQLite file")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--cold-open", action="store_true", help="also build the pages and open /cockpit in Chromium")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures = run(args.database_url, args.orders, args.customers, args.changes, args.baseline_changes, args.port,
                  args.cold_open)
    print(json.dumps(figures) if args.json else "\n".join(f"{k:>22}: {v}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
