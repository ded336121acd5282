"""The timeline panel: a composer on top (Note / Call / Email / Meeting, optional follow-up task), a kind filter, the
entries newest first with edit and delete of one's own, and "Load more". Embedded by the customer and deal pages."""

from __future__ import annotations

import reflex as rx

from crm_app.components.translated import t
from crm_app import routes
from crm_app.components.forms import field_error, text_field
from crm_app.data.repositories.timeline import FILTER_LABELS
from crm_app.domain import LOGGED_KIND_LABELS
from crm_app.states.timeline import ALL, TimelineRow, TimelineState

KIND_LABELS = LOGGED_KIND_LABELS


def _kind_picker(value: rx.Var, on_change: rx.EventHandler, label: str) -> rx.Component:
    return rx.segmented_control.root(
        *[rx.segmented_control.item(t(text), value=kind) for kind, text in KIND_LABELS.items()],
        value=value, on_change=on_change, aria_label=label,
    )


def _call_fields(choices: rx.Var, errors: rx.Var, prefix: str, outcome: rx.Var | str = "",
                 duration: rx.Var | str = "") -> rx.Component:
    """Outcome and duration, for calls and meetings; `prefix` keeps the ids of the composer and an edit apart."""
    return rx.cond(
        choices.length() > 0,
        rx.flex(
            rx.vstack(
                rx.el.label(t("Outcome"), html_for=f"{prefix}outcome"),
                rx.el.select(rx.el.option("—", value=""), rx.foreach(choices, lambda c: rx.el.option(c, value=c)),
                             name="outcome", id=f"{prefix}outcome", default_value=outcome),
                field_error(errors, "outcome"),
                spacing="1",
            ),
            rx.vstack(
                rx.el.label(t("Duration (minutes)"), html_for=f"{prefix}duration"),
                rx.input(id=f"{prefix}duration", name="duration_minutes", type="number", min=1, max=1440,
                         default_value=duration, max_width="10em"),
                field_error(errors, "duration_minutes"),
                spacing="1",
            ),
            spacing="3",
            wrap="wrap",
        ),
    )


def _body_field(errors: rx.Var, prefix: str, default: rx.Var | str = "") -> rx.Component:
    return rx.vstack(
        rx.el.label(t("What happened"), html_for=f"{prefix}body"),
        rx.text_area(id=f"{prefix}body", name="body", default_value=default, rows="4", width="100%",
                     max_length=10_000, aria_describedby="body-error",
                     aria_invalid=rx.cond(errors.contains("body"), "true", "false")),
        field_error(errors, "body"),
        spacing="1",
        width="100%",
    )


def _composer() -> rx.Component:
    errors = TimelineState.errors
    return rx.card(
        rx.form(
            rx.vstack(
                _kind_picker(TimelineState.composer_kind, TimelineState.set_composer_kind, t("Kind of activity")),
                _body_field(errors, "timeline-"),
                _call_fields(TimelineState.outcome_choices, errors, "timeline-"),
                rx.text(t("Follow-up task (optional)"), size="2", weight="medium"),
                rx.flex(
                    rx.box(text_field(t("Subject"), "follow_up_subject", errors, max_length=200), flex="1",
                           min_width="14em"),
                    rx.box(text_field(t("Due date"), "follow_up_due_on", errors, type="date"), min_width="10em"),
                    rx.box(text_field(t("Time ({time_zone})", time_zone=TimelineState.time_zone), "follow_up_due_time", errors, type="time"),
                           min_width="8em"),
                    spacing="3",
                    wrap="wrap",
                    width="100%",
                ),
                rx.button(t("Log "), TimelineState.composer_kind, type="submit", data_testid="log-activity"),
                spacing="3",
                width="100%",
            ),
            on_submit=TimelineState.log_activity,
            key=TimelineState.form_key.to_string(),
            width="100%",
        ),
        id=routes.TIMELINE_COMPOSER_ANCHOR,
        width="100%",
    )


def _text(row: TimelineRow) -> rx.Component:
    # Text stays text: line breaks are kept by CSS, web addresses become links, nothing is read as HTML.
    return rx.text(
        rx.foreach(row.parts, lambda part: rx.cond(
            part.href != "",
            rx.link(part.text, href=part.href, is_external=True, rel="noopener noreferrer nofollow"),
            rx.text.span(part.text),
        )),
        white_space="pre-wrap", size="2", data_testid="timeline-body",
    )


