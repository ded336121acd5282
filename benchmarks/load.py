"""Load: simulated users of every kind at once, over the websocket and the feedback API, for a fixed time.

    python -m benchmarks.load [--users 1,25,100] [--seconds 60] [--database-url URL --redis-url URL]
                              [--workers N] [--customers 2000] [--orders 20000] [--think-ms 0] [--port 8775] [--json]

Each simulated user is one browser tab driven over the real websocket (benchmarks/browser_tab.py: the events a
browser sends, page navigations included) or, for customers, a client of the public JSON API. Out of every ten
users six are sales reps, two executives and two customers (a single user is a rep):

- a rep, signed in as one of the six demo reps, in turn browses a page of the customer list (35 %), searches it
  for a name (25 %), moves one of their open deals to the next open stage on /pipeline (20 %: the first move
  after other pages opens /pipeline, timed apart), and adds a task to one of their customers (20 %: opening
  /tasks?customer=ID, then saving the form, each timed);
- an executive changes one cockpit filter (region, segment or period): the event and the figures and URL it
  answers with (a page that changes in place), timed as one;
- a customer posts a survey answer to POST /api/feedback (the rate limit is lifted for the run).

Every user works in a closed loop: the next action starts when the last one is answered, after `--think-ms`
(default 0, so the figures show capacity; a think time shows latency at a given load instead). Users sign in
and open their first page before the clock starts; only actions finished within the `--seconds` window count.
An action is an error when it raises, times out (`--timeout`, 30 s), is answered with an error toast or a
redirect to the login page, or (API) with any status but 201.

Configurations: SQLite with one backend worker, always; with `--database-url` (a PostgreSQL server: a scratch
database is created on it and dropped after) and `--redis-url`, PostgreSQL + Redis with `--workers` workers
(default: one per CPU) and, for the scaling ratio, with one worker (`--skip-sqlite` runs only these). Each run
prints where the machine's cores went during its window: the app's processes, PostgreSQL, Redis and this
driver (all on one machine here, so what the others take caps what more workers can add; a driver near 1.00
caps the figures: run it on another machine then).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlmodel import Session, select

from benchmarks.served_app import checkpoint, migrate, served_backend
from benchmarks.browser_tab import BrowserTab
from crm_app.analytics.cockpit import PRESETS
from crm_app.data.backup import create_database_if_missing
from crm_app.data.db import engine_for
from crm_app.data.models import Customer, Deal, User
from crm_app.data.seed import seed_demo_company
from crm_app.domain import OPEN_STAGES, SEGMENTS
from crm_app.states.cockpit import CockpitState
from crm_app.states.pipeline import PipelineState
from crm_app.states.tasks import TasksState

MIX = ("rep", "executive", "customer", "rep", "rep", "rep", "executive", "customer", "rep", "rep")
REPS = tuple(f"rep{n}@example.com" for n in range(1, 7))
PASSWORDS = {**{email: f"demo-{email.split('@')[0]}-2026" for email in REPS}, "exec@example.com": "demo-exec-2026"}
REP_ACTIONS = (("browse", 35), ("search", 25), ("move", 20), ("task", 20))
OPEN_STAGE_NAMES = [stage.value for stage in OPEN_STAGES]
SIGN_IN_AT_ONCE = 8  # password hashing is slow on purpose: sign the users in a few at a time


# --- the data the users work on -------------------------------------------------------------------


@dataclass
class Book:
    """What the run's users work on, read from the database before it starts."""

    customers: dict[str, list[int]]  # rep email -> their customers' ids
    deals: dict[str, list[tuple[int, str]]]  # rep email -> their open deals (id, stage)
    fragments: list[str]  # search terms: the start of customers' surnames
    regions: list[str]


