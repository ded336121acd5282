"""Labelled form fields with an inline, screen-reader-announced error under each."""

from __future__ import annotations

from collections.abc import Sequence

import reflex as rx
from reflex_components_core.el.elements.base import BaseHTML

from crm_app.components.translated import t
from crm_app.data.models import ACTIVITY_KIND_LABELS


def field_error(errors: rx.Var, name: str) -> rx.Component:
    return rx.cond(
        errors.contains(name),
        rx.text(errors[name], id=f"{name}-error", color=rx.color("red", 11), size="2",
                role="alert", data_testid=f"error-{name}"),
    )


def text_field(label: str | rx.Var, name: str, errors: rx.Var, **props) -> rx.Component:
    return rx.vstack(
        rx.el.label(label, html_for=f"field-{name}"),
        rx.input(id=f"field-{name}", name=name, width="100%",
                 aria_invalid=rx.cond(errors.contains(name), "true", "false"),
                 aria_describedby=f"{name}-error", **props),
        field_error(errors, name),
        spacing="1",
        width="100%",
    )


def select_field(label: str | rx.Var, name: str, choices: Sequence[str | tuple[str, str | rx.Var]], errors: rx.Var,
                 default: str) -> rx.Component:
    """A labelled select of (code, label) choices, or of codes shown as they are: the form posts the code."""
    choices = [(choice, choice) if isinstance(choice, str) else choice for choice in choices]
    return rx.vstack(
        rx.el.label(label, html_for=f"field-{name}"),
        rx.select.root(rx.select.trigger(id=f"field-{name}", width="100%"),
                       rx.select.content(*[rx.select.item(text, value=code) for code, text in choices]),
                       name=name, default_value=default),
        field_error(errors, name),
        spacing="1",
        width="100%",
    )


def task_fields(errors: rx.Var, *, due_on: rx.Var, due_time: rx.Var, time_zone: rx.Var) -> list[rx.Component]:
    """The fields of a new task (subject, kind, due date and time on the user's clock, notes), each with its
    inline error; the names are those tasks.TaskDraft reads."""
    return [
        text_field(t("What is to be done"), "subject", errors, max_length=200),
        rx.flex(
            rx.vstack(
                rx.el.label(t("Kind"), html_for="field-kind"),
                rx.el.select(*[rx.el.option(t(text), value=kind) for kind, text in ACTIVITY_KIND_LABELS.items()],
                             name="kind", id="field-kind", default_value="task"),
                field_error(errors, "kind"),
                spacing="1",
            ),
            rx.box(text_field(t("Due date"), "due_on", errors, type="date", default_value=due_on), min_width="10em"),
            rx.box(text_field(t("Time ({zone})", zone=time_zone), "due_time", errors, type="time", default_value=due_time),
                   min_width="8em"),
            wrap="wrap",
            spacing="3",
            width="100%",
        ),
        rx.vstack(
            rx.el.label(t("Notes (optional)"), html_for="field-notes"),
            rx.text_area(id="field-notes", name="notes", max_length=4000, width="100%",
                         aria_describedby="notes-error"),
            field_error(errors, "notes"),
            spacing="1",
            width="100%",
        ),
    ]


class PostedForm(BaseHTML):
    """A form the browser itself posts to an HTTP endpoint (a page load follows), unlike rx.form, whose submit
    Reflex always intercepts to send an event instead. For what must not travel over the websocket: passwords."""

    tag = "form"

    action: rx.Var[str]
    method: rx.Var[str]


posted_form = PostedForm.create
