"""One deal's page: its facts, stage history with the time spent in each stage, tasks, the order it became and
its timeline; its owner (or an admin) edits it under the board's rules, enforced by the deals repository."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import reflex as rx

from crm_app import i18n, routes
from crm_app.data.db import read_session, write_session
from crm_app.data.models import Role
from crm_app.data.permissions import NotFound
from crm_app.data.repositories import deals
from crm_app.data.repositories.users import staff_directory
from crm_app.domain import DealStage, deal_is_overdue
from crm_app.formatting import day, moment, money, percent
from crm_app.labels import label
from crm_app.states.auth import current_actor, staff_event
from crm_app.states.forms import as_id, parse_form
from crm_app.states.timeline import open_timeline


def time_in_stage(spent: timedelta | None) -> str:
    """A stage's time as people say it: "3 d 4 h", "5 h 20 min", "12 min"; "–" for the stage a closed deal rests in."""
    if spent is None:
        return "–"
    minutes = int(spent.total_seconds() // 60)
    days, hours, mins = minutes // 1440, minutes % 1440 // 60, minutes % 60
    if days:
        return i18n.gettext("{days} d {hours} h", days=days, hours=hours)
    return (i18n.gettext("{hours} h {minutes} min", hours=hours, minutes=mins) if hours
            else i18n.gettext("{minutes} min", minutes=mins))


class DealState(rx.State):
    found: bool = False
    missing: str = ""
    deal_id: int = 0
    facts: dict[str, str] = {}
    # The edit form's current values, as typed.
    form: dict[str, str] = {}
    errors: dict[str, str] = {}
    stage: str = ""
    stages: list[dict[str, str]] = []
    tasks: list[dict[str, str]] = []
    order: dict[str, str] = {}
    owners: list[dict[str, str]] = []
    owner_id: str = ""
    can_change: bool = False
    can_reassign: bool = False

    def _id_from_path(self) -> int | None:
        return as_id(str(self.router.url.path).rstrip("/").rsplit("/", 1)[-1])

    def _show(self, deal_id: int | None) -> None:
        actor, now = current_actor(), datetime.now(UTC)
        self.reset()
        if deal_id is None:
            self.missing = i18n.gettext("No such deal.")
            return
        try:
            with read_session() as session:
                file = deals.deal_file(session=session, actor=actor, deal_id=deal_id)
                directory = staff_directory(session=session, actor=actor) if actor.is_admin else []
        except NotFound as missing:
            self.missing = str(missing)
            return
        d = file.deal
        self.found, self.deal_id, self.stage, self.owner_id = True, d.id, d.stage, str(d.owner_id)
        self.facts = {
            "title": d.title, "customer": file.customer_name, "customer_link": routes.customer_page(d.customer_id),
            "amount": money(d.amount), "stage": d.stage, "probability": percent(d.probability, decimals=0),
            "close": day(d.expected_close_date), "owner": file.owner_name, "lost_reason": d.lost_reason or "–",
            "created": moment(d.created_at, actor.time_zone), "closed": moment(d.closed_at, actor.time_zone),
            "overdue": "yes" if deal_is_overdue(d.stage, d.expected_close_date, now.date()) else "",
        }
        self.form = {"title": d.title, "amount": f"{d.amount:.2f}",
                     "expected_close_date": str(d.expected_close_date or "")}
        self.stages = [{"stage": spell.stage.value, "entered": moment(spell.entered_at, actor.time_zone),
                        "left": moment(spell.left_at, actor.time_zone) if spell.left_at else "now",
                        "spent": time_in_stage(spell.time_spent(now))} for spell in file.stages]
        self.tasks = [{"subject": t.subject, "kind": label(t.kind), "due": moment(t.due_at, actor.time_zone), "done": "done" if t.done else "open"}
                      for t in file.tasks]
        if file.order:
            self.order = {"number": f"#{file.order.id}", "link": routes.order_page(file.order.id),
                          "status": label(file.order.status), "total": money(file.order.total_amount)}
        self.owners = [{"id": str(uid), "name": name} for uid, name, role in directory
                       if role in (Role.sales_rep, Role.admin)]
        self.can_change = actor.is_admin or (actor.role == Role.sales_rep and d.owner_id == actor.id)
        self.can_reassign = actor.is_admin

    async def _reload(self, deal_id: int | None) -> None:
        """Show the deal and its timeline (whose stage moves and changes follow every edit)."""
        self._show(deal_id)
        if self.found:
            await open_timeline(self, deal_id=self.deal_id)

    @staff_event()
    async def load(self) -> None:
        await self._reload(self._id_from_path())

    @staff_event(Role.sales_rep, Role.admin)
    async def save_details(self, form_data: dict) -> Any:
        """The edit form: title, amount, expected close date, validated and saved by the repository's rules."""
        details, errors = parse_form(deals.DealDetails, form_data, deals.DETAIL_FIELDS)
        if details is None:
            self.errors = errors
            return None
        with write_session() as session:
            deals.update_deal(session=session, actor=current_actor(), deal_id=self.deal_id, details=details)
        await self._reload(self.deal_id)
        return rx.toast.success(i18n.gettext("Deal saved."))

    @staff_event(Role.sales_rep, Role.admin)
    async def change_stage(self, form_data: dict) -> Any:
        """Move the deal to another stage, as on the board: Lost needs a reason."""
        form = form_data if isinstance(form_data, dict) else {}
        try:
            with write_session() as session:
                move = deals.move_deal(session=session, actor=current_actor(), deal_id=self.deal_id,
                                       stage=form.get("stage"), lost_reason=form.get("lost_reason"))
        except deals.InvalidDealChange as refusal:
            self.errors = {refusal.field: str(refusal)}
            return None
        await self._reload(self.deal_id)
        return rx.toast.success(i18n.gettext("Moved to {value}.", value=label(move.to_stage.value)))

    @staff_event(Role.admin)
    async def reassign(self, owner_id: str) -> Any:
        try:
            with write_session() as session:
                deals.reassign_deal(session=session, actor=current_actor(), deal_id=self.deal_id,
                                    owner_id=as_id(owner_id))
        except deals.InvalidDealChange as refusal:
            return rx.toast.error(i18n.say(str(refusal)))
        await self._reload(self.deal_id)
        return rx.toast.success(i18n.gettext("The deal has a new owner."))


STAGE_CHOICES = [stage.value for stage in DealStage]
