"""Labelled form fields with an inline, screen-reader-announced error under each."""

from __future__ import annotations

import reflex as rx
from reflex_components_core.el.elements.base import BaseHTML


def field_error(errors: rx.Var, name: str) -> rx.Component:
    return rx.cond(
        errors.contains(name),
        rx.text(errors[name], id=f"{name}-error", color=rx.color("red", 11), size="2",
                role="alert", data_testid=f"error-{name}"),
    )


def text_field(label: str, name: str, errors: rx.Var, **props) -> rx.Component:
    return rx.vstack(
        rx.el.label(label, html_for=f"field-{name}"),
        rx.input(id=f"field-{name}", name=name, width="100%",
                 aria_invalid=rx.cond(errors.contains(name), "true", "false"),
                 aria_describedby=f"{name}-error", **props),
        field_error(errors, name),
        spacing="1",
        width="100%",
    )


def select_field(label: str, name: str, choices: list[str], errors: rx.Var, default: str) -> rx.Component:
    return rx.vstack(
        rx.el.label(label, html_for=f"field-{name}"),
        rx.select(choices, name=name, default_value=default, id=f"field-{name}", width="100%"),
        field_error(errors, name),
        spacing="1",
        width="100%",
    )


class PostedForm(BaseHTML):
    """A form the browser itself posts to an HTTP endpoint (a page load follows), unlike rx.form, whose submit
    Reflex always intercepts to send an event instead. For what must not travel over the websocket: passwords."""

    tag = "form"

    action: rx.Var[str]
    method: rx.Var[str]


posted_form = PostedForm.create
