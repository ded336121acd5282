"""Load time of the demo company: `crm-app seed` at scale into a freshly migrated database.

    python -m benchmarks.seed [--orders 1000000] [--customers 100000] [--seed 7] [--database-url URL] [--json]

Without --database-url it migrates a temporary SQLite file; a PostgreSQL URL must name an empty database.
Prints the rows loaded per table, the seconds spent generating (numpy/pandas, on a thread alongside the load) and
in all (generating and loading: Arrow columns through the ADBC driver on SQLite, executemany on PostgreSQL),
and rows per second of the whole run.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from benchmarks.served_app import migrate
from crm_app.data.db import engine_for
from crm_app.data.seed import seed_demo_company


def run(database_url: str | None, orders: int, customers: int, seed: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        url = database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        migrate(url)
        engine = engine_for(url)
        summary = seed_demo_company(engine=engine, seed=seed, customers=customers, orders=orders)
        engine.dispose()
    return {
        "database": "sqlite" if url.startswith("sqlite") else "postgresql",
        "rows": summary.rows,
        "total_rows": summary.total_rows,
        "generate_seconds": round(summary.generate_seconds, 2),
        "seconds": round(summary.seconds, 2),
        "rows_per_second": round(summary.total_rows / summary.seconds),
    }


def _table(figures: dict) -> str:
    lines = [f"{'database':>18}: {figures['database']}"]
    lines += [f"{table:>18}: {count:>10,}" for table, count in figures["rows"].items()]
    lines += [f"{key:>18}: {value:>10,}" for key, value in figures.items() if key not in ("database", "rows")]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures = run(args.database_url, args.orders, args.customers, args.seed)
    print(json.dumps(figures) if args.json else _table(figures))


if __name__ == "__main__":
    main()
