"""/pipeline: the deal board, one column per stage; cards move by drag and drop or by their actions menu.

At 1440 px the four open stages share the width and Won and Lost are narrow lanes (count and total) that expand
on click (a native <details>: keyboard and screen readers know it). Below 768 px the board shows one stage at a
time, chosen with the stage switcher; every card keeps its actions menu (Move to ..., Open), which is also how a
keyboard moves a card."""

import reflex as rx
from reflex_base.event import no_args_event_spec
from reflex_components_core.el.elements.typography import Div

from crm_app.components.translated import t
from crm_app import routes
from crm_app.components.filters import filter_menu
from crm_app.components.forms import field_error, text_field
from crm_app.components.shell import staff_page
from crm_app.components.saved_views import saved_views_menu
from crm_app.domain import DealStage
from crm_app.states.pipeline import BY_STAGE, BY_WIN_MODEL, CARDS, OVERDUE, STAGES, PipelineState


class DragArea(Div):
    """A div with the HTML5 drag-and-drop events, which Reflex's elements do not declare."""

    on_drag_start: rx.EventHandler[no_args_event_spec]
    on_drag_over: rx.EventHandler[no_args_event_spec]
    on_drop: rx.EventHandler[no_args_event_spec]


def _filters() -> rx.Component:
    return rx.flex(
        rx.cond(
            PipelineState.shows_owner_filter,
            filter_menu(PipelineState, t("Owner"), "owner", PipelineState.owner,
                        [rx.foreach(PipelineState.owners, lambda o: rx.select.item(o["name"], value=o["id"]))]),
        ),
        filter_menu(PipelineState, t("Region"), "region", PipelineState.region,
                    [rx.foreach(PipelineState.regions, lambda r: rx.select.item(r, value=r))]),
        rx.vstack(
            rx.el.label(t("Expected close month"), html_for="close-month",
                        style={"font_size": "var(--font-size-1)", "color": rx.color("gray", 11)}),
            rx.input(id="close-month", type="month", value=PipelineState.month,
                     on_change=lambda v: PipelineState.set_filter("month", v)),
            spacing="1",
        ),
        filter_menu(PipelineState, t("Expected close"), "overdue", PipelineState.overdue,
                    [rx.select.item(t("Overdue"), value=OVERDUE)]),
        filter_menu(PipelineState, t("Weight by"), "weight", PipelineState.weight,
                    [rx.select.item(t("Stage probability"), value=BY_STAGE),
                     rx.select.item(t("Win model"), value=BY_WIN_MODEL, disabled=PipelineState.win_model_fitted == "")],
                    with_any=False),
        rx.button(t("Reset filters"), variant="soft", color_scheme="gray", on_click=PipelineState.reset_filters),
        saved_views_menu(PipelineState),
        rx.cond(
            PipelineState.can_change,
            rx.button(rx.icon("plus", size=16), t("New deal"), on_click=PipelineState.open_new_deal),
        ),
        wrap="wrap",
        spacing="3",
        align="end",
    )


def _weight_hint() -> rx.Component:
    """What the columns' weighted amounts multiply by, and whether the win model can be used."""
    return rx.text(
        rx.cond(
            PipelineState.win_model_fitted == "",
            t("Weighted amounts use the stage probabilities: no win model has been fitted yet (Insights fits it)."),
            rx.cond(
                PipelineState.weight == BY_WIN_MODEL,
                t("Weighted amounts use the win model fitted {value}; a deal it has not scored in its current stage (new or moved since) uses its stage probability.", value=PipelineState.win_model_fitted),
                t("Weighted amounts use the stage probabilities; a win model fitted {value} is available.", value=PipelineState.win_model_fitted),
            ),
        ),
        size="1",
        color=rx.color("gray", 11),
        data_testid="weight-hint",
    )


TAP_TARGET = "44px"  # WCAG 2.5.5: the smallest thing a finger should have to hit
NARROW = "@media (max-width: 767.98px)"


