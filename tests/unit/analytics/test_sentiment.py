"""Sentiment orders obviously positive comments above obviously negative ones."""

import pandas as pd
import pytest

from crm_app.analytics.sentiment import score_comments, sentiment_label, sentiment_score

POSITIVE = [
    "Great service, fast delivery, I love it!",
    "Excellent support team, very helpful and friendly.",
    "Wonderful product, works perfectly. Thank you!",
]
NEGATIVE = [
    "Terrible. The parcel arrived broken and nobody answered.",
    "Awful experience, the worst support I have ever had.",
    "Very disappointed: slow, expensive and useless.",
]


def test_every_positive_comment_scores_above_every_negative_one():
    assert min(map(sentiment_score, POSITIVE)) > 0.5
    assert max(map(sentiment_score, NEGATIVE)) < -0.5


@pytest.mark.parametrize("score, label", [(0.05, "positive"), (0.0499, "neutral"), (-0.0499, "neutral"),
                                          (-0.05, "negative"), (None, None)])
def test_labels_follow_vaders_thresholds(score, label):
    assert sentiment_label(score) == label


def test_empty_comments_have_no_score():
    assert sentiment_score(None) is None
    assert sentiment_score("   ") is None


def test_score_comments_keeps_the_index():
    scores = score_comments(pd.Series([POSITIVE[0], None, NEGATIVE[0]], index=[10, 11, 12]))
    assert list(scores.index) == [10, 11, 12]
    assert scores[10] > 0 > scores[12]
    assert pd.isna(scores[11])


def test_markup_is_just_text():
    assert sentiment_score("<img src=x onerror=alert(1)>") == 0.0
