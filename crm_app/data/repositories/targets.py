"""KPI targets per period: everyone on the cockpit reads them; executives and admins set them, audited."""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlmodel import Session, select

from crm_app.data.models import KpiTarget, Role
from crm_app.data.permissions import Actor, PermissionDenied, require_role
from crm_app.data.repositories.audit import record_change, snapshot

AUDITED = ("kpi", "period_start", "period_end", "target_value")


def targets_between(*, session: Session, actor: Actor, start: date, end: date) -> pd.DataFrame:
    """The targets whose period overlaps [start, end): kpi, period_start, period_end, target_value."""
    require_role(actor, Role.admin, Role.executive, Role.sales_rep)
    rows = session.exec(select(KpiTarget).where(KpiTarget.period_start < end, KpiTarget.period_end >= start)).all()
    return pd.DataFrame([snapshot(row, AUDITED) for row in rows], columns=list(AUDITED))


def set_target(*, session: Session, actor: Actor, kpi: str, period_start: date, period_end: date,
               target_value: float) -> KpiTarget:
    """Create or change the target of `kpi` for exactly [period_start, period_end] (both days included)."""
    require_role(actor, Role.admin, Role.executive)
    if period_end < period_start:
        raise PermissionDenied("The period must end on or after its first day.")
    row = session.exec(select(KpiTarget).where(KpiTarget.kpi == kpi, KpiTarget.period_start == period_start,
                                               KpiTarget.period_end == period_end)).first()
    old = snapshot(row, AUDITED) if row else None
    if row is None:
        row = KpiTarget(kpi=kpi, period_start=period_start, period_end=period_end, target_value=target_value)
    else:
        row.target_value = target_value
    session.add(row)
    session.flush()
    record_change(session=session, actor_id=actor.id, entity="kpi_target", entity_id=row.id,
                  action="update" if old else "create", old=old, new=snapshot(row, AUDITED))
    return row
