"""/inbox: every survey answer staff may see, its summary, and the follow-up workflow."""

import reflex as rx

from crm_app.components.translated import t
from crm_app import routes
from crm_app.components.empty_state import empty_state
from crm_app.components.filters import filter_menu
from crm_app.components.pager import pager
from crm_app.components.responsive import card_cell, screen_reader_only, table_region
from crm_app.components.shell import staff_page
from crm_app.components.saved_views import saved_views_menu
from crm_app.domain import NPS_BANDS
from crm_app.states.inbox import STATUS_LABELS, InboxState


def _item(value: str, label: str) -> rx.Component:
    return rx.select.item(label, value=value)


def _reset_filters() -> rx.Component:
    return rx.button(t("Reset filters"), variant="soft", color_scheme="gray", on_click=InboxState.reset_filters,
                     align_self="end")


def _filters() -> rx.Component:
    return rx.flex(
        filter_menu(InboxState, t("NPS band"), "nps_band", InboxState.nps_band,
                    [_item(band, t("{band} ({low}-{high})", band=band.capitalize() + "s", low=str(low), high=str(high))) for band, (low, high) in NPS_BANDS.items()]),
        filter_menu(InboxState, t("CSAT"), "csat", InboxState.csat, [_item(str(s), str(s)) for s in range(1, 6)]),
        filter_menu(InboxState, t("Sentiment"), "sentiment", InboxState.sentiment,
                    [_item("positive", t("Positive")), _item("neutral", t("Neutral")), _item("negative", t("Negative"))]),
        filter_menu(InboxState, t("Status"), "status", InboxState.status,
                    [_item(k, t(v)) for k, v in STATUS_LABELS.items()]),
        filter_menu(InboxState, t("Topic"), "topic", InboxState.topic,
                    [rx.foreach(InboxState.topic_choices, lambda t: _item(t, t))]),
        filter_menu(InboxState, t("Customer owner"), "owner", InboxState.owner,
                    [rx.foreach(InboxState.owners, lambda o: _item(o["id"], o["name"]))]),
        rx.vstack(
            rx.el.label(t("From"), html_for="inbox-from", font_size="var(--font-size-1)"),
            rx.input(id="inbox-from", type="date", value=InboxState.submitted_from,
                     on_change=lambda v: InboxState.set_filter("from", v)),
            spacing="1",
        ),
        rx.vstack(
            rx.el.label(t("To"), html_for="inbox-to", font_size="var(--font-size-1)"),
            rx.input(id="inbox-to", type="date", value=InboxState.submitted_to,
                     on_change=lambda v: InboxState.set_filter("to", v)),
            spacing="1",
        ),
        _reset_filters(),
        saved_views_menu(InboxState),
        wrap="wrap",
        spacing="3",
        align="end",
    )


def _summary() -> rx.Component:
    return rx.grid(
        rx.card(
            rx.text(t("CSAT (share of 4-5 answers)"), size="2", color=rx.color("gray", 11)),
            rx.text(InboxState.summary["csat"], size="7", weight="bold", data_testid="summary-csat"),
            rx.text(InboxState.summary["csat_detail"], size="1", data_testid="summary-csat-detail"),
        ),
        rx.card(
            rx.text(t("NPS (% promoters − % detractors)"), size="2", color=rx.color("gray", 11)),
            rx.text(InboxState.summary["nps"], size="7", weight="bold", data_testid="summary-nps"),
            rx.text(InboxState.summary["nps_detail"], size="1", data_testid="summary-nps-detail"),
        ),
        rx.card(
            rx.text(t("Top topics among detractors"), size="2", color=rx.color("gray", 11)),
            rx.cond(
                InboxState.detractor_topics.length() > 0,
                rx.vstack(rx.foreach(InboxState.detractor_topics, lambda t: rx.text(t, size="2")), spacing="1"),
                rx.text(t("None yet"), size="2"),
            ),
            rx.hstack(
                rx.text(InboxState.topics_fitted, size="1", color=rx.color("gray", 11)),
                rx.cond(
                    InboxState.user_can_refit,
                    rx.button(t("Refit topics"), size="1", variant="soft", loading=InboxState.refitting,
                              on_click=InboxState.request_topic_refit),
                ),
                align="center",
                wrap="wrap",
            ),
        ),
        columns=rx.breakpoints(initial="1", md="3"),
        spacing="4",
        width="100%",
    )


