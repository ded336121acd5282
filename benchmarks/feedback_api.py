"""Load on POST /api/feedback: concurrent clients for a fixed time against one backend worker.

    python -m benchmarks.feedback_api [--seconds 30] [--connections 32] [--database-url URL] [--json]

The load comes from wrk (Debian package `wrk`, a C load generator, so the client takes little of the
machine's two cores) running benchmarks/feedback_api.lua: every request is a new answer. Prints accepted
answers per second, latency percentiles, and the rows stored against the 201 answers: every 201 must have its
row; requests still in flight when wrk stops may be stored without their answer being counted.
The rate limit is raised for the run.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import tempfile
import uuid
from pathlib import Path

import sqlalchemy as sa

from benchmarks.served_app import migrate, served_backend

SCRIPT = Path(__file__).with_suffix(".lua")


def _stored(url: str, run_id: str) -> int:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        count = connection.execute(
            sa.text("SELECT count(*) FROM feedback WHERE client_submission_id LIKE :ids"), {"ids": f"{run_id}-%"}
        ).scalar_one()
    engine.dispose()
    return count


def run(database_url: str | None, seconds: int, connections: int, port: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        url = database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        migrate(url)
        run_id = f"wrk-{uuid.uuid4().hex[:8]}"  # this run's submission ids: a reused database holds earlier runs'
        with served_backend(url, port, Path(tmp) / "server.log", CRM_FEEDBACK_RATE_LIMIT="1000000/second") as base:
            output = subprocess.run(
                ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-s", str(SCRIPT), base, "--", run_id],
                check=True, capture_output=True, text=True,
            ).stdout
        stored = _stored(url, run_id)
    result = dict(re.findall(r"(\w+)=([\d.]+)", output.split("RESULT", 1)[1]))
    sent, created = int(result["sent"]), int(result["created"])
    return {
        "database": "sqlite" if url.startswith("sqlite") else "postgresql",
        "seconds": seconds,
        "connections": connections,
        "answers_201": created,
        "accepted_per_second": round(created / seconds, 1),
        "p50_ms": float(result["p50"]),
        "p95_ms": float(result["p95"]),
        "p99_ms": float(result["p99"]),
        "other_statuses": int(result["other"]),
        "socket_errors": int(result["errors"]),
        "rows_stored": stored,
        "in_flight_at_stop": sent - created - int(result["other"]),
        "every_201_stored": created <= stored <= sent,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--port", type=int, default=8300)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures = run(args.database_url, args.seconds, args.connections, args.port)
    print(json.dumps(figures) if args.json else "\n".join(f"{k:>20}: {v}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
