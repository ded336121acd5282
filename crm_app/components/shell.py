"""The staff page shell: navigation for the signed-in role, the search box, the user, sign-out."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

from crm_app import routes
from crm_app.components.forms import posted_form
from crm_app.components.global_search import global_search
from crm_app.data.models import Role
from crm_app.settings import get_settings
from crm_app.states.auth import AuthState


def page_title(title: str) -> str:
    """A page's title in the browser's title bar: the page, then the product (CRM_COMPANY_NAME)."""
    return f"{title} · {get_settings().company_name}"


def _shown_to(roles: tuple[Role, ...]) -> rx.Var:
    return rx.Var.create([role.value for role in roles]).contains(AuthState.user_role)


def _nav_link(item: routes.NavItem) -> rx.Component:
    path = AuthState.router.url.path
    active = (path == item.route) | (path == item.route.rstrip("/") + "/")
    return rx.cond(
        _shown_to(item.roles),
        rx.link(
            rx.hstack(rx.icon(item.icon, size=18), rx.text(item.label), align="center", spacing="2"),
            href=item.route,
            underline="none",
            padding="0.5em 0.75em",
            border_radius="var(--radius-2)",
            color=rx.cond(active, rx.color("accent", 11), rx.color("gray", 12)),
            background=rx.cond(active, rx.color("accent", 3), "transparent"),
            _hover={"background": rx.color("gray", 3)},
            aria_current=rx.cond(active, "page", "false"),
            data_testid=f"nav-{item.label.lower()}",
        ),
    )


def _user_box() -> rx.Component:
    return rx.vstack(
        rx.text(AuthState.user_name, weight="medium", data_testid="signed-in-user"),
        rx.badge(AuthState.user_role.replace("_", " "), variant="soft", data_testid="signed-in-role"),
        rx.link(
            rx.hstack(rx.icon("user-cog", size=16), rx.text("Your account"), align="center", spacing="2"),
            href=routes.ACCOUNT, size="2", data_testid="nav-account",
        ),
        # A form post: the sign-out endpoint ends the session and clears its HttpOnly cookie.
        posted_form(
            rx.button(rx.icon("log-out", size=16), "Sign out", type="submit", variant="soft", color_scheme="gray",
                      width="100%"),
            action=routes.SIGN_OUT,
            method="post",
            width="100%",
        ),
        spacing="2",
        width="100%",
    )


def _sidebar() -> rx.Component:
    return rx.vstack(
        rx.heading(get_settings().company_name, size="5", padding_x="0.75em", data_testid="product-name"),
        rx.el.nav(
            rx.vstack(*[_nav_link(item) for item in routes.NAVIGATION], spacing="1", width="100%"),
            aria_label="Main",
            width="100%",
        ),
        rx.spacer(),
        _user_box(),
        width=["100%", "100%", "15em"],
        min_height=["auto", "auto", "100vh"],
        padding="1em",
        spacing="4",
        border_right=["none", "none", f"1px solid {rx.color('gray', 5)}"],
        border_bottom=[f"1px solid {rx.color('gray', 5)}", f"1px solid {rx.color('gray', 5)}", "none"],
        background=rx.color("gray", 2),
    )


def staff_page(
    *, route: str, title: str, on_load: rx.EventHandler | None = None, roles: tuple[Role, ...] | None = routes.STAFF
) -> Callable[[Callable[[], rx.Component]], Callable[[], rx.Component]]:
    """Register a staff page at `route`, wrapped in the shell.

    Access is enforced on the server by `on_load` and every handler; `roles` only keeps the page's empty
    controls from flashing up for a role that is about to be sent away (None: a page anyone may see).
    """

    def decorate(content: Callable[[], rx.Component]) -> Callable[[], rx.Component]:
        @rx.page(route=route, title=page_title(title), on_load=on_load)
        def page() -> rx.Component:
            body = rx.vstack(rx.heading(title, size="7"), content(), spacing="5", width="100%")
            return rx.flex(
                _sidebar(),
                rx.box(
                    rx.el.header(global_search(), width="100%", padding_bottom="1em"),
                    body if roles is None else rx.cond(
                        _shown_to(roles), body, rx.center(rx.spinner(size="3"), height="50vh"),
                    ),
                    flex="1",
                    padding=["1em", "1.5em", "2em"],
                    min_width="0",
                ),
                direction=rx.breakpoints(initial="column", md="row"),
                width="100%",
            )

        page.__name__ = content.__name__
        return page

    return decorate
