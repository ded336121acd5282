"""A selection on the /insights segment map made into a campaign audience (issue 19): the points picked on the
drawn map name customers through the stored fit the map was drawn from, so a client can pick only customers that
fit showed. Marketers and admins only; the audience rules (consent, each customer once, the holdout) are
campaigns.set_audience's."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, select

from crm_app.analytics.segment_map import MAP_POINTS, map_traces
from crm_app.data.insights_refresh import insight_model_name
from crm_app.data.models import Campaign, ModelRun
from crm_app.data.permissions import Actor, NotFound, PermissionDenied
from crm_app.data.report_results import SegmentsResult, stored_result
from crm_app.data.repositories import campaigns
from crm_app.domain import CampaignStatus
from crm_app.i18n import gettext


def _require_runner(actor: Actor) -> None:
    if not actor.runs_campaigns:
        raise PermissionDenied(gettext("Marketers and admins turn a selection into an audience."))


def picked_points(points: Any) -> list[tuple[int, int]]:
    """(trace number, index in the trace) of each well-formed point of a box or lasso selection a client sent (at
    most the map's points); anything else is dropped."""
    if not isinstance(points, list):
        return []
    picks = []
    for point in points[:MAP_POINTS]:
        if not isinstance(point, dict):
            continue
        trace, index = point.get("curveNumber"), point.get("pointIndex")
        if all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 2**31 for v in (trace, index)):
            picks.append((trace, index))
    return picks


def selected_customers(*, session: Session, actor: Actor, run_id: Any,
                       picks: Sequence[tuple[int, int]]) -> list[int]:
    """The customers under the picked points (trace number, index in the trace) of the map drawn from the segments
    fit `run_id`, ascending, each once; picks outside the map are ignored."""
    _require_runner(actor)
    run = session.get(ModelRun, run_id) if isinstance(run_id, int) and not isinstance(run_id, bool) else None
    result = stored_result("segments", run.summary) if run is not None and \
        run.model == insight_model_name("segments") else None
    if not isinstance(result, SegmentsResult) or result.map is None:
        raise NotFound(gettext("The segment map has changed; select again."))
    traces = map_traces(result.map.cluster)
    chosen = {result.map.customer_id[traces[trace][1][index]] for trace, index in picks
              if 0 <= trace < len(traces) and 0 <= index < len(traces[trace][1])}
    return sorted(chosen)


def draft_campaigns(*, session: Session, actor: Actor) -> list[Campaign]:
    """The draft campaigns an audience can still be given, newest first (none for those who do not run them)."""
    if not actor.runs_campaigns:
        return []
    return list(session.exec(select(Campaign).where(Campaign.status == CampaignStatus.draft)
                             .order_by(Campaign.id.desc())).all())
