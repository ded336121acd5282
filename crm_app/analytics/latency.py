"""Latency histograms of the app's own measurements: fixed buckets, interpolated percentiles, one minute's sample.

Pure: the recorder (crm_app/metrics.py) fills samples, the repository (crm_app/data/repositories/metrics.py)
stores and sums them; both import this module, neither imports the other's.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import datetime

# Upper bounds of the latency buckets in milliseconds; a last bucket holds everything slower.
BUCKET_BOUNDS_MS = (5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000)
BUCKETS = len(BUCKET_BOUNDS_MS) + 1


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
    """One minute of one kind ("event" or "api") × name × module × role: calls, errors, summed ms, histogram."""

    minute: datetime
    kind: str
    name: str
    module: str
    role: str
    count: int = 0
    errors: int = 0
    total_ms: float = 0.0
    buckets: list[int] = field(default_factory=lambda: [0] * BUCKETS)
