"""/tasks: my overdue, today's and upcoming tasks; new tasks on a customer or a deal; done, undo and delete.

`/tasks?customer=ID` or `/tasks?deal=ID` prefills what the new task is about.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import reflex as rx

from crm_app import routes
from crm_app.data.db import read_session, write_session
from crm_app.data.models import ActivityKind, Customer, Role, utcnow
from crm_app.data.permissions import NotFound
from crm_app.data.repositories import tasks
from crm_app.data.repositories.customers import customer_for
from crm_app.data.repositories.orders import deal_target
from crm_app.data.repositories.users import staff_directory
from crm_app.states.auth import current_actor, staff_event
from crm_app.states.customer_picker import CustomerPicker
from crm_app.states.forms import as_id, parse_form

EVERYONE = "everyone"
BUCKETS = (("overdue", "Overdue"), ("today", "Today"), ("upcoming", "Upcoming"), ("recently_done", "Done this week"))
KINDS = tuple(kind.value for kind in ActivityKind)
DRAFT_FIELDS = ("subject", "kind", "due_on", "due_time", "notes")


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else ""


def _row(row: tasks.TaskRow) -> dict[str, str]:
    return {
        "id": str(row.id), "subject": row.subject, "kind": str(row.kind), "notes": row.notes or "",
        "due": _when(row.due_at), "done_at": _when(row.done_at), "owner": row.owner_name,
        "customer": row.customer_name or "", "customer_link": routes.customer_page(row.customer_id)
        if row.customer_id else "", "deal": row.deal_title or "",
    }


class TasksState(CustomerPicker, rx.State):
    # Every bucket present from the first render, so the page never reads a missing list.
    buckets: dict[str, list[dict[str, str]]] = {name: [] for name, _ in BUCKETS}
    counts: dict[str, str] = {name: "0" for name, _ in BUCKETS}
    owner: str = ""
    owners: list[dict[str, str]] = []
    shows_owner_filter: bool = False
    can_write: bool = False

    # The new task form: what it is about, and the inline messages.
    deal_id: int = 0
    about: str = ""
    errors: dict[str, str] = {}
    today: str = ""
    # A new key after each saved task gives the user an empty form (a refused one keeps what they typed).
    form_key: int = 0

    confirm_delete_id: int = 0
    confirm_delete_subject: str = ""

    def _reload(self) -> None:
        actor = current_actor()
        owner_id = as_id(self.owner)
        with read_session() as session:
            board = tasks.task_board(session=session, actor=actor, now=utcnow(), owner_id=owner_id)
            directory = staff_directory(session=session, actor=actor) if actor.reads_everything else []
        self.buckets = {name: [_row(row) for row in getattr(board, name).rows] for name, _ in BUCKETS}
        self.counts = {name: f"{getattr(board, name).total:,}" for name, _ in BUCKETS}
        self.owners = [{"id": str(uid), "name": name} for uid, name, role in directory if role != Role.executive]
        self.shows_owner_filter, self.can_write = actor.reads_everything, actor.role != Role.executive

    def _prefill(self) -> None:
        """What the new task is about, from ?deal= or ?customer=, when the user may see it."""
        params, actor = self.router.url.query_parameters, current_actor()
        deal_id, customer_id = as_id(params.get("deal")), as_id(params.get("customer"))
        with read_session() as session:
            try:
                if deal_id is not None:
                    deal = deal_target(session=session, actor=actor, deal_id=deal_id)
                    customer = customer_for(session=session, actor=actor, customer_id=deal.customer_id)
                    self.deal_id, self.customer_id = deal.id, customer.id
                    self.about = f"{deal.title} ({customer.name})"
                elif customer_id is not None:
                    customer = customer_for(session=session, actor=actor, customer_id=customer_id)
                    self.customer_id, self.about = customer.id, customer.name
            except NotFound:
                self.deal_id = self.customer_id = 0
                self.about = ""

    @staff_event()
    def load(self) -> None:
        self.reset()
        actor = current_actor()
        self.owner = "" if not actor.reads_everything else str(as_id(self.router.url.query_parameters.get("owner"))
                                                              or EVERYONE)
        self.today = utcnow().date().isoformat()
        self._prefill()
        self._reload()

    @staff_event()
    def set_owner(self, value: str) -> Any:
        owner = as_id(value)
        query = urlencode({"owner": owner}) if owner else ""
        return rx.redirect(routes.TASKS + (f"?{query}" if query else ""))

    def _show_customer(self, customer: Customer | None) -> None:
        self.deal_id, self.about = 0, customer.name if customer else ""

    @staff_event(Role.admin, Role.sales_rep)
    def create_task(self, form_data: dict) -> Any:
        draft, self.errors = parse_form(tasks.TaskDraft, form_data, DRAFT_FIELDS)
        if not self.customer_id and not self.deal_id:
            self.errors["customer"] = "Choose the customer this task is about."
        if self.errors:
            return rx.toast.error("Some fields need your attention before the task can be saved.")
        with write_session() as session:
            tasks.create_task(session=session, actor=current_actor(), draft=draft,
                              customer_id=self.customer_id or None, deal_id=self.deal_id or None)
        self.form_key += 1
        self._reload()
        return rx.toast.success(f"Task saved: due {draft.due_on} {draft.due_time:%H:%M}.")

    @staff_event(Role.admin, Role.sales_rep)
    def mark_done(self, task_id: str, done: bool) -> Any:
        target = as_id(task_id)
        if target is None or not isinstance(done, bool):
            raise NotFound("No such task.")
        with write_session() as session:
            tasks.set_task_done(session=session, actor=current_actor(), task_id=target, done=done, now=utcnow())
        self._reload()
        return rx.toast.success("Marked done." if done else "Opened again.")

    @staff_event(Role.admin, Role.sales_rep)
    def ask_to_delete(self, task_id: str, subject: str) -> None:
        self.confirm_delete_id = as_id(task_id) or 0
        self.confirm_delete_subject = subject[:200] if isinstance(subject, str) else ""

    @staff_event()
    def cancel_delete(self) -> None:
        self.confirm_delete_id, self.confirm_delete_subject = 0, ""

    @staff_event(Role.admin, Role.sales_rep)
    def delete_task(self) -> Any:
        target, self.confirm_delete_id = self.confirm_delete_id, 0
        if not target:
            return None
        with write_session() as session:
            tasks.delete_task(session=session, actor=current_actor(), task_id=target)
        self._reload()
        return rx.toast.success("Task deleted.")
