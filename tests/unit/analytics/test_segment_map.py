"""The segment map: PCA of the clustering features, against scikit-learn on a hand-built frame, and two clusters
far apart that the first component keeps apart."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.decomposition import PCA

from crm_app import i18n
from crm_app.analytics.errors import TooLittleData
from crm_app.analytics.segment_map import segment_map

RFM = pd.DataFrame({"recency_days": [3.0, 10.0, 40.0, 200.0, 365.0, 15.0],
                    "frequency": [12, 8, 4, 1, 1, 6], "monetary": [5200.0, 3100.0, 900.0, 60.0, 35.0, 2400.0]},
                   index=pd.Index([11, 12, 13, 14, 15, 16], name="customer_id"))
CLUSTERS = pd.Series([0, 0, 1, 2, 2, 0], index=RFM.index)


def test_explained_variance_and_points_are_sklearns_pca_of_the_z_scored_log_features():
    features = np.log1p(RFM.to_numpy(float))
    scaled = (features - features.mean(axis=0)) / features.std(axis=0)  # population sd, as StandardScaler
    reference = PCA(n_components=2, svd_solver="full").fit(scaled)
    result = segment_map(RFM, CLUSTERS)
    assert result.explained_variance == pytest.approx(tuple(reference.explained_variance_ratio_), abs=1e-12)
    assert result.explained_variance[0] > 0.9  # the three features move together on this frame
    np.testing.assert_allclose(result.points[["x", "y"]].to_numpy(), reference.transform(scaled), atol=1e-12)
    assert result.points["cluster"].tolist() == [0, 0, 1, 2, 2, 0]
    assert result.customers == 6


def test_two_separate_groups_lie_apart_along_the_first_component():
    frequent = pd.DataFrame({"recency_days": [2.0, 3, 4, 5], "frequency": [20, 22, 19, 21],
                             "monetary": [9000.0, 9500, 8800, 9100]}, index=[1, 2, 3, 4])
    lapsed = pd.DataFrame({"recency_days": [300.0, 320, 310, 305], "frequency": [1, 1, 2, 1],
                           "monetary": [40.0, 55, 60, 45]}, index=[5, 6, 7, 8])
    rfm = pd.concat([frequent, lapsed])
    result = segment_map(rfm, pd.Series([0] * 4 + [1] * 4, index=rfm.index))
    x = result.points["x"]
    assert x[:4].max() < x[4:].min() or x[4:].max() < x[:4].min()
    # Each group's spread along x is tiny next to the gap between them.
    assert abs(x[:4].mean() - x[4:].mean()) > 10 * max(x[:4].std(), x[4:].std())


def test_the_map_keeps_a_seeded_sample_but_fits_on_everyone():
    rfm = pd.concat([RFM] * 5)
    rfm.index = pd.RangeIndex(1, 31, name="customer_id")
    full = segment_map(rfm, pd.Series(0, index=rfm.index))
    shown = segment_map(rfm, pd.Series(0, index=rfm.index), max_points=7)
    assert len(shown.points) == 7 and shown.customers == 30
    assert shown.points.index.is_monotonic_increasing
    assert shown.explained_variance == full.explained_variance
    pd.testing.assert_frame_equal(shown.points, full.points.loc[shown.points.index])
    assert shown.points.index.tolist() == segment_map(rfm, pd.Series(0, index=rfm.index), max_points=7).points.index.tolist()


def test_too_few_customers():
    with pytest.raises(TooLittleData):
        segment_map(RFM.head(2), CLUSTERS.head(2))


def test_too_few_customers_is_said_in_the_readers_language():
    with pytest.raises(TooLittleData) as refused:
        segment_map(RFM.head(2), CLUSTERS.head(2))
    assert str(refused.value) == "The segment map needs at least 3 customers; there are 2."
    assert i18n.say(refused.value.args[0], i18n.CHINESE) == "客户分布图至少需要 3 位客户；目前有 2 位。"
