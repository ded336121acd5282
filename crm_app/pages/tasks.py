"""/tasks: overdue, today and upcoming tasks, 50 a page; a form for a new one; edit, reschedule, done, undo, delete
(after a confirmation) and, for admins, hand a task to someone else. Times show on the user's clock."""

import reflex as rx

from crm_app.components.translated import t
from crm_app import routes
from crm_app.components.customer_picker import customer_picker
from crm_app.components.empty_state import empty_state
from crm_app.components.forms import field_error, task_fields
from crm_app.components.shell import staff_page
from crm_app.data.models import ACTIVITY_KIND_LABELS
from crm_app.states.tasks import BUCKETS, EVERYONE, RESCHEDULES, TasksState


def _task(row: dict, bucket: str) -> rx.Component:
    done = bucket == "recently_done"
    return rx.card(
        rx.flex(
            rx.vstack(
                # Subjects and notes are free text: rendered as text, never as HTML or markdown.
                rx.text(row["subject"], weight="medium", data_testid="task-subject"),
                rx.text(t("Done ") if done else t("Due "), row["done_at"] if done else row["due"], " · ", row["kind_label"],
                        rx.cond(row["customer"] != "", rx.fragment(" · ", rx.link(
                            row["customer"], href=row["customer_link"], underline="always"))),
                        rx.cond(row["deal"] != "", rx.fragment(t(" · deal "), row["deal"])),
                        rx.cond(TasksState.shows_owner_filter, rx.fragment(" · ", row["owner"])),
                        size="1", color=rx.color("gray", 11)),
                rx.cond(row["notes"] != "", rx.text(row["notes"], size="1")),
                spacing="1",
                flex="1",
                min_width="12em",
            ),
            rx.cond(
                TasksState.can_write,
                rx.hstack(
                    *([] if done else _open_task_actions(row)),
                    rx.button(
                        t("Undo") if done else t("Mark done"), size="1", variant="soft",
                        on_click=TasksState.mark_done(row["id"], not done),
                        aria_label=(t("Undo done: {value}", value=row["subject"]) if done
                                    else t("Mark done: {value}", value=row["subject"])),
                    ),
                    rx.icon_button(rx.icon("trash-2", size=14), size="1", variant="ghost", color_scheme="red",
                                   on_click=TasksState.ask_to_delete(row["id"], row["subject"]),
                                   aria_label=t("Delete task: {value}", value=row["subject"])),
                    align="center",
                ),
            ),
            wrap="wrap",
            spacing="3",
            align="center",
            width="100%",
        ),
        width="100%",
        data_testid=f"task-{bucket}",
    )


def _open_task_actions(row: dict) -> list[rx.Component]:
    return [
        rx.button(t("Edit"), size="1", variant="soft", color_scheme="gray",
                  on_click=TasksState.start_edit(row["id"]), aria_label=t("Edit task: {value}", value=row["subject"])),
        rx.menu.root(
            rx.menu.trigger(rx.button(t("Reschedule"), size="1", variant="soft",
                                      aria_label=t("Reschedule: {value}", value=row["subject"]))),
            rx.menu.content(*[rx.menu.item(t(label), on_click=TasksState.reschedule(row["id"], choice))
                              for choice, label in RESCHEDULES]),
        ),
        rx.cond(
            TasksState.can_reassign,
            rx.el.select(
                rx.el.option(t("Hand to…"), value=""),
                rx.foreach(TasksState.owners, lambda o: rx.el.option(o["name"], value=o["id"])),
                value="",
                on_change=lambda owner: TasksState.reassign(row["id"], owner),
                aria_label=t("Hand to someone else: {value}", value=row["subject"]),
            ),
        ),
    ]


def _bucket_pager(name: str) -> rx.Component:
    page = TasksState.pages[name]
    return rx.cond(
        TasksState.page_counts[name] > 1,
        rx.hstack(
            rx.button(t("Previous"), size="1", variant="soft", disabled=page <= 0,
                      on_click=TasksState.go_to_page(name, page - 1), aria_label=t("Previous page: {name}", name=name)),
            rx.text(t("Page "), page + 1, t(" of "), TasksState.page_counts[name], size="1",
                    data_testid=f"page-{name}"),
            rx.button(t("Next"), size="1", variant="soft", disabled=page + 1 >= TasksState.page_counts[name],
                      on_click=TasksState.go_to_page(name, page + 1), aria_label=t("Next page: {name}", name=name)),
            align="center",
        ),
    )


EMPTY_BUCKETS = {"overdue": t("Nothing overdue"), "today": t("No tasks due today"), "upcoming": t("No upcoming tasks"),
                 "recently_done": t("No tasks done this week")}


def _bucket(name: str, label: str) -> rx.Component:
    rows = TasksState.buckets[name]
    return rx.vstack(
        rx.heading(label, " (", TasksState.counts[name], ")", size="4", data_testid=f"bucket-{name}"),
        rx.vstack(rx.foreach(rows, lambda row: _task(row, name)), width="100%", spacing="2"),
        empty_state(EMPTY_BUCKETS[name],
                    *([rx.cond(TasksState.can_write, rx.button(rx.icon("plus", size=16), t("New task"), variant="soft",
                                                               on_click=rx.set_focus("field-subject")))]
                      if name in ("today", "upcoming") else []),
                    shown=rows.length() == 0),
        _bucket_pager(name),
        width="100%",
        spacing="2",
    )