def _actions_menu(card: rx.Var, stage: DealStage) -> rx.Component:
    """One menu per card: open the deal, move it to another stage, and (admins) give it another owner. Radix's menu
    takes the keyboard (Enter opens, arrows choose), so this is also the board's keyboard way to move a card."""
    return rx.dropdown_menu.root(
        rx.dropdown_menu.trigger(
            rx.icon_button(rx.icon("ellipsis", size=16), variant="ghost", color_scheme="gray", size="1",
                           aria_label=t("Actions for {value}", value=card["title"]), data_testid="deal-actions",
                           style={"min_width": TAP_TARGET, "min_height": TAP_TARGET}),
        ),
        rx.dropdown_menu.content(
            rx.dropdown_menu.item(t("Open"), on_select=rx.redirect(card["link"])),
            rx.cond(
                PipelineState.can_change,
                rx.fragment(
                    rx.dropdown_menu.separator(),
                    *[rx.dropdown_menu.item(t("Move to {other}", other=other), on_select=PipelineState.move_to(card["id"], other),
                                            color="red" if other == DealStage.lost.value else None)
                      for other in STAGES if other != stage.value],
                ),
            ),
            rx.cond(
                PipelineState.can_reassign,
                rx.dropdown_menu.sub(
                    rx.dropdown_menu.sub_trigger(t("Owner")),
                    rx.dropdown_menu.sub_content(
                        rx.foreach(PipelineState.owners, lambda o: rx.dropdown_menu.item(
                            o["name"], on_select=PipelineState.reassign(card["id"], o["id"]))),
                    ),
                ),
            ),
        ),
    )


def _card(card: rx.Var, stage: DealStage) -> rx.Component:
    return DragArea.create(
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.link(card["title"], href=card["link"], weight="bold", size="2", data_testid="deal-title",
                            style={"overflow_wrap": "anywhere"}),
                    _actions_menu(card, stage),
                    justify="between", align="start", width="100%", spacing="1",
                ),
                rx.link(card["customer"], href=card["customer_link"], size="1"),
                rx.hstack(
                    rx.text(card["amount"], size="2", weight="medium", data_testid="deal-amount"),
                    rx.cond(card["overdue"] != "", rx.badge(t("Overdue"), color_scheme="red", size="1",
                                                             data_testid="deal-overdue")),
                    justify="between", width="100%", wrap="wrap",
                ),
                rx.text(card["close"], " · ", card["owner"], size="1", color=rx.color("gray", 11)),
                spacing="1",
                width="100%",
            ),
            size="1",
            width="100%",
        ),
        draggable=PipelineState.can_change,
        on_drag_start=PipelineState.pick_up(card["id"]),
        data_testid="deal-card",
        style={"cursor": "grab", "width": "100%"},
    )


EMPTY_HINTS = {
    DealStage.lead: t("No leads here. Add one with New deal."),
    DealStage.won: t("No won deals for these filters."),
    DealStage.lost: t("No lost deals for these filters."),
}


def _column_body(stage: DealStage) -> rx.Component:
    """The cards of a stage, page by page, or a hint when it has none."""
    name = stage.value
    cards = getattr(PipelineState, CARDS[name])
    page, pages = PipelineState.column_pages[name], PipelineState.column_page_counts[name]
    return rx.fragment(
        rx.text(t("Weighted "), rx.el.span(PipelineState.summaries[name]["weighted"], data_testid=f"weighted-{name}"),
                size="1", color=rx.color("gray", 11)),
        rx.foreach(cards, lambda card: _card(card, stage)),
        rx.cond(
            cards.length() == 0,
            rx.text(EMPTY_HINTS.get(stage, t("No deals in this stage. Move one here with its … menu or by dragging it.")),
                    size="1", color=rx.color("gray", 11), data_testid=f"empty-{name}",
                    style={"border": f"1px dashed {rx.color('gray', 7)}", "border_radius": "var(--radius-2)",
                           "padding": "0.75em", "width": "100%"}),
        ),
        rx.cond(
            pages > 1,
            rx.hstack(
                rx.icon_button(rx.icon("chevron-left", size=16), size="1", variant="soft",
                               aria_label=t("Previous page of {name}", name=name), disabled=page <= 1,
                               on_click=PipelineState.go_to_column_page(name, page - 1)),
                rx.text(page, " / ", pages, size="1"),
                rx.icon_button(rx.icon("chevron-right", size=16), size="1", variant="soft",
                               aria_label=t("Next page of {name}", name=name), disabled=page >= pages,
                               on_click=PipelineState.go_to_column_page(name, page + 1)),
                align="center", justify="center", width="100%",
            ),
        ),
    )


