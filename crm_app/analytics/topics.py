"""Topics in feedback comments: TF-IDF + NMF, each topic named by its top terms."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TopicModel:
    """Fitted topics: `names[k]` is topic k's label, `assignments` each comment's main topic (None if none)."""

    names: list[str]
    terms: list[list[str]]
    assignments: pd.Series
    n_comments: int


def fit_topics(
    comments: pd.Series,
    *,
    n_topics: int = 6,
    terms_per_topic: int = 3,
    min_df: int = 2,
    random_state: int = 0,
) -> TopicModel:
    """Factorise the TF-IDF matrix X (comments x terms) as X ≈ W H with W, H >= 0 (NMF, Frobenius loss).

    Row k of H weights the terms of topic k: its `terms_per_topic` largest name the topic. A comment's
    main topic is argmax_k W[i, k]; a comment with no known term (W row all zero) has none.
    English stop words are dropped; terms must occur in at least `min_df` comments.
    """
    # Imported on first use: scikit-learn adds about a second to a worker's start (benchmarks/worker_start.py).
    from sklearn.decomposition import NMF
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = comments.fillna("").astype(str)
    usable = texts.str.strip() != ""
    empty = TopicModel(names=[], terms=[], assignments=pd.Series(None, index=comments.index, dtype=object),
                       n_comments=int(usable.sum()))
    if usable.sum() < max(min_df, 2):
        return empty
    vectorizer = TfidfVectorizer(stop_words="english", min_df=min_df, max_df=0.9, sublinear_tf=True,
                                 token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z]+\b")
    try:
        matrix = vectorizer.fit_transform(texts[usable])
    except ValueError as no_terms:  # scikit-learn's way of saying no term occurs in min_df comments
        logger.info("No topics fitted: %s", no_terms)
        return empty
    k = max(1, min(n_topics, matrix.shape[0] - 1, matrix.shape[1]))
    model = NMF(n_components=k, init="nndsvda", random_state=random_state, max_iter=400)
    weights = model.fit_transform(matrix)
    vocabulary = vectorizer.get_feature_names_out()
    terms = [[str(vocabulary[j]) for j in np.argsort(row)[::-1][:terms_per_topic]] for row in model.components_]
    names = [" / ".join(topic_terms) for topic_terms in terms]
    main = np.where(weights.max(axis=1) > 0, weights.argmax(axis=1), -1)
    assignments = pd.Series(None, index=comments.index, dtype=object)
    assignments[usable[usable].index] = [names[j] if j >= 0 else None for j in main]
    return TopicModel(names=names, terms=terms, assignments=assignments, n_comments=int(usable.sum()))


def top_topics(assignments: pd.Series, limit: int = 3) -> list[tuple[str, int]]:
    """The most frequent topics with their counts, most frequent first (ties by name)."""
    counts = assignments.dropna().value_counts()
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [(str(name), int(count)) for name, count in ordered[:limit]]
