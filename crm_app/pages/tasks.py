"""/tasks: overdue, today and upcoming tasks; a form for a new one; done, undo and delete (after a confirmation)."""

import reflex as rx

from crm_app import routes
from crm_app.components.customer_picker import customer_picker
from crm_app.components.forms import field_error, text_field
from crm_app.components.shell import staff_page
from crm_app.states.tasks import BUCKETS, EVERYONE, KINDS, TasksState


def _task(row: dict, bucket: str) -> rx.Component:
    done = bucket == "recently_done"
    return rx.card(
        rx.flex(
            rx.vstack(
                # Subjects and notes are free text: rendered as text, never as HTML or markdown.
                rx.text(row["subject"], weight="medium", data_testid="task-subject"),
                rx.text("Done " if done else "Due ", row["done_at"] if done else row["due"], " · ", row["kind"],
                        rx.cond(row["customer"] != "", rx.fragment(" · ", rx.link(row["customer"],
                                                                                 href=row["customer_link"]))),
                        rx.cond(row["deal"] != "", rx.fragment(" · deal ", row["deal"])),
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
                    rx.button(
                        "Undo" if done else "Mark done", size="1", variant="soft",
                        on_click=TasksState.mark_done(row["id"], not done),
                        aria_label=("Undo done: " if done else "Mark done: ") + row["subject"],
                    ),
                    rx.icon_button(rx.icon("trash-2", size=14), size="1", variant="ghost", color_scheme="red",
                                   on_click=TasksState.ask_to_delete(row["id"], row["subject"]),
                                   aria_label="Delete task: " + row["subject"]),
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


def _bucket(name: str, label: str) -> rx.Component:
    return rx.vstack(
        rx.heading(label, " (", TasksState.counts[name], ")", size="4", data_testid=f"bucket-{name}"),
        rx.cond(
            TasksState.buckets[name].length() > 0,
            rx.vstack(rx.foreach(TasksState.buckets[name], lambda row: _task(row, name)), width="100%", spacing="2"),
            rx.text("Nothing here.", size="2", color=rx.color("gray", 10)),
        ),
        width="100%",
        spacing="2",
    )


def _new_task() -> rx.Component:
    errors = TasksState.errors
    return rx.card(
        rx.vstack(
            rx.heading("New task", size="4"),
            customer_picker(
                id_prefix="task", chosen_name=TasksState.about, query=TasksState.customer_query,
                matches=TasksState.customer_matches, error=errors.get("customer", ""),
                on_search=TasksState.find_customer, on_choose=TasksState.choose_customer,
                on_clear=TasksState.change_customer,
            ),
            rx.form(
                rx.vstack(
                    text_field("What is to be done", "subject", errors, max_length=200),
                    rx.flex(
                        rx.vstack(
                            rx.el.label("Kind", html_for="field-kind"),
                            rx.el.select(*[rx.el.option(kind.title(), value=kind) for kind in KINDS], name="kind",
                                         id="field-kind", default_value="task"),
                            field_error(errors, "kind"),
                            spacing="1",
                        ),
                        rx.box(text_field("Due date", "due_on", errors, type="date",
                                          default_value=TasksState.today), min_width="10em"),
                        rx.box(text_field("Time (UTC)", "due_time", errors, type="time", default_value="09:00"),
                               min_width="8em"),
                        wrap="wrap",
                        spacing="3",
                        width="100%",
                    ),
                    rx.vstack(
                        rx.el.label("Notes (optional)", html_for="field-notes"),
                        rx.text_area(id="field-notes", name="notes", max_length=4000, width="100%",
                                     aria_describedby="notes-error"),
                        field_error(errors, "notes"),
                        spacing="1",
                        width="100%",
                    ),
                    rx.button("Save task", type="submit"),
                    spacing="3",
                    width="100%",
                ),
                on_submit=TasksState.create_task,
                # Remounted after each save, and once today's date is known, so the defaults show.
                key=TasksState.form_key.to_string() + TasksState.today,
                width="100%",
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _confirm_delete() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title("Delete this task?"),
            rx.alert_dialog.description(rx.text("“", TasksState.confirm_delete_subject, "” will be removed.")),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Keep it", variant="soft", color_scheme="gray",
                                                 on_click=TasksState.cancel_delete)),
                rx.alert_dialog.action(rx.button("Delete", color_scheme="red", on_click=TasksState.delete_task)),
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
            rx.text("Whose tasks", size="1", color=rx.color("gray", 11)),
            rx.select.root(
                rx.select.trigger(aria_label="Whose tasks"),
                rx.select.content(rx.select.item("Everyone", value=EVERYONE),
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
        rx.cond(TasksState.can_write, _new_task()),
        rx.grid(
            *[_bucket(name, label) for name, label in BUCKETS],
            columns=rx.breakpoints(initial="1", lg="2"),
            spacing="5",
            width="100%",
        ),
        _confirm_delete(),
        spacing="5",
        width="100%",
        max_width="80em",
    )