def _new_task() -> rx.Component:
    errors = TasksState.errors
    return rx.card(
        rx.vstack(
            rx.heading(t("New task"), size="4"),
            customer_picker(
                id_prefix="task", chosen_name=TasksState.about, query=TasksState.customer_query,
                matches=TasksState.customer_matches, error=errors.get("customer", ""),
                on_search=TasksState.find_customer, on_choose=TasksState.choose_customer,
                on_clear=TasksState.change_customer,
            ),
            rx.form(
                rx.vstack(
                    *task_fields(errors, due_on=TasksState.default_due_on, due_time=TasksState.default_due_time,
                                 time_zone=TasksState.time_zone),
                    rx.button(t("Save task"), type="submit"),
                    spacing="3",
                    width="100%",
                ),
                on_submit=TasksState.create_task,
                # Remounted after each save, and once today's date is known, so the defaults show.
                key=TasksState.form_key.to_string() + TasksState.default_due_on + TasksState.default_due_time,
                width="100%",
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _edit_field(label, name: str, **props) -> rx.Component:
    """A field of the edit dialog: its own ids, so it never clashes with the new task form's."""
    return rx.vstack(
        rx.el.label(label, html_for=f"edit-{name}"),
        rx.input(id=f"edit-{name}", name=name, width="100%", **props),
        field_error(TasksState.edit_errors, name),
        spacing="1",
        width="100%",
    )


def _edit_task() -> rx.Component:
    errors, task = TasksState.edit_errors, TasksState.editing
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(t("Edit task")),
            rx.form(
                rx.vstack(
                    _edit_field(t("What is to be done"), "subject", max_length=200, default_value=task["subject"]),
                    rx.flex(
                        rx.vstack(
                            rx.el.label(t("Kind"), html_for="edit-kind"),
                            rx.el.select(*[rx.el.option(t(text), value=kind) for kind, text in ACTIVITY_KIND_LABELS.items()],
                                         name="kind", id="edit-kind", default_value=task["kind"]),
                            field_error(errors, "kind"),
                            spacing="1",
                        ),
                        rx.box(_edit_field(t("Due date"), "due_on", type="date", default_value=task["due_on"]),
                               min_width="10em"),
                        rx.box(_edit_field(t("Time ({time_zone})", time_zone=TasksState.time_zone), "due_time", type="time",
                                           default_value=task["due_time"]), min_width="8em"),
                        wrap="wrap",
                        spacing="3",
                        width="100%",
                    ),
                    rx.vstack(
                        rx.el.label(t("Notes (optional)"), html_for="edit-notes"),
                        rx.text_area(id="edit-notes", name="notes", max_length=4000, width="100%",
                                     default_value=task["notes"]),
                        field_error(errors, "notes"),
                        spacing="1",
                        width="100%",
                    ),
                    rx.hstack(
                        rx.button(t("Cancel"), type="button", variant="soft", color_scheme="gray",
                                  on_click=TasksState.cancel_edit),
                        rx.button(t("Save changes"), type="submit"),
                        justify="end",
                        spacing="3",
                        width="100%",
                    ),
                    spacing="3",
                    width="100%",
                ),
                on_submit=TasksState.save_edit,
                key=TasksState.editing_id.to_string(),
                width="100%",
            ),
        ),
        open=TasksState.editing_id > 0,
    )


def _confirm_delete() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title(t("Delete this task?")),
            rx.alert_dialog.description(rx.text("“", TasksState.confirm_delete_subject, t("” will be removed."))),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button(t("Keep it"), variant="soft", color_scheme="gray",
                                                 on_click=TasksState.cancel_delete)),
                rx.alert_dialog.action(rx.button(t("Delete"), color_scheme="red", on_click=TasksState.delete_task)),
                justify="end",
                spacing="3",
                margin_top="1em",
            ),
        ),
        open=TasksState.confirm_delete_id > 0,
    )


def _owner_filter() -> rx.Component:
    return rx.cond(
        TasksState.shows_owner_filter,
        rx.vstack(
            rx.text(t("Whose tasks"), size="1", color=rx.color("gray", 11)),
            rx.select.root(
                rx.select.trigger(aria_label=t("Whose tasks")),
                rx.select.content(rx.select.item(t("Everyone"), value=EVERYONE),
                                  rx.foreach(TasksState.owners, lambda o: rx.select.item(o["name"], value=o["id"]))),
                value=TasksState.owner,
                on_change=TasksState.set_owner,
            ),
            spacing="1",
        ),
    )


@staff_page(route=routes.TASKS, title="Tasks", on_load=TasksState.load)
def tasks() -> rx.Component:
    return rx.vstack(
        _owner_filter(),
        rx.cond(TasksState.show != "", rx.hstack(
            rx.text(t("Showing one list only."), size="2"),
            rx.link(t("Show all tasks"), href=routes.TASKS, size="2"), spacing="2", data_testid="tasks-one-list")),
        rx.cond(TasksState.can_write, _new_task()),
        rx.grid(
            *[rx.cond((TasksState.show == "") | (TasksState.show == name), _bucket(name, t(label)))
              for name, label in BUCKETS],
            columns=rx.breakpoints(initial="1", lg="2"),
            spacing="5",
            width="100%",
        ),
        _edit_task(),
        _confirm_delete(),
        spacing="5",
        width="100%",
        max_width="80em",
    )
