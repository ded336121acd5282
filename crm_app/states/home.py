"""The home page: the signed-in user's book of business at a glance."""

from __future__ import annotations

import reflex as rx

from crm_app.data.db import read_session
from crm_app.data.repositories.overview import book_overview
from crm_app.states.auth import current_actor, staff_event


class HomeState(rx.State):
    scope: str = ""
    figures: list[dict[str, str]] = []

    @staff_event()
    def load(self) -> None:
        actor = current_actor()
        with read_session() as session:
            overview = book_overview(session=session, actor=actor)
        self.scope = "Company-wide" if actor.reads_everything else "Your book of business"
        self.figures = [
            {"label": "Customers", "value": f"{overview.customers:,}"},
            {"label": "Open deals", "value": f"{overview.open_deals:,}"},
            {"label": "Open pipeline", "value": f"{overview.open_pipeline:,.2f}"},
            {"label": "Weighted pipeline", "value": f"{overview.weighted_pipeline:,.2f}"},
            {"label": "Open tasks", "value": f"{overview.open_tasks:,}"},
            {"label": "Overdue tasks", "value": f"{overview.overdue_tasks:,}"},
            {"label": "Orders, last 30 days", "value": f"{overview.orders_last_30_days:,}"},
            {"label": "Revenue, last 30 days", "value": f"{overview.revenue_last_30_days:,.2f}"},
        ]
