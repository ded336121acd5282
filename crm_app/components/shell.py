"""The staff page shell: navigation for the signed-in role, the search box, the user, sign-out.

From 768 px up the navigation is a sidebar; below it (a phone) it is a drawer behind a menu button in a top bar.
The drawer is a Radix dialog: it traps focus, closes on Escape or on any link in it, and gives focus back to the
menu button. Both are drawn from the same items; CSS (crm_app/components/responsive.py) picks which one shows."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

from crm_app import routes
from crm_app.components.forms import posted_form
from crm_app.components.global_search import global_search
from crm_app.components.translated import t, t_label
from crm_app.components.responsive import PHONE_ONLY_FLEX, WIDE_ONLY_FLEX, sheet
from crm_app.data.models import ROLE_LABELS, Role
from crm_app.settings import get_settings
from crm_app.states.auth import AuthState


def page_title(title: str) -> rx.Var:
    """A page's title in the browser's title bar, in the reader's language: the page, then the product
    (CRM_COMPANY_NAME)."""
    return t(title) + f" · {get_settings().company_name}"


def _shown_to(roles: tuple[Role, ...]) -> rx.Var:
    return rx.Var.create([role.value for role in roles]).contains(AuthState.user_role)


def _nav_link(item: routes.NavItem, in_drawer: bool = False) -> rx.Component:
    path = AuthState.router.url.path
    active = (path == item.route) | (path == item.route.rstrip("/") + "/")
    link = rx.link(
        rx.hstack(rx.icon(item.icon, size=18), rx.text(t(item.label)), align="center", spacing="2"),
        href=item.route,
        underline="none",
        display="block",
        padding="0.5em 0.75em",
        border_radius="var(--radius-2)",
        color=rx.cond(active, rx.color("accent", 11), rx.color("gray", 12)),
        background=rx.cond(active, rx.color("accent", 3), "transparent"),
        _hover={"background": rx.color("gray", 3)},
        aria_current=rx.cond(active, "page", "false"),
        data_testid=f"{'menu' if in_drawer else 'nav'}-{item.label.lower()}",
    )
    # In the drawer a link also closes it (a Radix Close around the link).
    return rx.cond(_shown_to(item.roles), rx.dialog.close(link) if in_drawer else link)


def _user_box(in_drawer: bool = False) -> rx.Component:
    who = [] if in_drawer else [
        rx.text(AuthState.user_name, weight="medium", data_testid="signed-in-user"),
        rx.badge(t_label(ROLE_LABELS, AuthState.user_role), variant="soft", high_contrast=True,
                 data_testid="signed-in-role"),
    ]
    account = rx.link(
        rx.hstack(rx.icon("user-cog", size=16), rx.text(t("Your account")), align="center", spacing="2"),
        href=routes.ACCOUNT, size="2", display="block", padding_y="0.5em",
        data_testid="menu-account" if in_drawer else "nav-account",
    )
    return rx.vstack(
        *who,
        rx.dialog.close(account) if in_drawer else account,
        # A form post: the sign-out endpoint ends the session and clears its HttpOnly cookie.
        posted_form(
            rx.button(rx.icon("log-out", size=16), t("Sign out"), type="submit", variant="soft", color_scheme="gray",
                      width="100%"),
            action=routes.SIGN_OUT,
            method="post",
            width="100%",
        ),
        spacing="2",
        width="100%",
    )


def _navigation(in_drawer: bool = False) -> rx.Component:
    return rx.el.nav(
        rx.vstack(*[_nav_link(item, in_drawer) for item in routes.NAVIGATION], spacing="1", width="100%"),
        aria_label=t("Main"),
        width="100%",
    )


def _sidebar() -> rx.Component:
    return rx.vstack(
        rx.heading(get_settings().company_name, size="5", padding_x="0.75em", data_testid="product-name"),
        _navigation(),
        rx.spacer(),
        _user_box(),
        display=WIDE_ONLY_FLEX,
        width="15em",
        flex_shrink="0",
        min_height="100vh",
        padding="1em",
        spacing="4",
        border_right=f"1px solid {rx.color('gray', 5)}",
        background=rx.color("gray", 2),
    )


def _drawer() -> rx.Component:
    """The phone's navigation: a sheet from the left edge, opened by the top bar's menu button."""
    return sheet(
        rx.icon_button(rx.icon("menu", size=22), variant="ghost", color_scheme="gray", size="3",
                       aria_label=t("Open menu"), class_name="tap-target", data_testid="menu-button"),
        get_settings().company_name,
        rx.dialog.description(AuthState.user_name, " · ", t_label(ROLE_LABELS, AuthState.user_role), size="2"),
        _navigation(in_drawer=True),
        _user_box(in_drawer=True),
        close_label=t("Close menu"),
        data_testid="menu-drawer",
    )


def _top_bar() -> rx.Component:
    return rx.hstack(
        _drawer(),
        rx.heading(get_settings().company_name, size="4"),
        display=PHONE_ONLY_FLEX,
        align="center",
        spacing="3",
        width="100%",
        padding="0.25em 1em",
        border_bottom=f"1px solid {rx.color('gray', 5)}",
        background=rx.color("gray", 2),
    )


def staff_page(
    *, route: str, title: str, on_load: rx.EventHandler | list[rx.EventHandler] | None = None, roles: tuple[Role, ...] | None = routes.STAFF
) -> Callable[[Callable[[], rx.Component]], Callable[[], rx.Component]]:
    """Register a staff page at `route`, wrapped in the shell.

    Access is enforced on the server by `on_load` and every handler; `roles` only keeps the page's empty
    controls from flashing up for a role that is about to be sent away (None: a page anyone may see).
    """

    def decorate(content: Callable[[], rx.Component]) -> Callable[[], rx.Component]:
        @rx.page(route=route, title=page_title(title), on_load=on_load)
        def page() -> rx.Component:
            body = rx.vstack(rx.heading(t(title), size="7"), content(), spacing="5", width="100%")
            return rx.flex(
                _top_bar(),
                _sidebar(),
                rx.el.main(
                    rx.el.header(global_search(), width="100%", padding_bottom="1em"),
                    body if roles is None else rx.cond(
                        _shown_to(roles), body, rx.center(rx.spinner(size="3"), height="50vh", data_testid="shell-waiting"),
                    ),
                    flex="1",
                    padding=rx.breakpoints(initial="1em", sm="1.5em", md="2em"),
                    min_width="0",
                ),
                direction=rx.breakpoints(initial="column", sm="row"),
                width="100%",
            )

        page.__name__ = content.__name__
        return page

    return decorate