def _edit_form(row: TimelineRow) -> rx.Component:
    errors = TimelineState.edit_errors
    return rx.form(
        rx.vstack(
            _kind_picker(TimelineState.edit_kind, TimelineState.set_edit_kind, t("Kind of activity")),
            _body_field(errors, "timeline-edit-", row.body),
            _call_fields(TimelineState.edit_outcome_choices, errors, "timeline-edit-", row.outcome, row.duration),
            rx.hstack(
                rx.button(t("Save"), type="submit", size="1"),
                rx.button(t("Cancel"), type="button", size="1", variant="soft", color_scheme="gray",
                          on_click=TimelineState.cancel_edit),
            ),
            spacing="2",
            width="100%",
        ),
        on_submit=TimelineState.save_edit,
        width="100%",
    )


def _own_actions(row: TimelineRow) -> rx.Component:
    return rx.hstack(
        rx.button(t("Edit"), size="1", variant="ghost", on_click=TimelineState.start_edit(row.key)),
        rx.alert_dialog.root(
            rx.alert_dialog.trigger(rx.button(t("Delete"), size="1", variant="ghost", color_scheme="red")),
            rx.alert_dialog.content(
                rx.alert_dialog.title(t("Delete this entry?")),
                rx.alert_dialog.description(t("It leaves the timeline; the audit trail keeps what it said.")),
                rx.hstack(
                    rx.alert_dialog.cancel(rx.button(t("Cancel"), variant="soft", color_scheme="gray")),
                    rx.alert_dialog.action(rx.button(t("Delete"), color_scheme="red",
                                                     on_click=TimelineState.delete_entry(row.key))),
                    justify="end",
                    spacing="3",
                ),
            ),
        ),
        spacing="2",
    )


def _entry(row: TimelineRow) -> rx.Component:
    return rx.card(
        rx.hstack(
            rx.icon(row.icon, size=18, color=rx.color("accent", 10)),
            rx.vstack(
                rx.flex(
                    rx.text(row.title, weight="medium", size="2", data_testid="timeline-title"),
                    rx.spacer(),
                    rx.text(row.when, " ", TimelineState.time_zone, rx.cond(row.who != "", " · " + row.who, ""),
                            rx.cond(row.edited, t(" · edited"), ""), size="1", color=rx.color("gray", 11)),
                    width="100%",
                    wrap="wrap",
                    gap="2",
                ),
                rx.cond(
                    TimelineState.editing_key == row.key,
                    _edit_form(row),
                    rx.vstack(
                        rx.cond(row.parts.length() > 0, _text(row)),
                        rx.foreach(row.changes, lambda line: rx.text(line, size="2", data_testid="timeline-change")),
                        rx.hstack(
                            rx.cond(row.link != "", rx.link(row.link_label, href=row.link, size="2")),
                            rx.cond(row.own, _own_actions(row)),
                            spacing="3",
                        ),
                        spacing="1",
                        width="100%",
                    ),
                ),
                spacing="1",
                width="100%",
            ),
            align="start",
            width="100%",
        ),
        width="100%",
        data_testid="timeline-entry",
    )


def _kind_toggle(label: str, kind: str, pressed: rx.Var) -> rx.Component:
    """One kind of the filter: pressed ones are shown together; "Everything" clears the choice."""
    return rx.button(label, size="1", variant=rx.cond(pressed, "solid", "outline"), aria_pressed=pressed,
                     on_click=TimelineState.toggle_kind_filter(kind), data_testid="timeline-kind")


def timeline_panel() -> rx.Component:
    """The timeline of whatever record the page opened it for (see crm_app/states/timeline.py)."""
    return rx.vstack(
        rx.heading(t("Timeline"), size="4"),
        rx.cond(TimelineState.can_write, _composer()),
        rx.flex(
            rx.text(t("Show"), size="2"),
            _kind_toggle(t("Everything"), ALL, TimelineState.kind_filters.length() == 0),
            *[_kind_toggle(t(label), kind, TimelineState.kind_filters.contains(kind))
              for kind, label in FILTER_LABELS.items()],
            role="group",
            aria_label=t("Show entries of kind"),
            wrap="wrap",
            spacing="2",
            align="center",
        ),
        rx.cond(
            TimelineState.rows.length() > 0,
            rx.vstack(rx.foreach(TimelineState.rows, _entry), spacing="2", width="100%"),
            rx.text(t("Nothing on the timeline yet."), size="2", color=rx.color("gray", 11)),
        ),
        rx.cond(TimelineState.has_more, rx.button(t("Load more"), variant="soft", on_click=TimelineState.load_more,
                                                  data_testid="timeline-load-more")),
        spacing="3",
        width="100%",
    )
