"""A worker that starts: time to its first cockpit answer, and the memory each extra worker adds, with the
company-wide snapshot in the machine's shared column files (crm_app/data/shared_columns.py).

    flock /tmp/bench.lock python -m benchmarks.worker_start [--database-url sqlite:////tmp/bench1m.db]
                                  [--orders 1000000] [--customers 100000] [--workers 4] [--starts 3] [--private]

Seeds the demo company (up to today) into `--database-url` unless it has users (default: a new temporary SQLite
file). Each worker is a new Python process doing what a backend worker does for its first /cockpit open: import
the app (`crm_app.crm_app`, Reflex and every page), get the company's snapshot for an executive
(`snapshot.cockpit_facts`) and evaluate the default view (last 90 days, the targets, the reps) as CockpitState
does. Times are from starting the process (fork and exec included) to that answer:

- `cold_start_s`: the first worker, no column file yet: reads the database, prepares the columns, writes the file;
- `warm_start_s`: median of `--starts` workers started one after another once the file is there (maps it);
  `warm_import_s` the part of it spent importing the app, `warm_snapshot_s` opening and evaluating;
- `respawn_s`: a worker killed with SIGKILL while holding the snapshot, started again;
- `snapshot_pss_mb_per_worker`: `--workers` workers at once, each holding the snapshot: the mean of what the
  snapshot and the first answer added to each one's PSS (Proportional Set Size, /proc/PID/smaps_rollup: a page
  shared by n processes counts 1/n in each), from after the imports to after the answer; `worker_pss_mb`
  the mean PSS of a worker holding it; `columns_mb` the size of the column files;
- with `--private`, `private_snapshot_pss_mb`: the same for one worker with CRM_COCKPIT_SHARED_COLUMNS=0 (each
  worker reads the database into its own memory, as before the shared columns), and `private_start_s`.

The Reflex server's own start (Granian, the state manager, compiling the pages' routes) is not included; its
first /cockpit open also polls for the snapshot every 0.5 s (CockpitState.reload_when_ready).

Measured (2026-12-06) on the 2-core machine shared with other sessions, 1,000,000 orders / 100,000 customers,
`flock /tmp/bench.lock .venv/bin/python -m benchmarks.worker_start --database-url URL [--private]`, once the app
stopped importing scikit-learn, SciPy, statsmodels and the demo generator at start (imported where a model is fitted):

    SQLite, load average 0.4-0.7: cold_start_s 13.9, warm_start_s 2.02 (warm_import_s 1.92, warm_snapshot_s 0.09),
      respawn_s 1.96; 4 workers: snapshot_pss_mb_per_worker 25.2 (worker_pss_mb 232.5, columns_mb 109.9);
      private_start_s 13.3, private_snapshot_pss_mb 379.5
    main before the change, run right after it on the same database, load average 0.5-1.0: warm 2.79 (import 2.70),
      respawn 2.83, worker_pss_mb 303.5
    PostgreSQL, load average 0.0-0.5: cold 14.9, warm 1.98 (import 1.74, snapshot 0.25; 2.49 at load average
      0.8-1.2), respawn 2.14; 28.7 MB per worker
    earlier, at load average 3-6 and with the heavy imports: SQLite warm 3.36-12.2, PostgreSQL 5.89

So a worker that starts has the company's cockpit 0.1-0.25 s after its imports (without the shared columns: the
whole database read, 13-25 s), and the snapshot adds about 25 MB to each of 4 workers instead of 330-380 MB.
Importing the app (Reflex, SQLAlchemy, pandas, every page) is nearly all of a start: 1.7-1.9 s on a quiet machine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.served_app import app_environment, seed_unless_seeded

ROOT = Path(__file__).resolve().parent.parent
EXECUTIVE = "exec@example.com"

WORKER = """
import json, sys, time
def say(**figures):
    print(json.dumps(figures), flush=True)

import crm_app.crm_app  # the whole app, as a backend worker imports it
from datetime import UTC, datetime
from sqlmodel import Session, select
from crm_app.analytics import cockpit as evaluation
from crm_app.data import snapshot
from crm_app.data.db import engine_for
from crm_app.data.models import Role, User
from crm_app.data.permissions import Actor
from crm_app.data.repositories import targets
from crm_app.data.repositories.users import staff_directory
from crm_app.settings import get_settings

say(imported=time.time())
sys.stdin.readline()  # the parent has read the PSS of a worker with nothing loaded
with Session(engine_for(get_settings().database_url)) as session:
    user = session.exec(select(User).where(User.email == sys.argv[1])).one()
    actor = Actor(user.id, user.email, user.full_name, user.role)
    facts = snapshot.cockpit_facts(session=session, actor=actor)
    today = datetime.now(UTC).date()
    start, end = evaluation.period_for("last_90_days", today, None, None)
    filters = evaluation.CockpitFilters(start=start, end=end)
    goals = targets.targets_between(session=session, actor=actor, start=start, end=end)
    directory = staff_directory(session=session, actor=actor)
