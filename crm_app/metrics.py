"""The app measures itself: latency, errors and usage of every event handler and API route, cheaply.

Each process keeps an in-memory aggregate per minute × kind ("event" or "api") × name × module × role:
a count, the errors, the summed milliseconds and a latency histogram with fixed buckets
(BUCKET_BOUNDS_MS). Recording one call is a dictionary lookup and four additions under a lock; nothing
touches the database on the request path. `flush_forever` (a lifespan task) writes the aggregates to
`metric_sample` every FLUSH_SECONDS; the cockpit's performance and usage panels sum them per period
(crm_app/data/repositories/metrics.py).

Events are timed by wrapping Reflex's `BaseStateEventProcessor._execute_event` (the hook Reflex 0.10
documents for subclasses; app middleware only has a preprocess step), from the moment the state lock is
requested to the last delta sent. The role is the signed-in user's, read from AuthState after the handler
ran (the staff_event guard sets it from the database on each event). API calls are timed by a plain ASGI
middleware on the FastAPI app. An error is an event handler that raised or an API answer with a 5xx status.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from bisect import bisect_left
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

logger = logging.getLogger(__name__)

# Upper bounds of the latency buckets in milliseconds; a last bucket holds everything slower.
BUCKET_BOUNDS_MS = (5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000)
BUCKETS = len(BUCKET_BOUNDS_MS) + 1
FLUSH_SECONDS = 15
# Service level objectives the cockpit's performance panel measures against.
SLO_EVENT_P95_MS = 250
SLO_API_P95_MS = 100
SLO_AVAILABILITY = 0.999

# The module each state belongs to, for the usage panel (the state class name, lower case, contains the key).
MODULES = (
    ("cockpit", "cockpit"), ("insights", "insights"), ("import", "import"), ("pipeline", "pipeline"),
    ("deal", "pipeline"), ("order", "orders"), ("task", "tasks"), ("inbox", "feedback"),
    ("feedback", "feedback"), ("customer", "customers"), ("home", "home"), ("adminusers", "admin"),
    ("auth", "sign-in"), ("privacy", "sign-in"),
)


def module_of(state_name: str) -> str:
    """The CRM module a state class (e.g. "CustomersState") belongs to; "other" when none matches."""
    lowered = state_name.lower()
    return next((module for key, module in MODULES if key in lowered), "other")


def bucket_of(milliseconds: float) -> int:
    """The histogram bucket of a latency: the first whose upper bound is at least it."""
    return bisect_left(BUCKET_BOUNDS_MS, milliseconds)


def percentile(buckets: list[int], q: float) -> float | None:
    """The q-quantile (0 < q ≤ 1) of a bucket histogram in milliseconds, interpolated linearly inside its
    bucket (the first bucket starts at 0); a quantile in the overflow bucket reads as its lower bound."""
    total = sum(buckets)
    if total == 0:
        return None
    rank, seen = q * total, 0
    for index, count in enumerate(buckets):
        if count and seen + count >= rank:
            if index == len(BUCKET_BOUNDS_MS):
                return float(BUCKET_BOUNDS_MS[-1])
            lower = 0.0 if index == 0 else float(BUCKET_BOUNDS_MS[index - 1])
            return lower + (BUCKET_BOUNDS_MS[index] - lower) * (rank - seen) / count
        seen += count
    return float(BUCKET_BOUNDS_MS[-1])


@dataclass
class Sample:
    """One minute of one name (see the module docstring)."""

    minute: datetime
    kind: str
    name: str
    module: str
    role: str
    count: int = 0
    errors: int = 0
    total_ms: float = 0.0
    buckets: list[int] = field(default_factory=lambda: [0] * BUCKETS)


class Recorder:
    """The per-process aggregate; thread-safe (API calls, events and the flush may run on other threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: dict[tuple, Sample] = {}

    def record(self, kind: str, name: str, seconds: float, failed: bool, *, module: str, role: str,
               now: float | None = None) -> None:
        minute = int((time.time() if now is None else now) // 60)
        milliseconds = seconds * 1000
        key = (minute, kind, name, module, role)
        with self._lock:
            sample = self._open.get(key)
            if sample is None:
                sample = self._open[key] = Sample(datetime.fromtimestamp(minute * 60, UTC), kind, name, module, role)
            sample.count += 1
            sample.errors += bool(failed)
            sample.total_ms += milliseconds
            sample.buckets[bucket_of(milliseconds)] += 1

    def drain(self) -> list[Sample]:
        """Everything recorded since the last drain (the aggregate starts empty again)."""
        with self._lock:
            samples, self._open = list(self._open.values()), {}
        return samples


recorder = Recorder()


def flush(engine: Any = None) -> int:
    """Write what the recorder holds to metric_sample; the number of rows written."""
    from crm_app.data.db import get_engine
    from crm_app.data.repositories.metrics import record_samples
    from sqlmodel import Session

    samples = recorder.drain()
    if samples:
        with Session(engine or get_engine()) as session:
            record_samples(session=session, samples=samples)
            session.commit()
    return len(samples)


async def flush_forever() -> None:
    """Lifespan task: flush every FLUSH_SECONDS, and once more on shutdown."""
    try:
        while True:
            await asyncio.sleep(FLUSH_SECONDS)
            try:
                await asyncio.to_thread(flush)
            except Exception:  # metrics must never take the app down; the next flush tries again
                logger.exception("Metric samples could not be written")
    finally:
        try:
            flush()
        except Exception:
            logger.exception("Metric samples could not be written on shutdown")


# --- events -------------------------------------------------------------------------------


@dataclass
class _EventSeen:
    auth: Any = None


_event: ContextVar[_EventSeen | None] = ContextVar("metrics_event", default=None)


def _role(seen: _EventSeen) -> str:
    role = getattr(seen.auth, "user_role", "") if seen.auth is not None else ""
    return role if isinstance(role, str) and role else "anonymous"


def time_events() -> None:
    """Time every Reflex event handler (once per process)."""
    from reflex_base.event.processor import BaseStateEventProcessor

    original = BaseStateEventProcessor._execute_event
    if getattr(original, "times_events", False):
        return

    async def timed(self: Any, *, entry: Any, registered_handler: Any) -> None:
        if registered_handler.handler.is_background:  # long waits by design, not a user's latency
            await original(self, entry=entry, registered_handler=registered_handler)
            return
        started, failed, seen = time.perf_counter(), True, _EventSeen()
        reset = _event.set(seen)
        try:
            await original(self, entry=entry, registered_handler=registered_handler)
            failed = False
        finally:
            _event.reset(reset)
            name = getattr(registered_handler.handler.fn, "__qualname__", "unknown")[:120]
            recorder.record("event", name, time.perf_counter() - started, failed,
                            module=module_of(name.split(".")[0]), role=_role(seen))

    timed.times_events = True  # type: ignore[attr-defined]
    BaseStateEventProcessor._execute_event = timed


class NoteTheUser:
    """Reflex middleware that lets the event timer find the tab's AuthState (it only looks, never answers)."""

    async def preprocess(self, app: Any, state: Any, event: Any) -> None:
        seen = _event.get()
        if seen is not None:
            from crm_app.states.auth import AuthState

            seen.auth = state.substates.get(AuthState.get_name())
        return None

    async def postprocess(self, app: Any, state: Any, event: Any, update: Any) -> Any:
        return update


# --- API ----------------------------------------------------------------------------------


class TimeRequests:
    """ASGI middleware timing each HTTP request of the API: a clock read and a dictionary update."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.paths: set[str] | None = None

    def _name(self, scope: dict) -> str:
        if self.paths is None:  # the routes, so unknown paths cannot grow the aggregate without bound
            routes = getattr(scope.get("app"), "routes", [])
            self.paths = {getattr(route, "path", "") for route in routes}
        path = scope.get("path", "")
        return f"{scope.get('method', '')} {path}"[:120] if path in self.paths else "other"

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), 500

        async def sending(message: dict) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            recorder.record("api", self._name(scope), time.perf_counter() - started, status >= 500,
                            module="api", role="public")
