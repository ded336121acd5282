"""Latency of GET /api/health, which now also begins a write and rolls it back (db.probe_write).

    python -m benchmarks.health_check [--requests 500] [--database-url URL] [--port 8310] [--json]

Against the served backend (one worker): p50/p95 of sequential health checks on an idle server, then while a
client posts survey answers as fast as it can (the probe waits its turn behind writers on SQLite, and for
PostgreSQL's row-free UPDATE takes no row lock). In-process, the read check (SELECT 1) and the write probe alone.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx
from sqlalchemy import text

from benchmarks.served_app import migrate, served_backend


def _percentiles(samples_ms: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(samples_ms, n=100, method="inclusive")
    return {"p50_ms": round(cuts[49], 2), "p95_ms": round(cuts[94], 2)}


def _health_latencies(base: str, requests: int) -> tuple[list[float], set[int]]:
    samples, statuses = [], set()
    with httpx.Client(base_url=base, timeout=30) as client:
        for _ in range(requests):
            started = time.perf_counter()
            statuses.add(client.get("/api/health").status_code)
            samples.append((time.perf_counter() - started) * 1000)
    return samples, statuses


def _post_answers(base: str, stop: threading.Event, posted: list[int]) -> None:
    run_id = uuid.uuid4().hex[:8]
    with httpx.Client(base_url=base, timeout=30) as client:
        while not stop.is_set():
            answer = {"csat": 4, "nps": 9, "comment": "Benchmark", "submission_id": f"health-{run_id}-{posted[0]:07d}"}
            client.post("/api/feedback", json=answer)
            posted[0] += 1


def _in_process(url: str, repeats: int) -> dict[str, float]:
    """The read check and the write probe alone, without HTTP."""
    from crm_app.data.db import engine_for, probe_write
    from crm_app.settings import get_settings

    get_settings().database_url = url
    reads, probes = [], []
    for _ in range(repeats):
        started = time.perf_counter()
        with engine_for(url).connect() as connection:
            connection.execute(text("SELECT 1"))
        reads.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        probe_write()
        probes.append((time.perf_counter() - started) * 1000)
    engine_for(url).dispose()
    return {"select_1_p50_ms": _percentiles(reads)["p50_ms"], "write_probe_p50_ms": _percentiles(probes)["p50_ms"],
            "write_probe_p95_ms": _percentiles(probes)["p95_ms"]}


def run(database_url: str | None, requests: int, port: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        url = database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        migrate(url)
        figures: dict = {"database": "sqlite" if url.startswith("sqlite") else "postgresql", "requests": requests}
        with served_backend(url, port, Path(tmp) / "server.log", CRM_FEEDBACK_RATE_LIMIT="1000000/second") as base:
            _health_latencies(base, 20)  # warm up
            idle, idle_statuses = _health_latencies(base, requests)
            stop, posted = threading.Event(), [0]
            writer = threading.Thread(target=_post_answers, args=(base, stop, posted))
            writer.start()
            time.sleep(1)
            busy, busy_statuses = _health_latencies(base, requests)
            stop.set()
            writer.join()
        figures |= {f"idle_{key}": value for key, value in _percentiles(idle).items()}
        figures |= {f"under_writes_{key}": value for key, value in _percentiles(busy).items()}
        figures |= {"answers_posted_meanwhile": posted[0], "statuses": sorted(idle_statuses | busy_statuses)}
        figures |= _in_process(url, requests)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--port", type=int, default=8310)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures = run(args.database_url, args.requests, args.port)
    print(json.dumps(figures) if args.json else "\n".join(f"{k:>26}: {v}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
