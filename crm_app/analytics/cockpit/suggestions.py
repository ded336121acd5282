"""The cockpit's suggestions: sentences naming what contributes most to each gap to target, in English Words
(analytics/words.py) a page says in the reader's language."""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np

from crm_app.analytics.cockpit.columns import CockpitFacts
from crm_app.analytics.cockpit.filters import filtered_feedback
from crm_app.analytics.cockpit.kpis import KPI_BY_KEY, KpiDefinition, format_value
from crm_app.analytics.cockpit.series import detractor_topics, revenue_by
from crm_app.analytics.cockpit.view import CockpitView
from crm_app.analytics.words import Words
from crm_app.domain import is_detractor


def gap_suggestions(cf: CockpitFacts, view: CockpitView, limit: int = 4,
                    written: Callable[[KpiDefinition, float | None], str] = format_value) -> list[str]:
    """Written suggestions for the KPIs under the target of this view (its own scope's, or its children's
    combined; a view without a target has no gap to suggest about), naming what contributes most to each gap.

    Revenue and orders: the region, segment or category whose revenue fell most against the comparison
    period. NPS and CSAT: the region with the most detractors and the topic they mention most.
    """
    suggestions, filters = [], view.filters
    shown = {"region": view.revenue_by_region, "segment": view.revenue_by_segment,
             "category": view.revenue_by_category}

    @functools.cache
    def drops() -> list[tuple[float, str, str]]:
        """Per slicer not filtered on, the label whose revenue fell most against the comparison period (once for
        the revenue and the orders cards; the period's own revenue per label is the view's)."""
        fallen = []
        for by, now in shown.items():
            if getattr(filters, by) is None:
                delta = (now - revenue_by(cf, filters, by, *view.comparison)).sort_values()
                if len(delta) and delta.iloc[0] < 0:
                    fallen.append((float(delta.iloc[0]), by, str(delta.index[0])))
        return fallen

    for card in view.cards:
        if card.status not in ("bad", "warning") or card.gap is None:
            continue
        key, gap = card.definition.key, abs(card.gap)
        if key in ("revenue", "orders"):
            under = dict(kpi=card.definition.label, gap=written(card.definition, gap), source=card.target_source)
            if drops():
                change, by, label = min(drops())
                suggestions.append(Words("{kpi} is {gap} under target ({source}); revenue in {scope} {value} fell by "
                                         "{fall} against the comparison period.", **under, scope=by, value=label,
                                         fall=written(KPI_BY_KEY["revenue"], -change)))
            else:
                suggestions.append(Words("{kpi} is {gap} under target ({source}).", **under))
        elif key in ("nps", "csat"):
            feedback = filtered_feedback(cf, filters, filters.start, filters.end)
            detractor = is_detractor(feedback["nps"])
            amount = (Words("{gap} points", gap=f"{gap:,.0f}") if key == "nps"
                      else Words("{gap} percentage points", gap=f"{100 * gap:,.1f}"))
            under = dict(kpi=card.definition.label, gap=amount, source=card.target_source)
            text = Words("{kpi} is {gap} under target ({source}).", **under)
            if detractor.any():
                regions = np.bincount(feedback["region"][detractor & (feedback["region"] >= 0)],
                                      minlength=len(cf.labels["region"]))
                where = int(regions.argmax())
                in_region = {k: v[detractor & (feedback["region"] == where)] for k, v in feedback.items()}
                topics = detractor_topics(cf, in_region, 1)
                region = cf.labels["region"][where]
                text = (Words("{kpi} is {gap} under target ({source}); detractors in {region} mention {topic}.",
                              **under, region=region, topic=topics[0][0]) if topics else
                        Words("{kpi} is {gap} under target ({source}); detractors in {region}.", **under,
                              region=region))
            suggestions.append(text)
        else:
            suggestions.append(Words("{kpi} is {gap} under target ({source}).", kpi=card.definition.label,
                                     gap=written(card.definition, gap), source=card.target_source))
        if len(suggestions) >= limit:
            break
    return suggestions
