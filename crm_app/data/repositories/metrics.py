"""The app's own measurements: metric samples written by crm_app/metrics.py, read by the cockpit's panels.

Samples are the system's, not a business record: they are written without an actor and without an audit
row. Reading them is for executives and admins. Sums run in SQL (one GROUP BY), so a period of months
costs one query, not a row per request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import func
from sqlmodel import Session, select

from crm_app.data.models import MetricSample
from crm_app.data.permissions import COMPANY_READERS, Actor, require_role
from crm_app.analytics.latency import BUCKETS, Sample, percentile

BUCKET_COLUMNS = [getattr(MetricSample, f"b{i}") for i in range(BUCKETS)]


def record_samples(*, session: Session, samples: list[Sample]) -> None:
    """Add the recorder's samples (the caller commits)."""
    session.add_all([
        MetricSample(minute=s.minute, kind=s.kind, name=s.name[:120], module=s.module[:30], role=s.role[:20],
                     count=s.count, errors=s.errors, total_ms=s.total_ms,
                     **{f"b{i}": n for i, n in enumerate(s.buckets)})
        for s in samples
    ])


@dataclass(frozen=True)
class Latency:
    """One kind ("event" or "api") or one name over a period."""

    kind: str
    name: str
    count: int
    errors: int
    buckets: list[int]

    @property
    def error_rate(self) -> float | None:
        return self.errors / self.count if self.count else None

    @property
    def availability(self) -> float | None:
        """The share of calls answered without a server error."""
        return 1 - self.errors / self.count if self.count else None

    def percentile(self, q: float) -> float | None:
        return percentile(self.buckets, q)


def _between(start: date, end: date):
    return (MetricSample.minute >= datetime.combine(start, time(), UTC),
            MetricSample.minute < datetime.combine(end, time(), UTC))


def latency_between(*, session: Session, actor: Actor, start: date, end: date) -> list[Latency]:
    """Per kind and name, the calls in [start, end): count, errors and the summed histogram, busiest first."""
    require_role(actor, *COMPANY_READERS)
    rows = session.exec(
        select(MetricSample.kind, MetricSample.name, func.sum(MetricSample.count), func.sum(MetricSample.errors),
               *[func.sum(column) for column in BUCKET_COLUMNS])
        .where(*_between(start, end))
        .group_by(MetricSample.kind, MetricSample.name)
    ).all()
    figures = [Latency(kind, name, int(count), int(errors), [int(n) for n in buckets])
               for kind, name, count, errors, *buckets in rows]
    return sorted(figures, key=lambda f: (-f.count, f.kind, f.name))


def totals(figures: list[Latency], kind: str) -> Latency:
    """All names of one kind together."""
    chosen = [f for f in figures if f.kind == kind]
    return Latency(kind, "all", sum(f.count for f in chosen), sum(f.errors for f in chosen),
                   [sum(f.buckets[i] for f in chosen) for i in range(BUCKETS)])


def usage_between(*, session: Session, actor: Actor, start: date, end: date) -> dict[tuple[str, str], int]:
    """Events handled in [start, end) per (module, role)."""
    require_role(actor, *COMPANY_READERS)
    rows = session.exec(
        select(MetricSample.module, MetricSample.role, func.sum(MetricSample.count))
        .where(MetricSample.kind == "event", *_between(start, end))
        .group_by(MetricSample.module, MetricSample.role)
    ).all()
    return {(module, role): int(count) for module, role, count in rows}