def read_book(url: str) -> Book:
    with Session(engine_for(url)) as session:
        emails = dict(session.exec(select(User.id, User.email)).all())
        customers, deals = defaultdict(list), defaultdict(list)
        for customer_id, owner_id in session.exec(select(Customer.id, Customer.owner_id).order_by(Customer.id)):
            customers[emails.get(owner_id)].append(customer_id)
        for deal_id, owner_id, stage in session.exec(select(Deal.id, Deal.owner_id, Deal.stage)
                                                     .where(Deal.stage.in_(OPEN_STAGES)).order_by(Deal.id)):
            deals[emails.get(owner_id)].append((deal_id, str(stage)))
        names = session.exec(select(Customer.name).order_by(Customer.id).limit(2000)).all()
        regions = sorted(session.exec(select(Customer.region).distinct()).all())
    fragments = sorted({name.split()[-1][:4].lower() for name in names})
    return Book(dict(customers), dict(deals), fragments, regions)


# --- one simulated user ---------------------------------------------------------------------------


@dataclass
class Recorder:
    """Per action: the milliseconds of each success, and the errors; only actions finished in the window count."""

    ends_at: float = float("inf")
    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    examples: dict[str, str] = field(default_factory=dict)

    async def time(self, action: str, step: Callable[[], Awaitable[str | None]], timeout_s: float) -> bool:
        """Run one action; `step` returns an error description or None. Returns whether it succeeded."""
        started = time.perf_counter()
        try:
            problem = await asyncio.wait_for(step(), timeout=timeout_s)
        except TimeoutError:
            problem = f"no answer within {timeout_s:.0f} s"
        except Exception as error:  # noqa: BLE001 (any failure of the action is an error to count)
            problem = f"{type(error).__name__}: {error}"[:200]
        if time.monotonic() <= self.ends_at:
            if problem is None:
                self.times[action].append((time.perf_counter() - started) * 1000)
            else:
                self.errors[action] += 1
                self.examples.setdefault(action, problem)
        return problem is None


def _answer_problem(tab: BrowserTab) -> str | None:
    """An error toast or a trip to the login page among the messages the last action received."""
    if any('["error"]' in str(payload.get("function", "")) for payload in tab.frontend_events("_call_function")):
        return "answered with an error toast"
    if any(path.startswith("/login") for path in tab.redirects()):
        return "sent to the login page"
    return None


