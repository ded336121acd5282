"""My day (/): a sales rep's overdue and today's tasks (Done and Reschedule in place), deals closing this month and
overdue, detractors of the last 14 days, customers at churn risk and the month to date against target; the
company's equivalents for executives and admins. Each section is a few rows and a count that links to the
filtered list behind it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import reflex as rx

from crm_app import i18n, routes
from crm_app.analytics import cockpit as evaluation
from crm_app.data.db import read_session, write_session
from crm_app.data.insights_refresh import latest_churn_risk
from crm_app.data.models import Role, utcnow
from crm_app.data.permissions import Actor, NotFound
from crm_app.data.repositories import deals, tasks
from crm_app.data.repositories.customers import visible_among
from crm_app.data.repositories.feedback import FeedbackFilters, answers_preview
from crm_app.data.repositories.targets import targets_between
from crm_app.data.repositories.users import staff_directory
from crm_app.data.snapshot import current_facts
from crm_app.due_times import Reschedule, local_today, wall_clock
from crm_app.formatting import day, kpi_value, moment, money, number, percent
from crm_app.labels import label
from crm_app.states.auth import current_actor, staff_event
from crm_app.states.customers import CHURN_RISK
from crm_app.states.forms import as_id
from crm_app.states.pipeline import OVERDUE
from crm_app.states.tasks import RESCHEDULES

# Rows per section: the rest is one "see all" link away.
TASK_ROWS, ROWS = 8, 5
DETRACTOR_DAYS = 14
MTD_KPI = "revenue"


def _link(route: str, **params: Any) -> str:
    kept = {key: value for key, value in params.items() if value}
    return route + ("?" + urlencode(kept) if kept else "")


def _task(row: tasks.TaskRow, time_zone: str | None) -> dict[str, str]:
    return {"id": str(row.id), "subject": row.subject, "kind": label(row.kind), "owner": row.owner_name,
            "due": moment(row.due_at, time_zone),
            "customer": row.customer_name or "",
            "customer_link": routes.customer_page(row.customer_id) if row.customer_id else ""}


def _deal(card: deals.DealCard) -> dict[str, str]:
    return {"id": str(card.id), "title": card.title, "link": routes.deal_page(card.id), "stage": label(card.stage.value),
            "customer": card.customer_name, "amount": money(card.amount), "owner": card.owner_name,
            "close": day(card.expected_close) if card.expected_close else i18n.gettext("No date")}


def _figure(key: str, label: str, value: str, link: str, detail: str = "") -> dict[str, str]:
    return {"key": key, "label": label, "value": value, "link": link, "detail": detail}


class HomeState(rx.State):
    scope: str = ""
    company: bool = False
    can_work_tasks: bool = False
    # The headline numbers, each a link to the filtered list behind it.
    figures: list[dict[str, str]] = []
    overdue_tasks: list[dict[str, str]] = []
    today_tasks: list[dict[str, str]] = []
    closing_deals: list[dict[str, str]] = []
    overdue_deals: list[dict[str, str]] = []
    detractors: list[dict[str, str]] = []
    churn_customers: list[dict[str, str]] = []
    churn_fitted: str = ""
    month: dict[str, str] = {}

    @staff_event()
    def load(self) -> None:
        actor = current_actor()
        self.company = actor.reads_everything
        self.scope = i18n.gettext("Company-wide" if actor.reads_everything else "Your book of business")
        self.can_work_tasks = actor.role != Role.executive
        with read_session() as session:
            figures = [*self._tasks(session, actor), *self._deals(session, actor), self._detractors(session, actor),
                       self._churn(session, actor), self._month_to_date(session, actor)]
        self.figures = figures

    def _tasks(self, session, actor: Actor) -> list[dict[str, str]]:
        board = tasks.task_board(session=session, actor=actor, now=wall_clock(utcnow(), actor.time_zone),
                                 limit=TASK_ROWS)
        self.overdue_tasks = [_task(row, actor.time_zone) for row in board.overdue.rows]
        self.today_tasks = [_task(row, actor.time_zone) for row in board.today.rows]
        return [_figure("overdue-tasks", i18n.gettext("Overdue tasks"), number(board.overdue.total), _link(routes.TASKS, show="overdue")),
                _figure("today-tasks", i18n.gettext("Due today"), number(board.today.total), _link(routes.TASKS, show="today"))]

    def _deals(self, session, actor: Actor) -> list[dict[str, str]]:
        today = local_today(actor.time_zone)
        month = today.replace(day=1)
        closing = deals.deals_due(session=session, actor=actor, board=deals.BoardFilter(close_month=month),
                                  limit=ROWS)
        late = deals.deals_due(session=session, actor=actor, board=deals.BoardFilter(overdue_on=today), limit=ROWS)
        self.closing_deals = [_deal(card) for card in closing.first]
        self.overdue_deals = [_deal(card) for card in late.first]
        return [_figure("closing-deals", i18n.gettext("Open deals closing this month"), number(closing.count),
                        _link(routes.PIPELINE, month=f"{month:%Y-%m}"), money(closing.amount)),
                _figure("overdue-deals", i18n.gettext("Overdue deals"), number(late.count), _link(routes.PIPELINE, overdue=OVERDUE),
                        money(late.amount))]

    def _detractors(self, session, actor: Actor) -> dict[str, str]:
        """NPS detractors (domain.NPS_BANDS) of the last 14 days, UTC days as the inbox's date filter reads them;
        a rep's from their own customers."""
        since = datetime.now(UTC).date() - timedelta(days=DETRACTOR_DAYS - 1)
        owner = None if actor.reads_everything else actor.id
        found = answers_preview(session=session, actor=actor, limit=ROWS, filters=FeedbackFilters(
            nps_band="detractor", submitted_from=since, owner_id=owner))
        self.detractors = [{"id": str(row.id), "customer": row.customer_name or i18n.gettext("Anonymous"),
                            "customer_link": routes.customer_page(row.customer_id) if row.customer_id else "",
                            "nps": str(row.nps), "submitted": day(row.submitted_at, actor.time_zone),
                            "comment": (row.comment or "")[:140]} for row in found.newest]
        return _figure("detractors", i18n.gettext("Detractors, last {days} days", days=DETRACTOR_DAYS), number(found.total),
                       _link(routes.INBOX, nps_band="detractor", owner=owner, **{"from": since.isoformat()}))

    def _churn(self, session, actor: Actor) -> dict[str, str]:
        risk = latest_churn_risk(session=session)
        at_risk = visible_among(session=session, actor=actor, ids=risk.customer_ids) if risk else []
        self.churn_fitted = moment(risk.fitted_at, actor.time_zone) if risk else ""
        self.churn_customers = [{"id": str(cid), "name": name, "link": routes.customer_page(cid),
                                 "probability": percent(risk.probabilities[cid], decimals=0)} for cid, name in at_risk[:ROWS]]
        return _figure("churn", i18n.gettext("Customers at churn risk"), number(len(at_risk)) if risk else "—",
                       _link(routes.CUSTOMERS, risk=CHURN_RISK),
                       i18n.gettext("fitted {when}", when=self.churn_fitted) if risk else i18n.gettext("not fitted yet"))

    def _month_to_date(self, session, actor: Actor) -> dict[str, str]:
        """This month's revenue so far against its target: the cockpit's revenue card for "This month"."""
        link, title = _link(routes.COCKPIT, period="this_month"), i18n.gettext("Revenue, month to date")
        facts, _ = current_facts(session=session, actor=actor)
        if facts is None:  # the cockpit's first snapshot is loading in the background
            self.month = {"value": "—", "target": "", "status": "none", "note": i18n.gettext("The figures are being loaded.")}
            return _figure("month", title, "—", link, i18n.gettext("loading"))
        start, end = evaluation.period_for("this_month", datetime.now(UTC).date())
        filters = evaluation.CockpitFilters(start=start, end=end)
        directory = staff_directory(session=session, actor=actor)
        goals = targets_between(session=session, actor=actor, start=start, end=end)
        card = evaluation.kpi_card(facts, filters, goals, MTD_KPI,
                                   own_rep=actor.id if actor.role == Role.sales_rep else None,
                                   reps=tuple(uid for uid, _, role in directory if role == Role.sales_rep),
                                   rep_names={uid: name for uid, name, _ in directory})
        value = kpi_value(card.definition.unit, card.actual.value)
        if card.target is None:
            self.month = {"value": value, "target": "", "status": "none", "note": i18n.gettext("No target set for this month.")}
            return _figure("month", title, value, link, i18n.gettext("no target"))
        target = kpi_value(card.definition.unit, card.target)
        share = percent(card.actual.value / card.target, decimals=0) if card.target else "—"
        self.month = {"value": value, "target": target, "status": card.status,
                      "note": i18n.gettext("{share} of the {target} target ({source}).", share=share, target=target,
                                              source=i18n.say(card.target_source))}
        return _figure("month", title, value, link, i18n.gettext("{share} of {target}", share=share, target=target))

    # --- working a task in place -------------------------------------------------------------------

    def _reload_tasks(self, actor: Actor) -> None:
        with read_session() as session:
            shown = self._tasks(session, actor)
        self.figures = shown + [figure for figure in self.figures if figure["key"] not in
                                {"overdue-tasks", "today-tasks"}]

    @staff_event(Role.admin, Role.sales_rep)
    def mark_done(self, task_id: str) -> Any:
        target = as_id(task_id)
        if target is None:
            raise NotFound(i18n.N_("No such task."))
        actor = current_actor()
        with write_session() as session:
            task = tasks.set_task_done(session=session, actor=actor, task_id=target, done=True, now=utcnow())
            subject = task.subject
        self._reload_tasks(actor)
        return rx.toast.success(i18n.gettext("Done: {subject}.", subject=subject))

    @staff_event(Role.admin, Role.sales_rep)
    def reschedule(self, task_id: str, choice: str) -> Any:
        target = as_id(task_id)
        if target is None or not isinstance(choice, str) or choice not in {value for value, _ in RESCHEDULES}:
            raise NotFound(i18n.N_("No such task or reschedule."))
        actor = current_actor()
        with write_session() as session:
            task = tasks.reschedule_task(session=session, actor=actor, task_id=target, choice=Reschedule(choice),
                                         now=utcnow())
            due = moment(task.due_at, actor.time_zone)
        self._reload_tasks(actor)
        return rx.toast.success(i18n.gettext("Now due {due}.", due=due))
