"""RFM: recency, frequency and monetary value per customer, quintile scores, named segments and clusters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import pandas as pd

from crm_app.analytics._common import DAY, revenue_orders, utc
from crm_app.analytics.errors import TooLittleData
from crm_app.analytics.words import Words

Moment = datetime | date | str | pd.Timestamp

# Segment rules on the R and F scores (and M for the two top-value rows), tried top to bottom; the
# first that matches names the customer. Together they cover all 125 (R, F, M) combinations.
#   segment              rule
#   Champions            R >= 4 and F >= 4 and M >= 4
#   Loyal                R >= 3 and F >= 4
#   Can't lose           R <= 2 and F >= 4 and M >= 4
#   At risk              R <= 2 and F >= 3
#   New                  R >= 4 and F == 1
#   Potential loyalist   R >= 3 and F <= 3
#   Hibernating          R == 2 and F <= 2
#   Lost                 R == 1 and F <= 2
SEGMENTS: tuple[str, ...] = (
    "Champions", "Loyal", "Can't lose", "At risk", "New", "Potential loyalist", "Hibernating", "Lost",
)


def rfm_table(
    orders: pd.DataFrame,
    as_of: Moment,
    *,
    customer_col: str = "customer_id",
    date_col: str = "ordered_at",
    amount_col: str = "total_amount",
    status_col: str = "status",
) -> pd.DataFrame:
    """Per customer with a revenue order before `as_of`, indexed by customer and sorted by it:

    - recency_days = (as_of − last order) in days (fractional)
    - frequency = number of revenue orders
    - monetary = Σ total_amount of those orders (currency units)
    """
    as_of = utc(as_of)
    paid = revenue_orders(orders, status_col=status_col, date_col=date_col)
    paid = paid.loc[paid[date_col] < as_of]
    grouped = paid.groupby(customer_col, sort=True)
    table = pd.DataFrame(
        {
            "recency_days": (as_of - grouped[date_col].max()) / DAY,
            "frequency": grouped.size().astype("int64"),
            "monetary": grouped[amount_col].sum().astype(float),
        }
    )
    table.index.name = customer_col
    return table


def quintile_score(values: pd.Series, *, higher_is_better: bool = True) -> pd.Series:
    """Score 1-5 by quintile of rank: rank values with ties broken by order of appearance, then qcut into 5.

    5 marks the best fifth (highest values, or lowest when `higher_is_better` is False). Ranking first
    means equal values never produce duplicate bin edges; sort the frame (by customer) for a stable order.
    With fewer than 2 values every score is 3.
    """
    if len(values) < 2:
        return pd.Series(3, index=values.index, dtype="int64")
    ranks = (values if higher_is_better else -values).rank(method="first")
    return pd.qcut(ranks, 5, labels=[1, 2, 3, 4, 5]).astype("int64")


def rfm_segment(r: pd.Series, f: pd.Series, m: pd.Series) -> pd.Series:
    """Segment name from the R, F and M scores by the rule table in this module (SEGMENTS, in order)."""
    conditions = [
        (r >= 4) & (f >= 4) & (m >= 4),
        (r >= 3) & (f >= 4),
        (r <= 2) & (f >= 4) & (m >= 4),
        (r <= 2) & (f >= 3),
        (r >= 4) & (f == 1),
        (r >= 3) & (f <= 3),
        (r == 2) & (f <= 2),
        (r == 1) & (f <= 2),
    ]
    return pd.Series(np.select(conditions, SEGMENTS, default="Unscored"), index=r.index, dtype=object)


def rfm_scores(rfm: pd.DataFrame) -> pd.DataFrame:
    """The RFM table with r_score, f_score, m_score (1-5, 5 best: recent, frequent, high spend),
    rfm_code = "RFM" digits as text (e.g. "545") and segment (see the rule table above)."""
    scored = rfm.copy()
    scored["r_score"] = quintile_score(rfm["recency_days"], higher_is_better=False)
    scored["f_score"] = quintile_score(rfm["frequency"])
    scored["m_score"] = quintile_score(rfm["monetary"])
    scored["rfm_code"] = (
        scored["r_score"].astype(str) + scored["f_score"].astype(str) + scored["m_score"].astype(str)
    )
    scored["segment"] = rfm_segment(scored["r_score"], scored["f_score"], scored["m_score"])
    return scored


@dataclass(frozen=True)
class RfmClusters:
    """KMeans clusters of customers on standardised log RFM features.

    `labels`: cluster per customer (0 = highest mean monetary); `silhouette`: mean silhouette per k tried;
    `k`: the k with the best silhouette; `profile`: per cluster customers, share, mean recency_days,
    frequency and monetary.
    """

    k: int
    labels: pd.Series
    silhouette: pd.Series
    profile: pd.DataFrame


def rfm_features(rfm: pd.DataFrame) -> np.ndarray:
    """The features customers are clustered (and mapped) on: z-scores over `rfm`'s customers of
    log1p(recency_days), log1p(frequency), log1p(monetary), one row per customer in `rfm`'s order."""
    # Imported on first use: scikit-learn adds about a second to a worker's start (benchmarks/worker_start.py).
    from sklearn.preprocessing import StandardScaler

    return StandardScaler().fit_transform(np.log1p(rfm[["recency_days", "frequency", "monetary"]].astype(float)
                                                   .to_numpy()))


