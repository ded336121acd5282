"""The segment map: customers on a plane by principal component analysis of the features their KMeans clusters
were fitted on (analytics.rfm.rfm_features), so that customers close on the map have similar recency, frequency
and spend, and a selection on it is a meaningful audience."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from crm_app.analytics.errors import TooLittleData
from crm_app.analytics.rfm import rfm_features
from crm_app.analytics.words import Words

# Points drawn on the map: more makes the browser slow to draw and select, and adds nothing to its shape.
MAP_POINTS = 5_000


@dataclass(frozen=True)
class SegmentMap:
    """`points`: indexed by customer id (ascending), columns x and y (the first two principal components, in standard
    deviations of the z-scored features) and cluster; at most `max_points` of the `customers` mapped.
    `explained_variance`: the share of the features' total variance along x and along y (fractions)."""

    points: pd.DataFrame
    explained_variance: tuple[float, float]
    customers: int


def segment_map(rfm: pd.DataFrame, clusters: pd.Series, *, max_points: int = MAP_POINTS,
                random_state: int = 0) -> SegmentMap:
    """PCA with two components (scikit-learn, exact SVD) fitted on rfm_features of every customer of `rfm` (the ones
    clustered, `clusters` giving each one's cluster): x, y = the projections on the components of largest variance,
    explained variance ratio λᵢ / Σλ. When there are more than `max_points` customers a seeded sample
    (`random_state`) of that many is returned; the components are still fitted on all. Needs 3 customers."""
    # Imported on first use: scikit-learn adds about a second to a worker's start (benchmarks/worker_start.py).
    from sklearn.decomposition import PCA

    if len(rfm) < 3:
        raise TooLittleData(Words("The segment map needs at least 3 customers; there are {count}.", count=len(rfm)))
    pca = PCA(n_components=2, svd_solver="full")
    projected = pca.fit_transform(rfm_features(rfm))
    points = pd.DataFrame({"x": projected[:, 0], "y": projected[:, 1],
                           "cluster": clusters.reindex(rfm.index).to_numpy()}, index=rfm.index)
    if len(points) > max_points:
        points = points.sample(max_points, random_state=random_state)
    ratio = pca.explained_variance_ratio_
    return SegmentMap(points=points.sort_index(), explained_variance=(float(ratio[0]), float(ratio[1])),
                      customers=len(rfm))


def map_traces(clusters: list[int]) -> list[tuple[int, list[int]]]:
    """How the map is drawn: one trace per cluster, ascending, holding the positions (in the stored point lists) of
    its customers in order. A selected point (trace number, point index) is positions[trace][index]."""
    order: dict[int, list[int]] = {}
    for position, cluster in enumerate(clusters):
        order.setdefault(int(cluster), []).append(position)
    return sorted(order.items())
