"""The targets section of `crm-app report kpis`: each cockpit KPI's target, where it comes from, gap and status for
the report's period and filters, decided exactly as the cockpit decides them for the same view (the company's
target for the whole company, a region's for that region, the children's combined, or none)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import Session, select

from crm_app.analytics.cockpit import CockpitFilters, evaluate, prepare_cockpit
from crm_app.data.facts import Facts
from crm_app.data.models import Role, User
from crm_app.data.repositories.targets import targets_between
from crm_app.data.permissions import Actor
from crm_app.data.reports import ReportFilters, ReportPeriod

# The CLI reads everything, like an admin (it runs with the database's credentials).
_COMMAND_LINE = Actor(id=0, email="", full_name="crm-app", role=Role.admin)


def kpi_targets(*, session: Session, facts: Facts, period: ReportPeriod, filters: ReportFilters) -> dict[str, Any]:
    """{kpi: {value, target, target_scope, gap, status}} for the cockpit's KPIs; status is "good" (at or above
    target), "warning" (within 5 % under), "bad" or "none" (no target for this view)."""
    view = CockpitFilters(start=period.start, end=period.end + timedelta(days=1), region=filters.region,
                          segment=filters.segment, category=filters.category, channel=filters.channel,
                          owner_id=filters.rep_id)
    reps = session.exec(select(User.id, User.full_name).where(User.role == Role.sales_rep)).all()
    goals = targets_between(session=session, actor=_COMMAND_LINE, start=view.start, end=view.end)
    cards = evaluate(prepare_cockpit(facts, period.as_of), view, goals, reps=tuple(uid for uid, _ in reps),
                     rep_names=dict(reps)).cards
    return {card.definition.key: {"value": card.actual.value, "target": card.target,
                                  "target_scope": card.target_source, "gap": card.gap, "status": card.status}
            for card in cards}