def _heading(stage: DealStage) -> rx.Component:
    name, summary = stage.value, PipelineState.summaries[stage.value]
    return rx.vstack(
        rx.hstack(
            rx.heading(t(name), size="3", as_="h2"),
            rx.badge(summary["count"], data_testid=f"count-{name}", aria_label=t("deals")),
            justify="between", width="100%",
        ),
        rx.text(t("Total "), rx.el.span(summary["total"], data_testid=f"total-{name}"), size="1"),
        spacing="1", width="100%",
    )


COLUMN_STYLE = {"padding": "0.75em", "border_radius": "var(--radius-3)", "background": rx.color("gray", 2),
                "border": f"1px solid {rx.color('gray', 5)}", "min_width": "0"}


def _column(stage: DealStage) -> rx.Component:
    """An open stage: a column sharing the board's width. Won and Lost: a narrow lane showing the count and the
    total, whose cards unfold on click (and the lane widens)."""
    name = stage.value
    closed = stage in (DealStage.won, DealStage.lost)
    if closed:
        inner = rx.el.details(
            rx.el.summary(_heading(stage), aria_label=t("{name}: show the deals", name=name),
                          style={"cursor": "pointer", "list_style": "none", "min_height": TAP_TARGET}),
            rx.vstack(_column_body(stage), spacing="2", width="100%", margin_top="0.5em"),
            data_testid=f"lane-{name}",
            style={"width": "100%"},
        )
        sizing = {"flex": "0 0 8.5em", "&:has(details[open])": {"flex": "0 0 15em"}}
    else:
        inner = rx.vstack(_heading(stage), _column_body(stage), spacing="2", width="100%")
        sizing = {"flex": "1 1 0"}
    return DragArea.create(
        inner,
        # Letting dragover through is what makes the column a drop target.
        on_drag_over=rx.prevent_default,
        on_drop=PipelineState.drop_on(name).prevent_default,
        role="region",
        aria_label=t("{name} deals", name=name),
        data_testid=f"column-{name}",
        data_phone_shown=rx.cond(PipelineState.phone_stage == name, "yes", "no"),
        style={**COLUMN_STYLE, **sizing, NARROW: {"flex": "1 1 auto", "width": "100%"}},
    )


def _stage_switcher() -> rx.Component:
    """Below 768 px: which stage the board shows."""
    return rx.box(
        rx.el.label(t("Stage"), html_for="phone-stage", style={"font_size": "var(--font-size-1)"}),
        rx.el.select(
            *[rx.el.option(t(stage.value), value=stage.value) for stage in DealStage],
            id="phone-stage",
            value=PipelineState.phone_stage,
            on_change=PipelineState.show_stage,
            style={"width": "100%", "min_height": TAP_TARGET, "padding": "0 0.5em", "font_size": "16px",
                   "border_radius": "var(--radius-2)", "border": f"1px solid {rx.color('gray', 7)}"},
        ),
        width="100%",
        style={"display": "none", NARROW: {"display": "block"}},
        data_testid="stage-switcher",
    )


