"""Previous / next controls under a paginated table."""

from __future__ import annotations

import reflex as rx

from crm_app.components.translated import t


def pager(state: type[rx.State]) -> rx.Component:
    """Paging for a state with `page` and `pages` vars and a `go_to_page(page)` handler."""
    return rx.hstack(
        rx.button(t("Previous"), variant="soft", disabled=state.page <= 1,
                  on_click=state.go_to_page(state.page - 1)),
        rx.text(t("Page "), state.page, t(" of "), state.pages, size="2"),
        rx.button(t("Next"), variant="soft", disabled=state.page >= state.pages,
                  on_click=state.go_to_page(state.page + 1)),
        align="center",
    )
