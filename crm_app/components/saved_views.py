"""The view menu of a list page (/customers, /orders, /pipeline, /inbox): open a saved view, save the filters on
screen under a name, rename or delete one's own views. `state` is a page state with the SavedViews mixin."""

from __future__ import annotations

import reflex as rx

from crm_app.components.translated import t
from crm_app.data.repositories.saved_views import NAME_LENGTH


def _error(state: type[rx.State]) -> rx.Component:
    return rx.cond(state.view_error != "", rx.text(state.view_error, color=rx.color("red", 11), size="2",
                                                   role="alert", data_testid="view-error"))


def _menu(state: type[rx.State]) -> rx.Component:
    return rx.menu.root(
        rx.menu.trigger(rx.button(rx.icon("bookmark", size=16), rx.cond(state.current_view != "", state.current_view,
                                                                        t("Views")),
                                  rx.icon("chevron-down", size=14), variant="soft", data_testid="views-menu")),
        rx.menu.content(
            rx.foreach(state.saved_views, lambda view: rx.menu.item(
                view["name"], rx.cond(view["shared"] != "", rx.icon("users", size=12)),
                on_select=state.open_view(view["id"]), data_testid="saved-view")),
            rx.cond(state.saved_views.length() == 0, rx.menu.item(t("No saved views yet"), disabled=True)),
            rx.menu.separator(),
            rx.menu.item(rx.icon("plus", size=14), t("Save these filters…"), on_select=state.show_view_dialog("save")),
            rx.menu.item(rx.icon("pencil", size=14), t("Rename or delete views…"),
                         on_select=state.show_view_dialog("manage")),
        ),
    )


def _save_dialog(state: type[rx.State]) -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(t("Save these filters as a view")),
            rx.form(
                rx.vstack(
                    rx.text(t("Name"), as_="label", html_for="view-name", size="2", weight="medium"),
                    rx.input(id="view-name", name="name", max_length=NAME_LENGTH, required=True, auto_focus=True,
                             aria_label=t("View name")),
                    rx.cond(state.can_share_views, rx.text(
                        rx.checkbox(name="shared", aria_label=t("Share with everybody")), " ", t("Share with everybody"),
                        as_="label", size="2")),
                    _error(state),
                    rx.hstack(
                        rx.button(t("Cancel"), type="button", variant="soft", color_scheme="gray",
                                  on_click=state.show_view_dialog("")),
                        rx.button(t("Save view"), type="submit"),
                        justify="end", width="100%",
                    ),
                    spacing="3",
                ),
                on_submit=state.save_view,
                reset_on_submit=False,
                key=state.views_key,
            ),
        ),
        open=state.view_dialog == "save",
        on_open_change=lambda _open: state.show_view_dialog(""),
    )


def _own_view_row(state: type[rx.State], view: rx.Var) -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.input(type="hidden", name="id", value=view["id"]),
            rx.input(name="name", default_value=view["name"], max_length=NAME_LENGTH, aria_label=t("Name of the view"),
                     flex="1"),
            rx.button(t("Rename"), type="submit", variant="soft"),
            rx.button(t("Delete"), type="button", color_scheme="red", variant="soft",
                      on_click=state.delete_view(view["id"]), aria_label=t("Delete view {value}", value=view["name"])),
            rx.cond(view["note"] != "", rx.text(view["note"], size="1", color=rx.color("gray", 11))),
            align="center", width="100%",
        ),
        on_submit=state.rename_view,
        reset_on_submit=False,
        data_testid="own-view",
    )


def _manage_dialog(state: type[rx.State]) -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(t("Your views")),
            rx.vstack(
                rx.foreach(state.saved_views, lambda view: rx.cond(
                    view["own"] != "",
                    _own_view_row(state, view),
                    rx.text(view["name"], " · ", view["note"], t(" (read-only)"), size="2"),
                )),
                rx.cond(state.saved_views.length() == 0, rx.text(t("No saved views yet."), size="2")),
                _error(state),
                rx.hstack(rx.button(t("Close"), variant="soft", color_scheme="gray", on_click=state.show_view_dialog("")),
                          justify="end", width="100%"),
                spacing="3",
                key=state.views_key,
            ),
        ),
        open=state.view_dialog == "manage",
        on_open_change=lambda _open: state.show_view_dialog(""),
    )


def saved_views_menu(state: type[rx.State]) -> rx.Component:
    """The "Views" button with its menu, and its save and manage dialogs."""
    return rx.box(_menu(state), _save_dialog(state), _manage_dialog(state), align_self="end")
