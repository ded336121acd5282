"""The customer list: search, filters and sorting live in the URL, so a view can be bookmarked and shared."""

from __future__ import annotations

import csv
import io
from typing import Any
from urllib.parse import urlencode

import reflex as rx

from crm_app import routes
from crm_app.data.db import read_session
from crm_app.data.models import Role
from crm_app.data.repositories import customers
from crm_app.data.repositories.users import staff_directory
from crm_app.states.auth import current_actor, staff_event
from crm_app.states.forms import ANY, as_id

PARAMS = ("q", "region", "segment", "owner", "open_deals", "sort", "order", "page")


def _safe_cell(value: Any) -> str:
    """A CSV cell that a spreadsheet will not run as a formula (phone numbers like +44... stay as they are)."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "@", "\t", "\r") or (text[:1] in ("+", "-") and not text[1:].replace(" ", "").isdigit()):
        return "'" + text
    return text


class CustomersState(rx.State):
    search: str = ""
    region: str = ANY
    segment: str = ANY
    owner: str = ANY
    open_deals: str = ANY
    sort: str = "name"
    order: str = "asc"
    page: int = 1

    rows: list[dict[str, str]] = []
    total: int = 0
    pages: int = 1
    regions: list[str] = []
    segments: list[str] = []
    owners: list[dict[str, str]] = []
    shows_owner_filter: bool = False

    def _read_url(self) -> customers.CustomerQuery:
        params = self.router.url.query_parameters
        actor = current_actor()
        self.search = str(params.get("q", ""))[:100].strip()
        self.region = str(params.get("region", ANY))[:40]
        self.segment = str(params.get("segment", ANY))[:40]
        owner = as_id(params.get("owner")) if actor.reads_everything else None
        self.owner = str(owner) if owner else ANY
        self.open_deals = params.get("open_deals") if params.get("open_deals") in ("yes", "no") else ANY
        self.sort = params.get("sort") if params.get("sort") in customers.SORTABLE else "name"
        self.order = "desc" if params.get("order") == "desc" else "asc"
        self.page = as_id(params.get("page")) or 1
        return customers.CustomerQuery(
            search=self.search,
            region=None if self.region == ANY else self.region,
            segment=None if self.segment == ANY else self.segment,
            owner_id=owner,
            has_open_deals={"yes": True, "no": False}.get(self.open_deals),
            sort=self.sort, descending=self.order == "desc", page=self.page,
        )

    def _url(self, **changes: Any) -> str:
        values = {"q": self.search, "region": self.region, "segment": self.segment, "owner": self.owner,
                  "open_deals": self.open_deals, "sort": self.sort, "order": self.order, "page": self.page}
        values.update(changes)
        kept = {k: v for k, v in values.items() if v not in ("", ANY, None) and not (k == "page" and v == 1)
                and not (k == "sort" and v == "name") and not (k == "order" and v == "asc")}
        return routes.CUSTOMERS + ("?" + urlencode(kept) if kept else "")

    @staff_event()
    def load(self) -> None:
        actor = current_actor()
        query = self._read_url()
        with read_session() as session:
            result = customers.search_customers(session=session, actor=actor, query=query)
            choices = customers.filter_choices(session=session, actor=actor)
            directory = staff_directory(session=session, actor=actor) if actor.reads_everything else []
        self.page, self.pages, self.total = result.page, result.pages, result.total
        self.rows = [
            {"id": str(r.id), "link": routes.customer_page(r.id), "name": r.name, "company": r.company or "",
             "email": r.email or "", "phone": r.phone or "", "region": r.region, "segment": r.segment,
             "owner": r.owner_name or "Unassigned", "open_deals": str(r.open_deals)}
            for r in result.rows
        ]
        self.regions, self.segments = choices["region"], choices["segment"]
        self.owners = [{"id": str(uid), "name": name} for uid, name, role in directory if role == Role.sales_rep]
        self.shows_owner_filter = actor.reads_everything

    @staff_event()
    def set_filter(self, name: str, value: str) -> Any:
        if name not in ("region", "segment", "owner", "open_deals") or not isinstance(value, str):
            return None
        return rx.redirect(self._url(**{name: value[:40]}, page=1))

    @staff_event()
    def search_for(self, form_data: dict) -> Any:
        text = form_data.get("q") if isinstance(form_data, dict) else ""
        return rx.redirect(self._url(q=text[:100].strip() if isinstance(text, str) else "", page=1))

    @staff_event()
    def sort_by(self, column: str) -> Any:
        if not isinstance(column, str) or column not in customers.SORTABLE:
            return None
        order = "desc" if column == self.sort and self.order == "asc" else "asc"
        return rx.redirect(self._url(sort=column, order=order, page=1))

    @staff_event()
    def go_to_page(self, page: int) -> Any:
        return rx.redirect(self._url(page=as_id(page) or 1))

    @staff_event()
    def reset_filters(self) -> Any:
        return rx.redirect(routes.CUSTOMERS)

    @staff_event()
    def export_csv(self) -> Any:
        """Download exactly the filtered customers this user may see, in the import file's columns."""
        with read_session() as session:
            rows = customers.export_customers(session=session, actor=current_actor(), query=self._read_url())
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(customers.EXPORT_COLUMNS)
        writer.writerows([_safe_cell(value) for value in row] for row in rows)
        return rx.download(data=buffer.getvalue(), filename="customers.csv")
