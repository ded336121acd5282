"""/tasks: my overdue, today's and upcoming tasks, 50 a page; new tasks on a customer or a deal; edit, one-click
reschedule, done, undo and delete; admins hand a task to someone else. Times are on the user's own clock.

`/tasks?customer=ID` or `/tasks?deal=ID` prefills what the new task is about; `/tasks?show=overdue` (or today,
upcoming, recently_done) shows that one list only (My day links there).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import reflex as rx

from crm_app import formatting, i18n, routes
from crm_app.data.db import read_session, write_session
from crm_app.data.models import ActivityKind, Customer, Role, utcnow
from crm_app.data.permissions import RECORD_WRITERS, Actor, NotFound
from crm_app.data.repositories import tasks
from crm_app.data.repositories.customers import customer_for
from crm_app.data.repositories.orders import deal_target
from crm_app.data.repositories.users import set_time_zone, staff_directory
from crm_app.due_times import (
    DEFAULT_TIME_ZONE, RESCHEDULE_LABELS, Reschedule, known_time_zone, next_working_hour, wall_clock,
)
from crm_app.labels import label
from crm_app.states.auth import current_actor, staff_event
from crm_app.states.customer_picker import CustomerPicker
from crm_app.states.forms import as_id, parse_form

EVERYONE = "everyone"
BUCKETS = (("overdue", i18n.N_("Overdue")), ("today", i18n.N_("Today")), ("upcoming", i18n.N_("Upcoming")),
           ("recently_done", i18n.N_("Done this week")))
# Read in the browser on the first load of /tasks: the default of the user's time zone setting.
BROWSER_TIME_ZONE = "Intl.DateTimeFormat().resolvedOptions().timeZone"
KINDS = tuple(kind.value for kind in ActivityKind)
DRAFT_FIELDS = ("subject", "kind", "due_on", "due_time", "notes")
RESCHEDULES = tuple((choice.value, label) for choice, label in RESCHEDULE_LABELS.items())


def _when(moment: datetime | None, time_zone: str | None) -> str:
    return formatting.moment(moment, time_zone) if moment else ""


def _row(row: tasks.TaskRow, time_zone: str | None) -> dict[str, str]:
    due = wall_clock(row.due_at, time_zone)
    return {
        "id": str(row.id), "subject": row.subject, "kind": str(row.kind), "kind_label": label(row.kind), "notes": row.notes or "",
        "due": _when(row.due_at, time_zone), "due_on": due.date().isoformat(), "due_time": due.strftime("%H:%M"),
        "done_at": _when(row.done_at, time_zone), "owner": row.owner_name,
        "customer": row.customer_name or "", "customer_link": routes.customer_page(row.customer_id)
        if row.customer_id else "", "deal": row.deal_title or "",
    }


class TasksState(CustomerPicker, rx.State):
    # Every bucket present from the first render, so the page never reads a missing list.
    buckets: dict[str, list[dict[str, str]]] = {name: [] for name, _ in BUCKETS}
    counts: dict[str, str] = {name: "0" for name, _ in BUCKETS}
    # Per bucket: the page shown (0 first) and how many pages it has.
    pages: dict[str, int] = {name: 0 for name, _ in BUCKETS}
    page_counts: dict[str, int] = {name: 1 for name, _ in BUCKETS}
    time_zone: str = "UTC"
    # The one list shown ("" for all of them), from ?show=.
    show: str = ""
    owner: str = ""
    owners: list[dict[str, str]] = []
    shows_owner_filter: bool = False
    can_write: bool = False
    can_reassign: bool = False

    # The new task form: what it is about, and the inline messages.
    deal_id: int = 0
    about: str = ""
    errors: dict[str, str] = {}
    # The new task's default due day and time: the next working hour on the user's clock.
    default_due_on: str = ""
    default_due_time: str = "09:00"

    # A new key after each saved task gives the user an empty form (a refused one keeps what they typed).
    form_key: int = 0

    # The task being edited (0: none), its values as the form starts, and the form's inline messages.
    editing_id: int = 0
    editing: dict[str, str] = {}
    edit_errors: dict[str, str] = {}

    confirm_delete_id: int = 0
    confirm_delete_subject: str = ""

    def _reload(self, actor: Actor | None = None) -> None:
        actor = actor or current_actor()
        owner_id = as_id(self.owner)
        now = wall_clock(utcnow(), actor.time_zone)
        with read_session() as session:
            board = tasks.task_board(session=session, actor=actor, now=now, owner_id=owner_id, pages=self.pages)
            directory = staff_directory(session=session, actor=actor) if actor.reads_everything else []
        lists = {name: getattr(board, name) for name, _ in BUCKETS}
        self.buckets = {name: [_row(row, actor.time_zone) for row in bucket.rows] for name, bucket in lists.items()}
        self.counts = {name: formatting.number(bucket.total) for name, bucket in lists.items()}
        self.pages = {name: bucket.page for name, bucket in lists.items()}
        self.page_counts = {name: max(1, -(-bucket.total // tasks.BUCKET_SIZE)) for name, bucket in lists.items()}
        self.time_zone = known_time_zone(actor.time_zone) or DEFAULT_TIME_ZONE
        due = wall_clock(next_working_hour(utcnow(), actor.time_zone), actor.time_zone)
        self.default_due_on, self.default_due_time = due.date().isoformat(), due.strftime("%H:%M")
        self.owners = [{"id": str(uid), "name": name} for uid, name, role in directory if role in RECORD_WRITERS]
        self.shows_owner_filter, self.can_write = actor.reads_everything, actor.writes_records
        self.can_reassign = actor.is_admin

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
    def load(self) -> Any:
        self.reset()
        actor = current_actor()
        show = self.router.url.query_parameters.get("show")
        self.show = show if isinstance(show, str) and show in self.pages else ""
        self.owner = "" if not actor.reads_everything else str(as_id(self.router.url.query_parameters.get("owner"))
                                                              or EVERYONE)
        self._prefill()
        self._reload()
        if actor.time_zone is None:  # no zone chosen yet: the browser's becomes the user's
            return rx.call_script(BROWSER_TIME_ZONE, callback=TasksState.adopt_browser_time_zone)
        return None

    @staff_event()
    def adopt_browser_time_zone(self, time_zone: str) -> None:
        """The browser's zone becomes the user's, unless they chose one (an unknown name changes nothing)."""
        actor = current_actor()
        with write_session() as session:
            try:
                zone = set_time_zone(session=session, actor=actor, time_zone=time_zone, only_if_unset=True)
            except ValueError:
                return
        self._reload(replace(actor, time_zone=zone))

    @staff_event()
    def go_to_page(self, bucket: str, page: int) -> None:
        valid_bucket = isinstance(bucket, str) and bucket in self.pages
        if not valid_bucket or isinstance(page, bool) or not isinstance(page, int) or page < 0:
            return
        self.pages = self.pages | {bucket: page}
        self._reload()

    @staff_event()
    def set_owner(self, value: str) -> Any:
        owner = as_id(value)
        query = urlencode({key: kept for key, kept in (("owner", owner), ("show", self.show)) if kept})
        return rx.redirect(routes.TASKS + (f"?{query}" if query else ""))

    def _show_customer(self, customer: Customer | None) -> None:
        self.deal_id, self.about = 0, customer.name if customer else ""

    @staff_event(Role.admin, Role.sales_rep)
    def create_task(self, form_data: dict) -> Any:
        draft, self.errors = parse_form(tasks.TaskDraft, form_data, DRAFT_FIELDS)
        if not self.customer_id and not self.deal_id:
            self.errors["customer"] = i18n.gettext("Choose the customer this task is about.")
        if self.errors:
            return rx.toast.error(i18n.gettext("Some fields need your attention before the task can be saved."))
        with write_session() as session:
            actor = current_actor()
            task = tasks.create_task(session=session, actor=actor, draft=draft,
                                     customer_id=self.customer_id or None, deal_id=self.deal_id or None)
            due = _when(task.due_at, actor.time_zone)
        self.form_key += 1
        self._reload()
        return rx.toast.success(i18n.gettext("Task saved: due {due}.", due=due))

    @staff_event(Role.admin, Role.sales_rep)
    def mark_done(self, task_id: str, done: bool) -> Any:
        target = as_id(task_id)
        if target is None or not isinstance(done, bool):
            raise NotFound(i18n.N_("No such task."))
        with write_session() as session:
            tasks.set_task_done(session=session, actor=current_actor(), task_id=target, done=done, now=utcnow())
        self._reload()
        return rx.toast.success(i18n.gettext("Marked done." if done else "Opened again."))

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
        return rx.toast.success(i18n.gettext("Task deleted."))

    @staff_event(Role.admin, Role.sales_rep)
    def start_edit(self, task_id: str) -> None:
        """Open the edit form on a task shown on this page (its values come from the server's copy)."""
        target = as_id(task_id)
        shown = next((row for rows in self.buckets.values() for row in rows if row["id"] == str(target)), None)
        if shown is None:
            raise NotFound(i18n.N_("No such task."))
        self.editing_id, self.editing, self.edit_errors = target, shown, {}

    @staff_event()
    def cancel_edit(self) -> None:
        self.editing_id, self.editing, self.edit_errors = 0, {}, {}

    @staff_event(Role.admin, Role.sales_rep)
    def save_edit(self, form_data: dict) -> Any:
        if not self.editing_id:
            return None
        draft, self.edit_errors = parse_form(tasks.TaskDraft, form_data, DRAFT_FIELDS)
        if self.edit_errors:
            return rx.toast.error(i18n.gettext("Some fields need your attention before the task can be saved."))
        with write_session() as session:
            actor = current_actor()
            task = tasks.update_task(session=session, actor=actor, task_id=self.editing_id, draft=draft)
            due = _when(task.due_at, actor.time_zone)
        self.editing_id, self.editing = 0, {}
        self._reload()
        return rx.toast.success(i18n.gettext("Task saved: due {due}.", due=due))

    @staff_event(Role.admin, Role.sales_rep)
    def reschedule(self, task_id: str, choice: str) -> Any:
        target = as_id(task_id)
        if target is None or not isinstance(choice, str) or choice not in {value for value, _ in RESCHEDULES}:
            raise NotFound(i18n.N_("No such task or reschedule."))
        actor = current_actor()
        with write_session() as session:
            task = tasks.reschedule_task(session=session, actor=actor, task_id=target, choice=Reschedule(choice),
                                         now=utcnow())
            due = _when(task.due_at, actor.time_zone)
        self._reload()
        return rx.toast.success(i18n.gettext("Now due {due}.", due=due))

    @staff_event(Role.admin)
    def reassign(self, task_id: str, owner_id: str) -> Any:
        target, owner = as_id(task_id), as_id(owner_id)
        if target is None or owner is None:
            raise NotFound(i18n.N_("No such task or person."))
        with write_session() as session:
            tasks.reassign_task(session=session, actor=current_actor(), task_id=target, owner_id=owner)
        self._reload()
        return rx.toast.success(i18n.gettext("Task handed over."))