def _row(row: dict) -> rx.Component:
    # The phone card: who answered, their NPS and comment, and Open.
    return rx.table.row(
        card_cell(row["submitted"], label=t("Submitted"), phone=False),
        card_cell(rx.cond(row["customer_link"] != "", rx.link(row["customer"], href=row["customer_link"]),
                          rx.text(row["customer"])), class_name="card-title"),
        card_cell(row["csat"], label=t("CSAT"), phone=False),
        card_cell(row["nps"], label=t("NPS")),
        # Free text is rendered as text, never as HTML or markdown.
        card_cell(rx.text(row["comment"], size="2", data_testid="comment-text"), max_width="28em"),
        card_cell(row["sentiment"], label=t("Sentiment"), phone=False),
        card_cell(row["topic"], label=t("Topic"), phone=False),
        card_cell(rx.badge(row["status"]), phone=False),
        card_cell(row["assignee"], label=t("Assignee"), phone=False),
        rx.table.cell(rx.button(t("Open"), size="1", variant="soft", on_click=InboxState.open_answer(row["id"]),
                                aria_label=t("Open answer"))),
        data_testid="inbox-row",
    )


def _detail() -> rx.Component:
    return rx.cond(
        InboxState.open_id > 0,
        rx.card(
            rx.vstack(
                rx.hstack(rx.heading(t("Answer #"), InboxState.open_id, size="4"), rx.spacer(),
                          rx.icon_button(rx.icon("x"), variant="ghost", aria_label=t("Close"),
                                         on_click=InboxState.load)),
                rx.cond(
                    InboxState.can_write,
                    rx.hstack(
                        *[rx.button(t(label), size="1", variant="soft",
                                    on_click=InboxState.set_status(InboxState.open_id, key))
                          for key, label in STATUS_LABELS.items()],
                        rx.select.root(
                            rx.select.trigger(placeholder=t("Assign to"), aria_label=t("Assign to")),
                            rx.select.content(rx.foreach(InboxState.owners, lambda o: _item(o["id"], o["name"]))),
                            on_change=lambda v: InboxState.assign(InboxState.open_id, v),
                        ),
                        wrap="wrap",
                    ),
                ),
                rx.text(t("Internal notes"), weight="medium"),
                rx.foreach(
                    InboxState.open_notes,
                    lambda n: rx.box(rx.text(n["author"], " · ", n["at"], size="1", color=rx.color("gray", 11)),
                                     rx.text(n["body"], size="2")),
                ),
                rx.cond(
                    InboxState.can_write,
                    rx.form(
                        rx.hstack(
                            rx.input(name="body", placeholder=t("Add an internal note"), aria_label=t("Internal note"),
                                     width="100%"),
                            rx.button(t("Add note"), type="submit"),
                            width="100%",
                        ),
                        on_submit=InboxState.add_note,
                        reset_on_submit=True,
                        width="100%",
                    ),
                ),
                width="100%",
            ),
            width="100%",
        ),
    )


@staff_page(route=routes.INBOX, title="Feedback inbox", on_load=InboxState.load)
def inbox() -> rx.Component:
    return rx.vstack(
        _summary(),
        _filters(),
        _detail(),
        rx.text(InboxState.total_label, size="2", data_testid="inbox-total"),
        table_region(
            rx.table.root(
                rx.table.header(rx.table.row(*[
                    rx.table.column_header_cell(h) for h in
                    (t("Submitted"), t("Customer"), t("CSAT"), t("NPS"), t("Comment"), t("Sentiment"), t("Topic"), t("Status"), t("Assignee"))
                ], rx.table.column_header_cell(screen_reader_only(t("Actions"))))),
                rx.table.body(rx.foreach(InboxState.rows, _row)),
                width="100%",
            ),
            label=t("Feedback answers"),
            cards=True,
        ),
        empty_state(t("No feedback answers match"), _reset_filters(), shown=InboxState.total == 0),
        pager(InboxState),
        spacing="4",
        width="100%",
    )