class StaffUser:
    def __init__(self, base_url: str, email: str, rng: random.Random, book: Book, deals: list[tuple[int, str]],
                 recorder: Recorder, timeout_s: float) -> None:
        self.tab, self.email, self.rng, self.book = BrowserTab(base_url), email, rng, book
        self.deals = [list(deal) for deal in deals]
        self.recorder, self.timeout_s = recorder, timeout_s
        self.path = "/"
        self.cockpit_path = "/cockpit"

    async def start(self, sign_ins: asyncio.Semaphore) -> None:
        await self.tab.open()
        async with sign_ins:
            await self.tab.sign_in(self.email, PASSWORDS[self.email])
        if self.email == "exec@example.com":
            await self.tab.navigate(self.cockpit_path)
            self.path = self.cockpit_path

    async def _navigate(self, path: str) -> str | None:
        await self.tab.navigate(path)
        self.path = path.split("?")[0]
        return _answer_problem(self.tab)

    async def _send(self, state, handler: str, **payload: Any) -> str | None:
        await self.tab.send(state, handler, self.path, **payload)
        return _answer_problem(self.tab)

    async def _act(self, state, handler: str, **payload: Any) -> str | None:
        _, _, target = await self.tab.act(state, handler, self.path, **payload)
        problem = _answer_problem(self.tab)
        self.path = target
        return problem

    async def rep_action(self) -> None:
        action = self.rng.choices([a for a, _ in REP_ACTIONS], [w for _, w in REP_ACTIONS])[0]
        if (action == "move" and not self.deals) or (action == "task" and not self.book.customers.get(self.email)):
            action = "browse"
        record, timeout_s = self.recorder.time, self.timeout_s
        if action == "browse":
            page = self.rng.randint(1, 5)
            await record("customers: open a page of the list", lambda: self._navigate(f"/customers?page={page}"),
                         timeout_s)
        elif action == "search":
            term = self.rng.choice(self.book.fragments)
            await record("customers: search", lambda: self._navigate(f"/customers?q={term}"), timeout_s)
        elif action == "move":
            if self.path != "/pipeline" and not await record("pipeline: open", lambda: self._navigate("/pipeline"),
                                                             timeout_s):
                return
            deal = self.deals[self.rng.randrange(len(self.deals))]
            stage = OPEN_STAGE_NAMES[(OPEN_STAGE_NAMES.index(deal[1]) + 1) % len(OPEN_STAGE_NAMES)]
            if await record("pipeline: move a deal",
                            lambda: self._send(PipelineState, "move_to", deal_id=str(deal[0]), stage=stage), timeout_s):
                deal[1] = stage
        else:
            customer = self.rng.choice(self.book.customers[self.email])
            if not await record("tasks: open for a customer",
                                lambda: self._navigate(f"/tasks?customer={customer}"), timeout_s):
                return
            form = {"subject": f"Load test follow-up {uuid.uuid4().hex[:8]}", "kind": "call",
                    "due_on": "2026-12-01", "due_time": "10:00", "notes": ""}
            await record("tasks: create", lambda: self._send(TasksState, "create_task", form_data=form), timeout_s)

    async def executive_action(self) -> None:
        name = self.rng.choice(("region", "segment", "period"))
        value = self.rng.choice({"region": [*self.book.regions, "any"], "segment": [*SEGMENTS, "any"],
                                 "period": [p for p in PRESETS if p != "custom"]}[name])
        self.path = self.cockpit_path
        await self.recorder.time("cockpit: change a filter",
                                 lambda: self._act(CockpitState, "set_filter", name=name, value=value), self.timeout_s)
        self.cockpit_path = self.path  # the page's new URL, filters in it

    async def close(self) -> None:
        await self.tab.close()


async def _post_feedback(http: aiohttp.ClientSession, base_url: str, rng: random.Random) -> str | None:
    answer = {"csat": rng.randint(1, 5), "nps": rng.randint(0, 10), "comment": "Quick delivery, friendly support.",
              "submission_id": str(uuid.uuid4())}
    async with http.post(f"{base_url}/api/feedback", json=answer) as response:
        await response.read()
        return None if response.status == 201 else f"HTTP {response.status}"


# --- one run: a number of users for a time --------------------------------------------------------


def _cpu_seconds(port: int) -> dict[str, float]:
    """CPU seconds used so far by the app's processes (server and workers, found by their `--backend-port`),
    PostgreSQL, Redis and this driver: where the machine's cores went during a run."""
    tick, used = os.sysconf("SC_CLK_TCK"), defaultdict(float)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            command = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        seconds = (int(fields[11]) + int(fields[12])) / tick
        if int(stat.parent.name) == os.getpid():
            used["driver"] += seconds
        elif f"--backend-port {port}" in command:
            used["app"] += seconds
        elif command.startswith("postgres"):
            used["postgresql"] += seconds
        elif command.startswith("redis-server"):
            used["redis"] += seconds
    return used


