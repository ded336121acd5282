"""The cockpit's targets: a target is set for the company or for one region, segment or sales rep (its scope),
for a period; a view compares with the target of exactly its own scope, or with its child scopes' targets
combined when they cover it, and otherwise has none (never another scope's)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from crm_app.analytics.cockpit.filters import CockpitFilters
from crm_app.analytics.cockpit.kpis import KPI_BY_KEY
from crm_app.analytics.words import Words
from crm_app.domain import TARGET_SCOPES

SCOPES = TARGET_SCOPES
COMPANY, REGION, SEGMENT, REP = TARGET_SCOPES
# The scopes whose targets, taken together, cover the company (each customer is in one region, one segment and
# one rep's book), in the order a company view looks for them when it has no target of its own.
CHILD_SCOPES = (REGION, SEGMENT, REP)
NO_TARGET = Words("no target for this view")


@dataclass(frozen=True)
class TargetScope:
    """What a target is set for: the company (value ""), or one region, segment or rep (value: its label, or
    the rep's user id as text)."""

    scope: str = COMPANY
    value: str = ""

    def described(self, rep_names: dict[int, str] | None = None) -> Words:
        if self.scope == COMPANY:
            return Words("company")
        if self.scope == REP and self.value.isdigit():
            return Words("rep {name}", name=(rep_names or {}).get(int(self.value), self.value))
        return Words("{scope} {value}", scope=self.scope, value=self.value)


def view_scope(filters: CockpitFilters, own_rep: int | None = None) -> TargetScope | None:
    """The one scope a view's figures belong to, or None when no target can be set for it: a category or
    channel slice, or two of region, segment and rep at once. A sales rep's own cockpit (`own_rep`) is their
    scope."""
    if filters.category is not None or filters.channel is not None:
        return None
    owner = own_rep if own_rep is not None else filters.owner_id
    chosen = [(name, value) for name, value in ((REGION, filters.region), (SEGMENT, filters.segment), (REP, owner))
              if value is not None]
    if len(chosen) > 1:
        return None
    return TargetScope(chosen[0][0], str(chosen[0][1])) if chosen else TargetScope()


def target_for_period(targets: pd.DataFrame, kpi: str, start: date, end: date,
                      scope: TargetScope = TargetScope()) -> float | None:
    """The target of `scope` for [start, end) from the KpiTarget rows (kpi, scope, scope_value, period_start,
    period_end inclusive, target_value); rows without a scope column are the company's.

    Additive KPIs (revenue, orders): Σ target × (days of the target's period inside [start, end)) / (days of
    the target's period); None unless target periods cover every day. Other KPIs: the mean of the targets
    weighted by their days inside the period; None without overlap.
    """
    if not len(targets):
        return None
    # numpy on the few rows: pandas' per-call overhead would be most of the cockpit's time for twelve KPIs.
    rows = targets["kpi"].to_numpy() == kpi
    if "scope" in targets:
        rows &= (targets["scope"].to_numpy() == scope.scope) & (targets["scope_value"].to_numpy() == scope.value)
    elif scope.scope != COMPANY:
        return None
    first = np.array(targets["period_start"].to_numpy()[rows], dtype="datetime64[D]")
    last = np.array(targets["period_end"].to_numpy()[rows], dtype="datetime64[D]")
    overlap = (np.minimum(last + 1, np.datetime64(end, "D")) - np.maximum(first, np.datetime64(start, "D")))
    overlap = overlap.astype(np.int64)
    inside = overlap > 0
    if not inside.any():
        return None
    days, overlap = ((last - first).astype(np.int64) + 1)[inside], overlap[inside]
    values = targets["target_value"].to_numpy(float)[rows][inside]
    definition = KPI_BY_KEY.get(kpi)
    if definition is not None and definition.additive:
        return float(sum(values * overlap / days)) if overlap.sum() >= (end - start).days else None
    return float(sum(values * overlap)) / int(overlap.sum())


@dataclass(frozen=True)
class ViewTarget:
    """The target a view compares with, and where it comes from in words ("company", "region EMEA", "sum of
    the region targets", or NO_TARGET)."""

    value: float | None
    source: str


def _every_member_target(targets: pd.DataFrame, kpi: str, start: date, end: date, child: str,
                         members: list[str]) -> list[float] | None:
    """Each member's target of `kpi` for the period, or None as soon as one member has none: a company
    view asks this of three child scopes for each KPI without a company target, and mostly the first member
    answers already (about 0.1 ms a member)."""
    values = []
    for member in members:
        value = target_for_period(targets, kpi, start, end, TargetScope(child, member))
        if value is None:
            return None
        values.append(value)
    return values


def view_target(targets: pd.DataFrame, kpi: str, start: date, end: date, scope: TargetScope | None,
                children: dict[str, list[str]], child_weight: Callable[[str, str], float],
                rep_names: dict[int, str] | None = None) -> ViewTarget:
    """The target of the view of `scope`: its own, else (for the company) the child targets of the first of
    region, segment and rep whose every member in `children` has one for the period: their sum for KPIs that
    add up across customers (KpiDefinition.adds_across_scopes), their mean weighted by `child_weight(scope,
    member)` (the member's sample, e.g. answers for CSAT) for rates and averages. Otherwise no target."""
    if scope is None:
        return ViewTarget(None, NO_TARGET)
    own = target_for_period(targets, kpi, start, end, scope)
    if own is not None:
        return ViewTarget(own, scope.described(rep_names))
    if scope.scope != COMPANY:
        return ViewTarget(None, NO_TARGET)
    definition = KPI_BY_KEY[kpi]
    for child in CHILD_SCOPES:
        members = children.get(child, [])
        values = _every_member_target(targets, kpi, start, end, child, members)
        if not members or values is None:
            continue
        if definition.adds_across_scopes:
            return ViewTarget(float(sum(values)), Words("sum of the {scope} targets", scope=child))
        weights = [child_weight(child, member) for member in members]
        if sum(weights) > 0:
            mean = sum(v * w for v, w in zip(values, weights)) / sum(weights)
            return ViewTarget(float(mean), Words("mean of the {scope} targets weighted by their samples", scope=child))
    return ViewTarget(None, NO_TARGET)