def _lost_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(t("Why was “"), PipelineState.lost_deal_title, t("” lost?")),
            rx.form(
                rx.vstack(
                    rx.el.label(t("Reason"), html_for="field-lost_reason"),
                    rx.input(id="field-lost_reason", name="lost_reason", max_length=200, width="100%",
                             aria_invalid=rx.cond(PipelineState.lost_error != "", "true", "false"),
                             aria_describedby="lost_reason-error"),
                    rx.cond(PipelineState.lost_error != "",
                            rx.text(PipelineState.lost_error, id="lost_reason-error", color=rx.color("red", 11),
                                    size="2", role="alert", data_testid="error-lost_reason")),
                    rx.hstack(
                        rx.button(t("Cancel"), type="button", variant="soft", color_scheme="gray",
                                  on_click=PipelineState.close_dialogs),
                        rx.button(t("Mark as lost"), type="submit", color_scheme="red"),
                        justify="end", width="100%",
                    ),
                    spacing="3",
                ),
                on_submit=PipelineState.mark_lost,
            ),
        ),
        open=PipelineState.lost_deal_title != "",
        on_open_change=lambda _open: PipelineState.close_dialogs(),
    )


def _won_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("“", PipelineState.won_deal_title, t("” is won")),
            rx.dialog.description(t("Create the order for this deal now?")),
            rx.hstack(
                rx.button(t("Not now"), variant="soft", color_scheme="gray", on_click=PipelineState.close_dialogs),
                rx.button(t("Create the order"), on_click=PipelineState.create_order),
                justify="end", width="100%", margin_top="1em",
            ),
        ),
        open=PipelineState.won_order_link != "",
        on_open_change=lambda _open: PipelineState.close_dialogs(),
    )


def _new_deal_dialog() -> rx.Component:
    errors = PipelineState.new_deal_errors
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(t("New deal")),
            rx.form(
                rx.vstack(
                    text_field(t("Title"), "title", errors, max_length=200),
                    rx.el.label(t("Find a customer"), html_for="customer-search"),
                    rx.input(id="customer-search", name="customer_search", placeholder=t("Name or company"), width="100%",
                             on_change=PipelineState.find_customers.debounce(300)),
                    rx.el.label(t("Customer"), html_for="field-customer_id"),
                    rx.el.select(
                        rx.el.option(t("Choose a customer"), value=""),
                        rx.foreach(PipelineState.customer_choices,
                                   lambda c: rx.el.option(c["label"], value=c["id"])),
                        id="field-customer_id", name="customer_id", aria_describedby="customer_id-error",
                        style={"width": "100%", "padding": "0.4em"},
                    ),
                    field_error(errors, "customer_id"),
                    text_field(t("Amount"), "amount", errors, input_mode="decimal"),
                    text_field(t("Expected close"), "expected_close_date", errors, type="date"),
                    rx.cond(
                        PipelineState.can_reassign,
                        rx.vstack(
                            rx.el.label(t("Owner"), html_for="field-owner_id"),
                            rx.el.select(
                                rx.el.option(t("Me"), value=""),
                                rx.foreach(PipelineState.owners, lambda o: rx.el.option(o["name"], value=o["id"])),
                                id="field-owner_id", name="owner_id", style={"width": "100%", "padding": "0.4em"},
                            ),
                            field_error(errors, "owner_id"),
                            spacing="1", width="100%",
                        ),
                    ),
                    rx.hstack(
                        rx.button(t("Cancel"), type="button", variant="soft", color_scheme="gray",
                                  on_click=PipelineState.close_dialogs),
                        rx.button(t("Add deal"), type="submit"),
                        justify="end", width="100%",
                    ),
                    spacing="2",
                ),
                on_submit=PipelineState.create_deal,
            ),
        ),
        open=PipelineState.new_deal_open,
        on_open_change=lambda _open: PipelineState.close_dialogs(),
    )


@staff_page(route=routes.PIPELINE, title="Pipeline", on_load=PipelineState.load)
def pipeline() -> rx.Component:
    return rx.vstack(
        _filters(),
        _weight_hint(),
        _stage_switcher(),
        rx.flex(*[_column(stage) for stage in DealStage], spacing="2", width="100%", align="start",
                padding_bottom="0.5em", data_testid="pipeline-board",
                style={NARROW: {"flex_direction": "column", "& > [data-phone-shown='no']": {"display": "none"}}}),
        _lost_dialog(),
        _won_dialog(),
        _new_deal_dialog(),
        spacing="4",
        width="100%",
    )