async def _run_users(base_url: str, users: int, seconds: float, book: Book, timeout_s: float, think_ms: float,
                     seed: int) -> tuple[Recorder, dict[str, float]]:
    """(what was recorded, the CPU share (cores) of the app, PostgreSQL, Redis and the driver during the window)."""
    recorder = Recorder()
    roles = ["rep"] if users == 1 else [MIX[n % len(MIX)] for n in range(users)]
    rep_users = [n for n, role in enumerate(roles) if role == "rep"]
    email_of = {n: REPS[position % len(REPS)] for position, n in enumerate(rep_users)}
    staff: dict[int, StaffUser] = {}
    for n, email in email_of.items():
        sharing = [m for m in rep_users if email_of[m] == email]
        deals = book.deals.get(email, [])[sharing.index(n)::len(sharing)]  # no two users move the same deal
        staff[n] = StaffUser(base_url, email, random.Random(seed + n), book, deals, recorder, timeout_s)
    for n, role in enumerate(roles):
        if role == "executive":
            staff[n] = StaffUser(base_url, "exec@example.com", random.Random(seed + n), book, [], recorder, timeout_s)
    sign_ins = asyncio.Semaphore(SIGN_IN_AT_ONCE)
    await asyncio.gather(*(user.start(sign_ins) for user in staff.values()))

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout_s)) as http:
        async def work(n: int) -> None:
            rng = random.Random(seed * 1000 + n)
            while time.monotonic() < recorder.ends_at:
                if roles[n] == "rep":
                    await staff[n].rep_action()
                elif roles[n] == "executive":
                    await staff[n].executive_action()
                else:
                    await recorder.time("feedback: submit (API)", lambda: _post_feedback(http, base_url, rng), timeout_s)
                if think_ms:
                    await asyncio.sleep(rng.expovariate(1 / think_ms) / 1000)

        port = int(base_url.rsplit(":", 1)[1])
        cpu_started = _cpu_seconds(port)
        recorder.ends_at = time.monotonic() + seconds
        await asyncio.gather(*(work(n) for n in range(users)))
        cpu_ended = _cpu_seconds(port)
    await asyncio.gather(*(user.close() for user in staff.values()), return_exceptions=True)
    return recorder, {name: round((cpu_ended[name] - cpu_started[name]) / seconds, 2) for name in cpu_ended}


def _percentile(ordered: list[float], q: float) -> float | None:
    """The q-quantile by linear interpolation between closest ranks."""
    if not ordered:
        return None
    rank = q * (len(ordered) - 1)
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summarize(recorder: Recorder, seconds: float) -> dict[str, Any]:
    actions = {}
    for action in sorted(set(recorder.times) | set(recorder.errors)):
        times = sorted(recorder.times.get(action, []))
        count, errors = len(times), recorder.errors.get(action, 0)
        actions[action] = {
            "count": count + errors, "per_second": round((count + errors) / seconds, 2), "errors": errors,
            **{f"p{int(q * 100)}_ms": None if not times else round(_percentile(times, q), 1)
               for q in (0.50, 0.95, 0.99)},
            **({"first_error": recorder.examples[action]} if action in recorder.examples else {}),
        }
    total = sum(row["count"] for row in actions.values())
    return {"actions": actions, "total": total, "per_second": round(total / seconds, 2),
            "errors": sum(row["errors"] for row in actions.values())}


# --- configurations -------------------------------------------------------------------------------


@dataclass
class Configuration:
    name: str
    database: str  # "sqlite" or a PostgreSQL server URL
    workers: int
    redis_url: str | None = None


def _scratch_postgres(server_url: str) -> str:
    name = f"crm_load_{uuid.uuid4().hex[:10]}"
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    create_database_if_missing(url)
    return url


def _drop_postgres(url: str, server_url: str) -> None:
    engine_for(url).dispose()
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')
    admin.dispose()


def run_configuration(config: Configuration, users: list[int], seconds: float, customers: int, orders: int,
                      port: int, timeout_s: float, think_ms: float, seed: int) -> list[dict[str, Any]]:
    """Every user count on one freshly seeded database and one server."""
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'load.sqlite3'}" if config.database == "sqlite" else _scratch_postgres(
            config.database)
        try:
            migrate(url)
            seed_demo_company(engine=engine_for(url), seed=seed, customers=customers, orders=orders)
            checkpoint(url)
            book = read_book(url)
            extra = {"GRANIAN_WORKERS": str(config.workers), "CRM_FEEDBACK_RATE_LIMIT": "1000000/minute",
                     "REFLEX_WEB_WORKDIR": str(Path(tmp) / "web"), "REFLEX_STATES_WORKDIR": str(Path(tmp) / "states")}
            if config.redis_url:
                extra["CRM_REDIS_URL"] = config.redis_url
            with served_backend(url, port, Path(tmp) / "server.log", **extra) as base:
                for count in users:
                    print(f"{config.name}: {count} users for {seconds:g} s", file=sys.stderr, flush=True)
                    recorder, cpu = asyncio.run(_run_users(base, count, seconds, book, timeout_s, think_ms,
                                                                  seed))
                    results.append({"configuration": config.name, "workers": config.workers, "users": count,
                                    "seconds": seconds, "cpu": cpu,
                                    **summarize(recorder, seconds)})
        finally:
            engine_for(url).dispose()
            if config.database != "sqlite":
                _drop_postgres(url, config.database)
    return results