def rfm_clusters(
    rfm: pd.DataFrame,
    *,
    k_values: range = range(2, 9),
    random_state: int = 0,
    silhouette_sample: int = 5000,
) -> RfmClusters:
    """Cluster customers with KMeans on z-scores of (log1p recency_days, log1p frequency, log1p monetary).

    k is the value in `k_values` with the highest mean silhouette coefficient s = (b − a) / max(a, b)
    (a: mean distance to the own cluster, b: to the nearest other), computed on at most
    `silhouette_sample` customers drawn with `random_state`. Clusters are renumbered by descending mean
    monetary so numbering is stable. Needs at least 3 customers; k is capped at customers − 1.
    """
    # Imported on first use: scikit-learn adds about a second to a worker's start (benchmarks/worker_start.py).
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    scaled = rfm_features(rfm)
    n = len(rfm)
    candidates = [k for k in k_values if 2 <= k <= n - 1]
    if not candidates:
        raise TooLittleData(Words("Clustering needs at least 3 customers and a number of clusters between 2 and one less "
                                  "than the customers; there are {count} customers.", count=n))
    scores, fits = {}, {}
    for k in candidates:
        model = KMeans(n_clusters=k, n_init=10, random_state=random_state).fit(scaled)
        if len(np.unique(model.labels_)) < 2:  # identical points: silhouette undefined
            continue
        scores[k] = float(silhouette_score(scaled, model.labels_, sample_size=min(n, silhouette_sample),
                                           random_state=random_state))
        fits[k] = model.labels_
    silhouette = pd.Series(scores, name="silhouette", dtype=float).rename_axis("k")
    best = int(silhouette.idxmax())
    raw = pd.Series(fits[best], index=rfm.index)
    order = rfm["monetary"].groupby(raw).mean().sort_values(ascending=False, kind="stable").index
    labels = raw.map({old: new for new, old in enumerate(order)}).astype("int64").rename("cluster")
    grouped = rfm.groupby(labels)
    profile = pd.DataFrame(
        {
            "customers": grouped.size().astype("int64"),
            "share": grouped.size() / n,
            "recency_days": grouped["recency_days"].mean(),
            "frequency": grouped["frequency"].mean(),
            "monetary": grouped["monetary"].mean(),
        }
    )
    profile.index.name = "cluster"
    return RfmClusters(k=best, labels=labels, silhouette=silhouette, profile=profile)