view = evaluation.evaluate(facts, filters, goals, reps=tuple(uid for uid, _, role in directory
                                                             if role == Role.sales_rep),
                           rep_names={uid: name for uid, name, _ in directory})
say(answered=time.time(), orders=int(facts.orders["ns"].size), cards=len(view.cards))
sys.stdin.readline()  # hold the snapshot until the parent has measured
"""


def _pss_kb(pid: int) -> dict[str, int]:
    """Pss and Rss of a process in kB, from /proc/PID/smaps_rollup."""
    figures = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("Rss", "Pss"):
            figures[name] = int(value.split()[0])
    return figures


class Worker:
    def __init__(self, env: dict[str, str]) -> None:
        self.started = time.time()
        self.process = subprocess.Popen([sys.executable, "-c", WORKER, EXECUTIVE], cwd=ROOT, env=env, text=True,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def _next(self) -> dict:
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the worker ended with {self.process.wait()}")
        return json.loads(line)

    def imported(self) -> float:
        return self._next()["imported"] - self.started

    def go(self) -> None:
        self.process.stdin.write("go\n")
        self.process.stdin.flush()

    def answered(self) -> float:
        return self._next()["answered"] - self.started

    def pss_kb(self) -> int:
        return _pss_kb(self.process.pid)["Pss"]

    def stop(self, *, kill: bool = False) -> None:
        if kill:
            os.kill(self.process.pid, signal.SIGKILL)
        else:
            self.go()
        self.process.wait(timeout=60)


def _one_start(env: dict[str, str]) -> tuple[float, float, float]:
    """(seconds to the first answer, of which importing, PSS kB the snapshot and answer added)."""
    worker = Worker(env)
    imported = worker.imported()
    before = worker.pss_kb()
    worker.go()
    answered = worker.answered()
    added = worker.pss_kb() - before
    worker.stop()
    return answered, imported, added


def _columns_mb(columns: Path) -> float:
    """The size of the column files (older snapshots are deleted as newer ones are written)."""
    return sum(path.stat().st_size for path in columns.rglob("*.arrow")) / 2**20


def run(url: str, workers: int, starts: int, private: bool) -> dict[str, object]:
    columns = tempfile.mkdtemp(prefix="worker-start-columns-")  # its own: the first start is always cold
    try:
        figures = _measure(app_environment(url, CRM_COCKPIT_COLUMNS_DIR=columns), workers, starts, private)
        return {**figures, "columns_mb": round(_columns_mb(Path(columns)), 1)}
    finally:
        shutil.rmtree(columns, ignore_errors=True)


def _measure(env: dict[str, str], workers: int, starts: int, private: bool) -> dict[str, object]:
    figures: dict[str, object] = {}
    cold, _, _ = _one_start(env)
    figures["cold_start_s"] = round(cold, 2)
    warm = [_one_start(env) for _ in range(starts)]
    figures["warm_start_s"] = round(statistics.median(w[0] for w in warm), 2)
    figures["warm_import_s"] = round(statistics.median(w[1] for w in warm), 2)
    figures["warm_snapshot_s"] = round(statistics.median(w[0] - w[1] for w in warm), 2)

    killed = Worker(env)
    killed.imported()
    killed.go()
    killed.answered()
    killed.stop(kill=True)
    figures["respawn_s"] = round(_one_start(env)[0], 2)

    pool = [Worker(env) for _ in range(workers)]
    for worker in pool:
        worker.imported()
    before = [worker.pss_kb() for worker in pool]
    for worker in pool:  # one after another: each opens the file the others have mapped
        worker.go()
        worker.answered()
    after = [worker.pss_kb() for worker in pool]
    for worker in pool:
        worker.stop()
    figures["workers"] = workers
    figures["snapshot_pss_mb_per_worker"] = round(statistics.mean(a - b for a, b in zip(after, before)) / 1024, 1)
    figures["worker_pss_mb"] = round(statistics.mean(after) / 1024, 1)

    if private:
        answered, _, added = _one_start({**env, "CRM_COCKPIT_SHARED_COLUMNS": "0"})
        figures["private_start_s"] = round(answered, 2)
        figures["private_snapshot_pss_mb"] = round(added / 1024, 1)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--database-url", default=None, help="default: a new temporary SQLite file")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--starts", type=int, default=3, help="warm starts, one after another")
    parser.add_argument("--private", action="store_true", help="also one worker without the shared columns")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp(prefix='worker-start-')}/crm.sqlite3"
    seed_unless_seeded(url, customers=args.customers, orders=args.orders, as_of=datetime.now(UTC).date())
    figures = run(url, args.workers, args.starts, args.private)
    print(json.dumps(figures) if args.json else "\n".join(f"{k:>28}: {v}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
