"""Load on POST /api/feedback: the product against a bare endpoint, the same load on both in one run.

    python -m benchmarks.feedback_api [--seconds 30] [--rounds 3] [--connections 16] [--database-url URL]
                                      [--no-bare] [--port 8300] [--json]

The product is served as in production (`reflex run --env prod`: Granian, one backend worker) on a fresh SQLite
file (or `--database-url`) at `--port`; the bare endpoint (benchmarks/bare_survey.py: Starlette, the product's
pydantic model, one INSERT per request) is served by Granian with one worker on another fresh SQLite file at
`--port` + 1. The load comes from wrk (Debian package `wrk`, a C load generator, so the client takes little of the
machine's two cores) running benchmarks/feedback_api.lua: every request is a new answer. Each server gets
`--seconds` of load, in `--rounds` turns taken alternately, so a machine that others share slows both alike.

Prints, for each, accepted answers per second, latency percentiles, the CPU time its processes spent per answer,
and the rows stored against the 201 answers (every 201 must have its row; requests still in flight when a turn
stops may be stored without their answer being counted); then the product's share of the bare endpoint's rate.
The product's rate limit is raised for the run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import tempfile
import uuid
from contextlib import ExitStack, contextmanager
from pathlib import Path

import sqlalchemy as sa

from benchmarks.served_app import ROOT, app_environment, migrate, served_backend, stop, wait_until_up

SCRIPT = Path(__file__).with_suffix(".lua")


def _stored(url: str, run_id: str) -> int:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        count = connection.execute(
            sa.text("SELECT count(*) FROM feedback WHERE client_submission_id LIKE :ids"), {"ids": f"{run_id}-%"}
        ).scalar_one()
    engine.dispose()
    return count


def _cpu_seconds(session_id: int) -> float:
    """CPU seconds used so far by the processes of a server's session (the server and its workers)."""
    tick, used = os.sysconf("SC_CLK_TCK"), 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == session_id:
            used += (int(fields[11]) + int(fields[12])) / tick
    return used


def _session_serving(port: int) -> int:
    """The id of the session that the server listening on `port` leads (it was started in a session of its own)."""
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            words = cmdline.read_bytes().split(b"\0")
            stat = (cmdline.parent / "stat").read_text()
        except OSError:
            continue
        session = int(stat.rsplit(")", 1)[1].split()[3])
        options = dict(zip(words, words[1:]))
        if session == int(cmdline.parent.name) and str(port).encode() in (options.get(b"--backend-port"),
                                                                          options.get(b"--port")):
            return session
    raise LookupError(f"no server on port {port}")


@contextmanager
def served_bare(database_url: str, port: int, log_path: Path):
    """benchmarks/bare_survey.py under Granian, one worker, on `port`. Yields the base URL."""
    log = log_path.open("w")
    command = [str(ROOT / ".venv/bin/granian"), "--interface", "asgi", "--workers", "1", "--host", "127.0.0.1",
               "--port", str(port), "benchmarks.bare_survey:app"]
    env = app_environment(database_url, CRM_BARE_DATABASE=sa.make_url(database_url).database)
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    try:
        yield wait_until_up(process, f"http://127.0.0.1:{port}", log_path, probe="/api/feedback")
    finally:
        stop(process)
        log.close()


class Target:
    """One server under load: its address, database and session, and what wrk counted over its turns."""

    def __init__(self, base: str, url: str, session_id: int) -> None:
        self.base, self.url, self.session_id = base, url, session_id
        self.run_id = f"wrk-{uuid.uuid4().hex[:8]}"  # this run's submission ids: a reused database holds earlier runs'
        self.turns: list[dict] = []
        self.cpu = 0.0

    def turn(self, seconds: int, connections: int) -> None:
        before = _cpu_seconds(self.session_id)
        output = subprocess.run(
            ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-s", str(SCRIPT), self.base, "--",
             f"{self.run_id}-{len(self.turns)}"],
            check=True, capture_output=True, text=True,
        ).stdout
        self.cpu += _cpu_seconds(self.session_id) - before
        self.turns.append({key: float(value) for key, value in
                           re.findall(r"(\w+)=([\d.]+)", output.split("RESULT", 1)[1])})

    def figures(self, seconds: int) -> dict:
        total = {key: sum(turn[key] for turn in self.turns) for key in ("sent", "created", "other", "errors")}
        created, stored = int(total["created"]), _stored(self.url, self.run_id)
        return {
            "answers_201": created,
            "accepted_per_second": round(created / seconds, 1),
            # Percentiles of the turns' percentiles: the turns are of equal length and alike.
            **{f"{p}_ms": round(max(turn[p] for turn in self.turns), 1) for p in ("p50", "p95", "p99")},
            "cpu_ms_per_answer": round(1000 * self.cpu / max(created, 1), 3),
            "other_statuses": int(total["other"]),
            "socket_errors": int(total["errors"]),
            "rows_stored": stored,
            "in_flight_at_stop": int(total["sent"] - created - total["other"]),
            "every_201_stored": created <= stored <= total["sent"],
        }


def run(database_url: str | None, seconds: int, connections: int, port: int, *, rounds: int = 3,
        bare: bool = True) -> dict:
    turn_seconds = max(1, seconds // rounds)
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as servers:
        url = database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        migrate(url)
        base = servers.enter_context(served_backend(url, port, Path(tmp) / "server.log",
                                                    CRM_FEEDBACK_RATE_LIMIT="1000000/second"))
        targets = {"product": Target(base, url, _session_serving(port))}
        if bare:
            bare_url = f"sqlite:///{Path(tmp) / 'bare.sqlite3'}"
            migrate(bare_url)
            base = servers.enter_context(served_bare(bare_url, port + 1, Path(tmp) / "bare.log"))
            targets["bare"] = Target(base, bare_url, _session_serving(port + 1))
        for _ in range(rounds):
            for target in targets.values():
                target.turn(turn_seconds, connections)
        figures = {"database": "sqlite" if url.startswith("sqlite") else "postgresql",
                   "seconds": turn_seconds * rounds, "rounds": rounds, "connections": connections}
        figures |= {name: target.figures(turn_seconds * rounds) for name, target in targets.items()}
    if bare:
        figures["product_to_bare"] = round(
            figures["product"]["accepted_per_second"] / figures["bare"]["accepted_per_second"], 3)
        figures["cpu_bare_to_product"] = round(
            figures["bare"]["cpu_ms_per_answer"] / figures["product"]["cpu_ms_per_answer"], 3)
    return figures


def _lines(figures: dict, indent: str = "") -> list[str]:
    lines = []
    for key, value in figures.items():
        if isinstance(value, dict):
            lines += [f"{indent}{key}:", *_lines(value, indent + "  ")]
        else:
            lines.append(f"{indent}{key:>22}: {value}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=30, help="load on each server, all turns together")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--port", type=int, default=8300, help="the product's; the bare endpoint's is the next")
    parser.add_argument("--no-bare", action="store_true", help="load the product alone")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures = run(args.database_url, args.seconds, args.connections, args.port, rounds=args.rounds,
                  bare=not args.no_bare)
    print(json.dumps(figures) if args.json else "\n".join(_lines(figures)))


if __name__ == "__main__":
    main()
