"""Import time of a large orders file: preview, commit and an unchanged re-import, as `crm-app import orders` runs them.

    python -m benchmarks.import_orders [--rows 100000] [--customers 2000] [--seed 7] [--database-url URL] [--json]

Without --database-url it migrates a temporary SQLite file; a PostgreSQL URL must name an empty database. The demo
company is seeded first (its customers carry external_refs C000001...), then a file of `--rows` order rows is generated:
about 2.5 lines per order (rows sharing an external_ref are one order's lines), for the demo customers and products.
Prints the wall-clock and CPU seconds of each step and rows per second of the commit.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import tempfile
import time
from pathlib import Path

import numpy as np
from sqlmodel import select

from benchmarks.served_app import migrate
from crm_app.data.db import engine_for
from crm_app.data.models import Customer, Product
from crm_app.data.repositories import imports
from crm_app.data.seed import seed_demo_company
from crm_app.domain import OrderStatus, SalesChannel
from crm_app.settings import get_settings


def orders_file(*, customer_refs: list[str], skus: list[str], rows: int, seed: int) -> str:
    """`rows` order rows in the import format; each order has 1-4 lines of distinct products."""
    rng = np.random.default_rng(seed)
    lines_per_order = rng.choice([1, 2, 3, 4], size=rows, p=[0.25, 0.25, 0.25, 0.25])
    order_of_row = np.repeat(np.arange(rows), lines_per_order)[:rows]
    line_in_order = np.arange(rows) - np.searchsorted(order_of_row, order_of_row)
    orders = int(order_of_row[-1]) + 1
    customer = rng.integers(0, len(customer_refs), size=orders)
    day = rng.integers(0, 3 * 365, size=orders)
    status = rng.choice([s.value for s in OrderStatus], size=orders)
    channel = rng.choice([c.value for c in SalesChannel], size=orders)
    first_product = rng.integers(0, len(skus), size=orders)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(imports.ORDER_COLUMNS)
    start = np.datetime64("2023-11-01")
    for row in range(rows):
        order = order_of_row[row]
        writer.writerow((
            f"BENCH{order:08d}", customer_refs[customer[order]], str(start + day[order]),
            skus[(first_product[order] + line_in_order[row]) % len(skus)], int(rng.integers(1, 10)),
            f"{rng.uniform(5, 2000):.2f}", rng.choice(["", "0.05", "10%"]), status[order], channel[order],
        ))
    return buffer.getvalue()


def _timed(text: str, *, commit: bool) -> tuple[imports.ImportReport, float, float]:
    """The report, wall-clock seconds and this process's CPU seconds (SQLite works in-process) of one run."""
    from crm_app.data.db import read_session, write_session

    started, cpu_started = time.perf_counter(), time.process_time()
    with (write_session() if commit else read_session()) as session:
        run = imports.import_file if commit else imports.preview_import
        report = run(session=session, actor=None, kind=imports.ImportKind.orders, text=text)
    return report, time.perf_counter() - started, time.process_time() - cpu_started


def run(database_url: str | None, rows: int, customers: int, seed: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        url = database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        migrate(url)
        get_settings().database_url = url  # the sessions below, like the CLI's, open on the configured database
        engine = engine_for(url)
        seed_demo_company(engine=engine, seed=seed, customers=customers, orders=1_000)
        with engine.connect() as connection:
            customer_refs = list(connection.execute(select(Customer.external_ref).order_by(Customer.id)).scalars())
            skus = list(connection.execute(select(Product.sku).order_by(Product.id)).scalars())
        text = orders_file(customer_refs=customer_refs, skus=skus, rows=rows, seed=seed)
        preview, preview_s, preview_cpu = _timed(text, commit=False)
        written, commit_s, commit_cpu = _timed(text, commit=True)
        again, again_s, again_cpu = _timed(text, commit=True)
        engine.dispose()
    assert not preview.problems and again.created == again.updated == 0, "the benchmark file should import cleanly"
    return {
        "database": "sqlite" if url.startswith("sqlite") else "postgresql",
        "rows": rows,
        "orders": written.created,
        "file_mb": round(len(text.encode()) / 1e6, 1),
        "preview_seconds": round(preview_s, 2),
        "commit_seconds": round(commit_s, 2),
        "reimport_seconds": round(again_s, 2),
        "preview_cpu_seconds": round(preview_cpu, 2),
        "commit_cpu_seconds": round(commit_cpu, 2),
        "reimport_cpu_seconds": round(again_cpu, 2),
        "commit_rows_per_second": round(rows / commit_s),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures = run(args.database_url, args.rows, args.customers, args.seed)
    print(json.dumps(figures) if args.json else "\n".join(f"{key:>24}: {value}" for key, value in figures.items()))


if __name__ == "__main__":
    main()
