"""The app measures itself: latency, errors and usage of every event handler and API route, cheaply.

Each process keeps an in-memory aggregate per minute × kind ("event" or "api") × name × module × role:
a count, the errors, the summed milliseconds and a latency histogram with fixed buckets
(BUCKET_BOUNDS_MS). Recording one call is a dictionary lookup and four additions under a lock; nothing
touches the database on the request path. `flush_forever` (a lifespan task) writes the aggregates to
`metric_sample` every FLUSH_SECONDS; the cockpit's performance and usage panels sum them per period
(crm_app/data/repositories/metrics.py).

Events are timed through Reflex's public instrumentation hook (`reflex_base.otel.enable` with a meter provider
whose event-duration histogram is this recorder), from the moment the state lock is requested to the last delta
sent. The role is the signed-in user's, read from AuthState after the handler
ran (the staff_event guard sets it from the database on each event). API calls are timed by a plain ASGI
middleware on the FastAPI app. An error is an event handler that raised or an API answer with a 5xx status.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Mapping
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from opentelemetry import metrics as otel_metrics
from opentelemetry import trace as otel_trace
from reflex_base import otel
from sqlmodel import Session
from starlette.routing import Route

from crm_app.analytics.latency import Sample, bucket_of
from crm_app.data.db import get_engine
from crm_app.data.repositories.metrics import record_samples

logger = logging.getLogger(__name__)

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
    ("adminwebhooks", "admin"),
    ("auth", "sign-in"), ("privacy", "sign-in"),
)


def module_of(state_name: str) -> str:
    """The CRM module a state class (e.g. "CustomersState") belongs to; "other" when none matches."""
    lowered = state_name.lower()
    return next((module for key, module in MODULES if key in lowered), "other")


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


# The tab's AuthState, noted by NoteTheUser as the event starts (each event runs in its own task and context).
_event_auth: ContextVar[Any] = ContextVar("metrics_event_auth", default=None)


def _role() -> str:
    auth = _event_auth.get()
    role = getattr(auth, "user_role", "") if auth is not None else ""
    return role if isinstance(role, str) and role else "anonymous"


def _handler_name(event_name: str) -> str:
    """'reflex___state____state.crm_app___states___cockpit____cockpit_state.load' as 'CockpitState.load'."""
    state_path, _, handler = event_name.rpartition(".")
    state = _STATE_NAMES.get(state_path)
    if state is None:
        import reflex as rx

        try:
            state = rx.State.get_class_substate(state_path).__name__
        except ValueError:  # not a state of this app: keep the aggregate bounded
            return "unknown"
        _STATE_NAMES[state_path] = state
    return f"{state}.{handler}"[:120]


_STATE_NAMES: dict[str, str] = {}


class EventDuration(otel_metrics.NoOpHistogram):
    """Reflex's `reflex.event.duration` histogram, recorded into the app's own aggregate: Reflex measures each
    event from the moment its state lock is requested to the last delta sent, and marks a handler that raised
    with an error type."""

    def record(self, amount: float, attributes: Mapping[str, Any] | None = None, context: Any = None) -> None:
        attributes = attributes or {}
        if attributes.get(otel.ATTR_EVENT_BACKGROUND):  # long waits by design, not a user's latency
            return
        name = _handler_name(str(attributes.get(otel.ATTR_EVENT_NAME, "")))
        recorder.record("event", name, amount, otel.ATTR_ERROR_TYPE in attributes,
                        module=module_of(name.split(".")[0]), role=_role())


class _EventMeter(otel_metrics.NoOpMeter):
    def create_histogram(self, name: str, *args: Any, **kwargs: Any) -> otel_metrics.Histogram:
        if name == otel.METRIC_EVENT_DURATION:
            return EventDuration(name)
        return super().create_histogram(name, *args, **kwargs)


class _EventMeterProvider(otel_metrics.NoOpMeterProvider):
    def get_meter(self, name: str, *args: Any, **kwargs: Any) -> otel_metrics.Meter:
        return _EventMeter(name)


def time_events() -> None:
    """Time every Reflex event handler through Reflex's public instrumentation hook (reflex_base.otel): its
    event-duration histogram is ours, its spans go to a no-op tracer. Once per process; a second call (or an
    OpenTelemetry exporter installed first) leaves the hook as it is."""
    otel.enable(tracer_provider=otel_trace.NoOpTracerProvider(), meter_provider=_EventMeterProvider())


class NoteTheUser:
    """Reflex middleware that lets the event timer find the tab's AuthState (it only looks, never answers)."""

    async def preprocess(self, app: Any, state: Any, event: Any) -> None:
        from crm_app.states.auth import AuthState

        _event_auth.set(state.substates.get(AuthState.get_name()))
        return None

    async def postprocess(self, app: Any, state: Any, event: Any, update: Any) -> Any:
        return update


# --- API ----------------------------------------------------------------------------------


# Set in the ASGI scope by crm_app/request_guards.py when it refused a request body that was too slow or too
# large: the client's fault, so the answer is not a server error whatever the app did after.
BODY_REFUSED = "crm_app.body_refused"


def route_name(scope: dict) -> str:
    """The method and route template a request matched ("POST /api/feedback", "GET /api/items/{id}"); "other"
    for paths no route names (mounted apps, unknown paths), so a client cannot grow the aggregate."""
    route = scope.get("route")
    template = getattr(route, "path", "") if isinstance(route, Route) else ""
    return f"{scope.get('method', '')} {template}"[:120] if template else "other"


class TimeRequests:
    """ASGI middleware timing each HTTP request of the API: a clock read and a dictionary update."""

    def __init__(self, app: Any) -> None:
        self.app = app

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
            failed = status >= 500 and not scope.get(BODY_REFUSED)
            recorder.record("api", route_name(scope), time.perf_counter() - started, failed,
                            module="api", role="public")