def scaling(results: list[dict[str, Any]], users: int) -> list[dict[str, Any]]:
    """Throughput at `users` of each multi-worker run over each one-worker run."""
    at = [r for r in results if r["users"] == users]
    return [{"users": users, "several": many["configuration"], "one": one["configuration"],
             "ratio": round(many["per_second"] / one["per_second"], 2) if one["per_second"] else None}
            for many in at if many["workers"] > 1 for one in at if one["workers"] == 1]


def _cell(value: Any) -> str:
    return "-" if value is None else f"{value:,}" if isinstance(value, int) else f"{value:,.1f}"


def table(result: dict[str, Any]) -> str:
    lines = [f"{result['configuration']}, {result['users']} users, {result['seconds']:g} s: "
             f"{result['total']:,} actions ({result['per_second']:,.1f}/s), {result['errors']:,} errors, "
             "CPU (cores): " + ", ".join(f"{name} {share:.2f}" for name, share in result["cpu"].items()),
             f"  {'action':<36}{'count':>8}{'per s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}"]
    for action, row in result["actions"].items():
        lines.append(f"  {action:<36}{row['count']:>8,}{row['per_second']:>9.1f}{_cell(row['p50_ms']):>9}"
                     f"{_cell(row['p95_ms']):>9}{_cell(row['p99_ms']):>9}{row['errors']:>8,}")
        if "first_error" in row:
            lines.append(f"    first error: {row['first_error']}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", default="1,25,100", help="comma-separated numbers of concurrent users")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--database-url", default=None,
                        help="a PostgreSQL server (a scratch database is made on it); with --redis-url")
    parser.add_argument("--redis-url", default=None)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2,
                        help="backend workers on PostgreSQL + Redis (default: one per CPU)")
    parser.add_argument("--customers", type=int, default=2_000)
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--think-ms", type=float, default=0, help="mean pause between a user's actions")
    parser.add_argument("--timeout", type=float, default=30, help="seconds before an action counts as an error")
    parser.add_argument("--port", type=int, default=8775)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skip-sqlite", action="store_true", help="only the PostgreSQL + Redis configurations")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    users = [int(n) for n in args.users.split(",")]
    if bool(args.database_url) != bool(args.redis_url):
        parser.error("--database-url and --redis-url go together (PostgreSQL + Redis)")
    configurations = [] if args.skip_sqlite else [Configuration("sqlite, 1 worker", "sqlite", 1)]
    if args.database_url:
        if not args.database_url.startswith("postgresql"):
            parser.error("--database-url must name a PostgreSQL server")
        if args.workers > 1:
            configurations.append(Configuration("postgresql + redis, 1 worker", args.database_url, 1, args.redis_url))
        configurations.append(Configuration(f"postgresql + redis, {args.workers} workers", args.database_url,
                                            args.workers, args.redis_url))
    results = []
    for config in configurations:
        results += run_configuration(config, users, args.seconds, args.customers, args.orders, args.port,
                                     args.timeout, args.think_ms, args.seed)
    ratios = scaling(results, max(users))
    if args.json:
        print(json.dumps({"runs": results, "scaling": ratios}))
        return
    print("\n\n".join(table(result) for result in results))
    for ratio in ratios:
        print(f"\nthroughput at {ratio['users']} users, {ratio['several']} / {ratio['one']}: {ratio['ratio']}x")


if __name__ == "__main__":
    main()
