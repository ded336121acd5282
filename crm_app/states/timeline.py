"""The timeline of the record a page shows (a customer, or a deal): its pages, the composer, edit and delete.

A page opens it with `await open_timeline(self, customer_id=...)` (or `deal_id=`) from its own load, so the
subject is always one the server checked; clients only choose kinds, entries and text, all checked here and in
the repository.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import reflex as rx

from crm_app import i18n, routes
from crm_app.data.db import read_session, write_session
from crm_app.data.models import Role, utcnow
from crm_app.data.permissions import NotFound
from crm_app.data.repositories import tasks, timeline
from crm_app.data.repositories.timeline import Cursor, TimelineEntry
from crm_app.domain import OUTCOMES, LoggedKind
from crm_app.due_times import DEFAULT_TIME_ZONE, known_time_zone
from crm_app.formatting import moment
from crm_app.labels import label as label_of
from crm_app.states.auth import current_actor, staff_event
from crm_app.states.forms import parse_form

ALL = "all"
_LOGGED_KINDS = frozenset(kind.value for kind in LoggedKind)
DRAFT_FIELDS = ("kind", "body", "outcome", "duration_minutes")
FOLLOW_UP_FIELDS = {"subject": "follow_up_subject", "due_on": "follow_up_due_on", "due_time": "follow_up_due_time"}
ICONS = {"note": "sticky-note", "call": "phone", "email": "mail", "meeting": "users", "task_created": "list-plus",
         "task_done": "circle-check", "order": "receipt", "stage_move": "kanban", "feedback": "message-circle",
         "campaign": "megaphone", "change": "history"}
# Web addresses in what people wrote become links; anything else stays text (never HTML).
_LINK = re.compile(r"\bhttps?://[^\s<>\"']+|\bwww\.[^\s<>\"']+", re.IGNORECASE)


@dataclass
class TextPart:
    text: str
    href: str = ""


@dataclass
class TimelineRow:
    key: str
    id: int
    kind: str
    icon: str
    when: str
    title: str
    who: str
    parts: list[TextPart] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    link: str = ""
    link_label: str = ""
    own: bool = False
    edited: bool = False
    body: str = ""
    outcome: str = ""
    duration: str = ""


def text_parts(text: str) -> list[TextPart]:
    """`text` cut into plain runs and web addresses (http, https or www.), line breaks kept; a trailing full
    stop, comma or closing bracket is not part of an address."""
    parts, start = [], 0
    for match in _LINK.finditer(text):
        address = match.group(0).rstrip(".,;:!?)]")
        end = match.start() + len(address)
        if match.start() > start:
            parts.append(TextPart(text=text[start:match.start()]))
        href = address if address.lower().startswith("http") else f"https://{address}"
        parts.append(TextPart(text=address, href=href))
        start = end
    if start < len(text):
        parts.append(TextPart(text=text[start:]))
    return parts


def _row(entry: TimelineEntry, time_zone: str) -> TimelineRow:
    link, label = "", ""
    if entry.order_id is not None:
        link, label = routes.order_page(entry.order_id), i18n.gettext("Open order #{number}", number=entry.order_id)
    elif entry.deal_id is not None:
        link, label = routes.deal_page(entry.deal_id), i18n.gettext("Open deal")
    return TimelineRow(
        key=f"{entry.kind}-{entry.id}", id=entry.id, kind=entry.kind, icon=ICONS[entry.kind],
        when=moment(entry.at, time_zone), title=entry.title, who=entry.who or "",
        parts=text_parts(entry.body), changes=list(entry.changes), link=link, link_label=label, own=entry.own,
        edited=entry.edited, body=entry.body if entry.own else "", outcome=entry.outcome or "",
        duration=str(entry.duration_minutes or ""),
    )


def _cursor_state(cursor: Cursor | None) -> tuple[str, str, int] | None:
    return None if cursor is None else (cursor.at.isoformat(), cursor.kind, cursor.id)


class TimelineState(rx.State):
    customer_id: int = 0
    deal_id: int = 0
    rows: list[TimelineRow] = []
    has_more: bool = False
    # The kinds shown (FILTERS keys, in their order); none chosen shows everything.
    kind_filters: list[str] = []
    can_write: bool = False
    time_zone: str = DEFAULT_TIME_ZONE  # the user's: times are shown and follow-up times typed on their clock
    # The composer: the kind chosen (its outcome and duration show for calls and meetings), inline errors, and a
    # key that remounts the form after a save so its fields empty; after an error they keep what was typed.
    composer_kind: str = LoggedKind.note.value
    errors: dict[str, str] = {}
    form_key: int = 0
    editing_key: str = ""
    edit_kind: str = LoggedKind.note.value
    edit_errors: dict[str, str] = {}
    _next: tuple[str, str, int] | None = None

    @rx.var
    def outcome_choices(self) -> list[str]:
        return list(OUTCOMES.get(self.composer_kind, ()))

    @rx.var
    def edit_outcome_choices(self) -> list[str]:
        return list(OUTCOMES.get(self.edit_kind, ()))

    # --- opening and paging -------------------------------------------------------------------------------

    def _open(self, *, customer_id: int | None = None, deal_id: int | None = None) -> None:
        """Show the first page of a customer's or a deal's timeline (called from the page's own load)."""
        self.reset()
        self.customer_id, self.deal_id = customer_id or 0, deal_id or 0
        actor = current_actor()
        self.can_write = actor.writes_records
        self.time_zone = known_time_zone(actor.time_zone) or DEFAULT_TIME_ZONE
        self._show_first_page()

    def _page(self, after: Cursor | None) -> timeline.TimelinePage:
        if not (self.customer_id or self.deal_id):
            raise NotFound(i18n.N_("No such customer."))
        kinds = frozenset(self.kind_filters)
        with read_session() as session:
            return timeline.timeline_page(session=session, actor=current_actor(), customer_id=self.customer_id or None,
                                          deal_id=self.deal_id or None, kinds=kinds, after=after)

    def _show_first_page(self) -> None:
        page = self._page(None)
        self.rows = [_row(entry, self.time_zone) for entry in page.entries]
        self.has_more, self._next = page.next_cursor is not None, _cursor_state(page.next_cursor)

    @staff_event()
    def load_more(self) -> None:
        if self._next is None:
            return
        at, kind, row_id = self._next
        page = self._page(Cursor(at=datetime.fromisoformat(at), kind=kind, id=row_id))
        self.rows = self.rows + [_row(entry, self.time_zone) for entry in page.entries]
        self.has_more, self._next = page.next_cursor is not None, _cursor_state(page.next_cursor)

    @staff_event()
    def toggle_kind_filter(self, value: Any) -> None:
        """Add a kind to those shown, or take it away; ALL (or anything unknown) shows everything again."""
        if not isinstance(value, str) or value not in timeline.FILTERS:
            self.kind_filters = []
        else:
            chosen = set(self.kind_filters) ^ {value}
            self.kind_filters = [kind for kind in timeline.FILTERS if kind in chosen]
        self._show_first_page()

    # --- the composer -------------------------------------------------------------------------------------

    @staff_event(Role.admin, Role.sales_rep)
    def set_composer_kind(self, value: Any) -> None:
        if isinstance(value, str) and value in _LOGGED_KINDS:
            self.composer_kind = value

    @staff_event(Role.admin, Role.sales_rep)
    def log_activity(self, form_data: Any) -> Any:
        form = form_data if isinstance(form_data, dict) else {}
        draft, self.errors = parse_form(timeline.ActivityDraft, form | {"kind": self.composer_kind}, DRAFT_FIELDS)
        follow_up = None
        if any(isinstance(form.get(name), str) and form[name].strip() for name in
               (FOLLOW_UP_FIELDS["subject"], FOLLOW_UP_FIELDS["due_on"])):
            follow_up, errors = parse_form(tasks.TaskDraft, {field: form.get(name)
                                                             for field, name in FOLLOW_UP_FIELDS.items()},
                                           tuple(FOLLOW_UP_FIELDS))
            self.errors |= {FOLLOW_UP_FIELDS.get(field, "follow_up_subject"): message
                            for field, message in errors.items()}
        if self.errors:
            return rx.toast.error(i18n.gettext("Some fields need your attention before this can be saved."))
        with write_session() as session:
            timeline.log_activity(session=session, actor=current_actor(), draft=draft, now=utcnow(),
                                  customer_id=self.customer_id or None, deal_id=self.deal_id or None,
                                  follow_up=follow_up)
        self.form_key += 1
        self._show_first_page()
        return rx.toast.success(i18n.gettext("{kind} logged with a follow-up task." if follow_up else "{kind} logged.",
                                             kind=label_of(draft.kind.value)))

    # --- editing and deleting one's own entries ------------------------------------------------------------

    def _own_row(self, key: Any) -> TimelineRow:
        row = next((row for row in self.rows if isinstance(key, str) and row.key == key and row.own), None)
        if row is None:
            raise NotFound(i18n.N_("No such entry of yours."))
        return row

    @staff_event(Role.admin, Role.sales_rep)
    def start_edit(self, key: Any) -> None:
        row = self._own_row(key)
        self.editing_key, self.edit_kind, self.edit_errors = row.key, row.kind, {}

    @staff_event(Role.admin, Role.sales_rep)
    def set_edit_kind(self, value: Any) -> None:
        if isinstance(value, str) and value in _LOGGED_KINDS:
            self.edit_kind = value

    @staff_event(Role.admin, Role.sales_rep)
    def cancel_edit(self) -> None:
        self.editing_key, self.edit_errors = "", {}

    @staff_event(Role.admin, Role.sales_rep)
    def save_edit(self, form_data: Any) -> Any:
        row = self._own_row(self.editing_key)
        form = form_data if isinstance(form_data, dict) else {}
        draft, self.edit_errors = parse_form(timeline.ActivityDraft, form | {"kind": self.edit_kind}, DRAFT_FIELDS)
        if self.edit_errors:
            return rx.toast.error(i18n.gettext("Some fields need your attention before this can be saved."))
        with write_session() as session:
            timeline.edit_activity(session=session, actor=current_actor(), activity_id=row.id, draft=draft,
                                   now=utcnow())
        self.editing_key = ""
        self._show_first_page()
        return rx.toast.success(i18n.gettext("Entry saved."))

    @staff_event(Role.admin, Role.sales_rep)
    def delete_entry(self, key: Any) -> Any:
        row = self._own_row(key)
        with write_session() as session:
            timeline.delete_activity(session=session, actor=current_actor(), activity_id=row.id)
        self._show_first_page()
        return rx.toast.success(i18n.gettext("Entry deleted."))


async def open_timeline(state: rx.State, *, customer_id: int | None = None, deal_id: int | None = None) -> None:
    """From a page's load handler: show that record's timeline."""
    timeline_state = await state.get_state(TimelineState)
    timeline_state._open(customer_id=customer_id, deal_id=deal_id)
