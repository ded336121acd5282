"""The metrics recorder: bucket histograms, interpolated percentiles, the per-minute aggregate."""

from datetime import UTC, datetime

from crm_app import metrics
from crm_app.analytics.latency import BUCKETS, bucket_of, percentile
from crm_app.metrics import Recorder, module_of


def histogram(**counts: int) -> list[int]:
    buckets = [0] * BUCKETS
    for name, count in counts.items():
        buckets[int(name[1:])] = count
    return buckets


def test_a_latency_falls_in_the_first_bucket_whose_bound_holds_it():
    assert [bucket_of(ms) for ms in (0.2, 5, 5.01, 99, 100, 250.5, 10_000, 10_001)] == [0, 0, 1, 4, 4, 6, 10, 11]


def test_percentiles_interpolate_inside_the_bucket():
    ten_between_50_and_100 = histogram(b4=10)
    assert percentile(ten_between_50_and_100, 0.5) == 75.0  # 50 + 50 × 5/10
    assert percentile(ten_between_50_and_100, 0.95) == 97.5  # 50 + 50 × 9.5/10

    two_fast_two_slow = histogram(b0=2, b5=2)  # (0, 5] ms twice, (100, 250] ms twice
    assert percentile(two_fast_two_slow, 0.5) == 5.0
    assert percentile(two_fast_two_slow, 0.75) == 175.0  # 100 + 150 × 1/2
    assert percentile(two_fast_two_slow, 0.99) == 247.0  # 100 + 150 × 1.96/2


def test_percentiles_of_nothing_and_of_the_overflow_bucket():
    assert percentile([0] * BUCKETS, 0.5) is None
    assert percentile(histogram(b11=3), 0.5) == 10_000.0


def test_the_recorder_sums_each_minute_name_and_role_and_empties_on_drain():
    recorder = Recorder()
    recorder.record("event", "CockpitState.load", 0.003, False, module="cockpit", role="executive", now=120.5)
    recorder.record("event", "CockpitState.load", 0.030, True, module="cockpit", role="executive", now=179.9)
    recorder.record("event", "CockpitState.load", 0.300, False, module="cockpit", role="executive", now=180.0)
    recorder.record("api", "POST /api/feedback", 0.004, False, module="api", role="public", now=150)

    samples = sorted(recorder.drain(), key=lambda s: (s.minute, s.kind))

    assert [(s.minute, s.kind, s.count, s.errors, round(s.total_ms, 6)) for s in samples] == [
        (datetime(1970, 1, 1, 0, 2, tzinfo=UTC), "api", 1, 0, 4.0),
        (datetime(1970, 1, 1, 0, 2, tzinfo=UTC), "event", 2, 1, 33.0),
        (datetime(1970, 1, 1, 0, 3, tzinfo=UTC), "event", 1, 0, 300.0),
    ]
    assert samples[1].buckets == histogram(b0=1, b3=1)
    assert samples[2].buckets == histogram(b6=1)
    assert recorder.drain() == []


def test_each_state_belongs_to_a_module():
    assert [module_of(n) for n in ("CockpitState", "CustomersState", "CustomerFormState", "PipelineState",
                                   "OrderFormState", "TasksState", "InboxState", "InsightsState",
                                   "ImportState", "AuthState", "SomethingElse")] == [
        "cockpit", "customers", "customers", "pipeline", "orders", "tasks", "feedback", "insights", "import",
        "sign-in", "other"]


def test_events_are_timed_through_reflex_public_instrumentation_hook(monkeypatch):
    """Reflex's own trace point (reflex_base.otel.event_span, which wraps every event it processes) feeds the
    recorder; nothing of Reflex's event processor is replaced."""
    from types import SimpleNamespace

    from reflex_base import otel
    from reflex_base.event.processor import BaseStateEventProcessor
    from reflex_base.event.processor.event_processor import EventProcessor

    from crm_app import metrics
    from crm_app.states.cockpit import CockpitState

    metrics.time_events()
    metrics.time_events()  # once per process: a second call changes nothing
    assert otel.enabled
    assert BaseStateEventProcessor._execute_event.__module__ == "reflex_base.event.processor.base_state_processor"
    assert EventProcessor._process_event_queue_entry.__module__ == "reflex_base.event.processor.event_processor"

    recorder = metrics.Recorder()
    monkeypatch.setattr(metrics, "recorder", recorder)
    ctx = SimpleNamespace(txid="t1", token="tab", otel_context=None, parent_txid=None)

    def run(event_name: str, *, background: bool = False, fails: bool = False) -> None:
        handler = SimpleNamespace(handler=SimpleNamespace(is_background=background, fn=CockpitState.load))
        try:
            with otel.event_span(SimpleNamespace(name=event_name), ctx, handler):
                if fails:
                    raise RuntimeError("handler failed")
        except RuntimeError:
            pass

    load = f"{CockpitState.get_full_name()}.load"
    run(load)
    run(load, fails=True)
    run(f"{CockpitState.get_full_name()}.reload_when_ready", background=True)  # long waits by design: not timed
    run("reflex___state____state.not_a_state.load")
    samples = sorted(recorder.drain(), key=lambda s: s.name)
    assert [(s.kind, s.name, s.module, s.role, s.count, s.errors) for s in samples] == [
        ("event", "CockpitState.load", "cockpit", "anonymous", 2, 1),
        ("event", "unknown", "other", "anonymous", 1, 0),
    ]


def test_the_metrics_repository_does_not_import_the_recorder():
    """crm_app/metrics.py writes through the repository; the repository reads the histogram from
    crm_app/analytics/latency.py, so the two no longer import each other."""
    import subprocess
    import sys

    probe = ("import sys, crm_app.data.repositories.metrics; "
             "print('crm_app.metrics' in sys.modules, 'crm_app.analytics.latency' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "True"]


def test_api_calls_are_recorded_under_their_route_template():
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    api = FastAPI()
    api.add_middleware(metrics.TimeRequests)

    @api.get("/api/customers/{customer_id}")
    def customer(customer_id: int) -> dict:
        return {"id": customer_id}

    metrics.recorder.drain()
    client = TestClient(api)
    client.get("/api/customers/7")
    client.get("/api/customers/8")
    client.get("/elsewhere")
    recorded = {sample.name: sample.count for sample in metrics.recorder.drain()}
    assert recorded == {"GET /api/customers/{customer_id}": 2, "other": 1}
