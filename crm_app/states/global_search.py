"""The header's search box: what was typed and the results, grouped by kind, as links."""

from __future__ import annotations

from typing import Any

import reflex as rx

from crm_app import i18n, routes
from crm_app.data.db import read_session
from crm_app.data.repositories.global_search import LONGEST_TERM, Found, search_everything
from crm_app.states.auth import current_actor, staff_event


def _rows(heading: str, kind: str, found: list[Found], href) -> list[dict[str, str]]:
    # The group's heading rides on its first row, so the results stay one flat list the keyboard walks in order.
    return [{"heading": heading if index == 0 else "", "kind": kind, "label": item.label, "detail": item.detail,
             "href": href(item)} for index, item in enumerate(found)]


class GlobalSearchState(rx.State):
    query: str = ""
    results: list[dict[str, str]] = []
    # Shown under the box when a search of two or more characters found nothing.
    nothing_found: bool = False

    @staff_event()
    def search(self, text: Any) -> None:
        self.query = text[:LONGEST_TERM] if isinstance(text, str) else ""
        with read_session() as session:
            found = search_everything(session=session, actor=current_actor(), text=self.query)
        self.results = [
            *_rows(i18n.gettext("Customers"), "customer", found.customers, lambda item: routes.customer_page(item.id)),
            *_rows(i18n.gettext("Deals"), "deal", found.deals, lambda item: routes.deal_page(item.id)),
            *_rows(i18n.gettext("Orders"), "order", found.orders, lambda item: routes.order_page(item.id)),
            *_rows(i18n.gettext("People"), "person", found.people, lambda item: f"mailto:{item.email}"),
        ]
        self.nothing_found = found.empty and len(self.query.strip()) >= 2
