"""Sentiment of free-text comments with VADER, whose lexicon ships inside the vaderSentiment package."""

from __future__ import annotations

from functools import lru_cache

import pandas as pd
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

# Hutto & Gilbert (2014): compound >= 0.05 is positive, <= -0.05 negative, in between neutral.
POSITIVE_THRESHOLD = 0.05
NEGATIVE_THRESHOLD = -0.05


@lru_cache(maxsize=1)
def _analyzer() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


def sentiment_score(comment: object) -> float | None:
    """VADER's compound score of a comment, in [-1, 1] (-1 most negative); None without text.

    The compound score sums the valence of each lexicon word (adjusted for negation, intensifiers,
    capitals and punctuation) and normalises it as x / sqrt(x^2 + 15). Rounded to 4 decimals.
    """
    if not isinstance(comment, str) or not comment.strip():
        return None
    return round(_analyzer().polarity_scores(comment)["compound"], 4)


def sentiment_label(score: float | None) -> str | None:
    """'positive', 'neutral' or 'negative' by VADER's published thresholds; None without a score."""
    if score is None or pd.isna(score):
        return None
    if score >= POSITIVE_THRESHOLD:
        return "positive"
    if score <= NEGATIVE_THRESHOLD:
        return "negative"
    return "neutral"


def score_comments(comments: pd.Series) -> pd.Series:
    """sentiment_score for each comment, keeping the index (float, NaN where there is no text)."""
    return comments.map(sentiment_score).astype("Float64")
