"""Topics recover themes planted in a small made-up corpus."""

import pandas as pd

from crm_app.analytics.topics import fit_topics, top_topics

DELIVERY = [
    "delivery was late and the courier lost the parcel",
    "late delivery again, parcel arrived a week after the courier promised",
    "courier delivery delayed, parcel damaged",
    "the parcel delivery took forever, courier never called",
]
PRICE = [
    "price is too high, invoice had extra fees",
    "expensive price and a confusing invoice",
    "invoice fees make the price unfair",
    "the price went up and the invoice was wrong",
]
SUPPORT = [
    "support agent was rude on the phone",
    "phone support kept me waiting, agent unhelpful",
    "the support agent hung up the phone",
    "support phone line busy, no agent available",
]


def test_planted_themes_are_recovered_and_each_comment_tagged_with_its_theme():
    comments = pd.Series(DELIVERY + PRICE + SUPPORT + [None, "   "])
    model = fit_topics(comments, n_topics=3, random_state=0)

    assert model.n_comments == 12
    assert len(model.names) == 3
    themes = {"delivery": DELIVERY, "price": PRICE, "support": SUPPORT}
    for word, texts in themes.items():
        topic = next(name for name, terms in zip(model.names, model.terms) if word in terms)
        tagged = model.assignments[comments.isin(texts)]
        assert (tagged == topic).all(), (word, tagged.tolist())
    assert model.assignments.iloc[12:].isna().all()


def test_too_few_comments_give_no_topics():
    model = fit_topics(pd.Series(["only one comment"]))
    assert model.names == [] and model.assignments.isna().all()


def test_top_topics_counts_most_frequent_first():
    assignments = pd.Series(["price", "delivery", "price", None, "support", "delivery", "price"])
    assert top_topics(assignments, limit=2) == [("price", 3), ("delivery", 2)]
