"""KPI targets per period and scope: everyone on the cockpit reads them; executives and admins set them (one at a
time on the cockpit, or a CSV of them with `crm-app import targets`), audited.

A target's scope is the company, or one region, segment or sales rep (crm_app/analytics/cockpit/targets.py says
which target a view compares with). Rates are given in percent, as the cockpit's form and the CSV take them,
and kept as fractions like the KPIs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
from sqlmodel import Session, select

from crm_app.analytics.cockpit.kpis import KPI_BY_KEY
from crm_app.analytics.cockpit.targets import COMPANY, REGION, REP, SCOPES, SEGMENT
from crm_app.data.models import Customer, KpiTarget, Role, User
from crm_app.data.permissions import Actor, PermissionDenied, require_role
from crm_app.data.repositories.audit import record_change, snapshot
from crm_app.i18n import N_, gettext

AUDITED = ("kpi", "scope", "scope_value", "period_start", "period_end", "target_value")
CSV_COLUMNS = ("kpi", "scope", "scope_value", "period_start", "period_end", "target")
LARGEST_TARGET = 1e15


class TargetRefused(Exception):
    """A target that cannot be stored; the message says why, in words for the user."""


@dataclass(frozen=True)
class Target:
    """One checked target, as stored (rates as fractions; a rep's scope value is their user id as text)."""

    kpi: str
    scope: str
    scope_value: str
    period_start: date
    period_end: date
    target_value: float


def targets_between(*, session: Session, actor: Actor, start: date, end: date) -> pd.DataFrame:
    """The targets whose period overlaps [start, end): kpi, scope, scope_value, period_start, period_end,
    target_value."""
    require_role(actor, *Role)  # every role reads the cockpit, whose cards compare with the targets
    rows = session.exec(select(KpiTarget).where(KpiTarget.period_start < end, KpiTarget.period_end >= start)).all()
    return pd.DataFrame([snapshot(row, AUDITED) for row in rows], columns=list(AUDITED))


_EMPTY_SCOPE = {REGION: N_("An empty value is not a region of any customer."),
                SEGMENT: N_("An empty value is not a segment of any customer.")}


def _sales_rep_id(session: Session, value: str) -> str:
    """The user id (as text) of the active sales rep named by id or email."""
    text = value.strip()
    column = User.id if text.isascii() and text.isdigit() else User.email
    key: Any = int(text) if column is User.id and len(text) < 19 else text.lower()
    rep = session.exec(select(User).where(column == key)).first()
    if rep is None or rep.role != Role.sales_rep or not rep.is_active:
        raise TargetRefused(gettext("{name} is not an active sales rep.", name=text) if text
                            else gettext("an empty value is not an active sales rep."))
    return str(rep.id)


def checked_target(*, session: Session, kpi: Any, scope: Any, scope_value: Any, period_start: date | None,
                   period_end: date | None, value: Any) -> Target:
    """The target as it will be stored, or TargetRefused saying what is wrong. `value` is typed as the user
    sees the KPI (percent for rates); a rep is named by user id or email."""
    definition = KPI_BY_KEY.get(kpi) if isinstance(kpi, str) else None
    if definition is None:
        raise TargetRefused(gettext("Choose one of the cockpit's KPIs."))
    if scope not in SCOPES:
        raise TargetRefused(gettext("The scope is one of company, region, segment or rep."))
    name = scope_value.strip() if isinstance(scope_value, str) else ""
    if scope == COMPANY:
        name = ""
    elif scope == REP:
        name = _sales_rep_id(session, name)
    elif not name or len(name) > 60 or session.exec(
            select(Customer.id).where(getattr(Customer, scope) == name).limit(1)).first() is None:
        refused = (N_("{name} is not a region of any customer.") if scope == REGION
                   else N_("{name} is not a segment of any customer."))
        raise TargetRefused(gettext(refused, name=name) if name else gettext(_EMPTY_SCOPE[scope]))
    if period_start is None or period_end is None or period_end < period_start:
        raise TargetRefused(gettext("The period needs a first and a last day, the last on or after the first."))
    try:
        number = float(value) if isinstance(value, (int, float, str)) and len(str(value)) < 30 else None
    except ValueError:
        number = None
    if number is None or not math.isfinite(number) or abs(number) > LARGEST_TARGET:
        raise TargetRefused(gettext("Enter the target as a number."))
    if definition.unit == "percent":
        number = number / 100  # typed in percent, kept as a fraction like the KPI
    return Target(kpi, scope, name, period_start, period_end, number)


def _store(session: Session, actor: Actor, target: Target) -> KpiTarget:
    row = session.exec(select(KpiTarget).where(
        KpiTarget.kpi == target.kpi, KpiTarget.scope == target.scope, KpiTarget.scope_value == target.scope_value,
        KpiTarget.period_start == target.period_start, KpiTarget.period_end == target.period_end)).first()
    old = snapshot(row, AUDITED) if row else None
    if row is None:
        row = KpiTarget(**vars(target))
    else:
        row.target_value = target.target_value
    session.add(row)
    session.flush()
    record_change(session=session, actor_id=actor.id, entity="kpi_target", entity_id=row.id,
                  action="update" if old else "create", old=old, new=snapshot(row, AUDITED))
    return row


def set_target(*, session: Session, actor: Actor, target: Target) -> KpiTarget:
    """Create or change the target of its KPI for exactly its scope and period (both days included)."""
    require_role(actor, Role.admin, Role.executive)
    return _store(session, actor, target)


@dataclass(frozen=True)
class TargetImport:
    """A checked CSV of targets: the targets, or the errors (row and column) that stop the whole file."""

    targets: list[Target]
    errors: list[str]


def check_target_rows(*, session: Session, actor: Actor, header: list[str], rows: list[list[str]]) -> TargetImport:
    """Check every row of a targets CSV (columns CSV_COLUMNS; dates YYYY-MM-DD; rates in percent; a rep by
    email). Row numbers count the header as row 1, as a spreadsheet shows them."""
    require_role(actor, Role.admin, Role.executive)
    missing = [column for column in CSV_COLUMNS if column not in header]
    if missing:
        return TargetImport([], [f"The header lacks the column(s) {', '.join(missing)}; it needs "
                                 f"{', '.join(CSV_COLUMNS)}."])
    where = {column: header.index(column) for column in CSV_COLUMNS}
    targets, errors, seen = [], [], {}
    for number, row in enumerate(rows, start=2):
        cell = {column: (row[index].strip() if index < len(row) else "") for column, index in where.items()}
        days = {}
        for column in ("period_start", "period_end"):
            try:
                days[column] = date.fromisoformat(cell[column])
            except ValueError:
                errors.append(f"Row {number}, column {column}: {cell[column]!r} is not a date (YYYY-MM-DD).")
        if len(days) < 2:
            continue
        try:
            target = checked_target(session=session, kpi=cell["kpi"], scope=cell["scope"],
                                    scope_value=cell["scope_value"], period_start=days["period_start"],
                                    period_end=days["period_end"], value=cell["target"])
        except TargetRefused as refusal:
            errors.append(f"Row {number}: {refusal}")
            continue
        key = (target.kpi, target.scope, target.scope_value, target.period_start, target.period_end)
        if key in seen:
            errors.append(f"Row {number}: the same target as row {seen[key]}.")
            continue
        seen[key] = number
        targets.append(target)
    return TargetImport(targets if not errors else [], errors)


def import_targets(*, session: Session, actor: Actor, checked: TargetImport) -> int:
    """Write the targets of a checked file, all of them (the caller commits); nothing when it had errors."""
    require_role(actor, Role.admin, Role.executive)
    if checked.errors:
        raise PermissionDenied(gettext("A file with errors is not imported."))
    for target in checked.targets:
        _store(session, actor, target)
    return len(checked.targets)
