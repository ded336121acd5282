"""The customer list: search, filters and sorting live in the URL, so a view can be bookmarked and shared."""

from __future__ import annotations

import csv
import io
from typing import Any, ClassVar

import reflex as rx

from crm_app import routes
from crm_app.counts import count_of
from crm_app.data.db import read_session
from crm_app.data.insights_refresh import latest_churn_risk
from crm_app.data.models import Role
from crm_app.data.repositories import customers
from crm_app.data.repositories.users import staff_directory
from crm_app.states.auth import current_actor, staff_event
from crm_app.states.forms import ANY, as_id
from crm_app.states.saved_views import SavedViews
from crm_app.states.url_filters import UrlFilters, UrlParam



def _safe_cell(value: Any) -> str:
    """A CSV cell that a spreadsheet will not run as a formula (phone numbers like +44... stay as they are)."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "@", "\t", "\r") or (text[:1] in ("+", "-") and not text[1:].replace(" ", "").isdigit()):
        return "'" + text
    return text


# ?risk=churn: only the customers on the last churn fit's at-risk list (/insights; My day links here).
CHURN_RISK = "churn"


class CustomersState(SavedViews, UrlFilters, rx.State):
    URL_ROUTE: ClassVar[str] = routes.CUSTOMERS
    URL_PARAMS: ClassVar[tuple[UrlParam, ...]] = (
        UrlParam("q", "search", kind="text", settable=False),
        UrlParam("region"),
        UrlParam("segment"),
        UrlParam("owner", kind="id"),
        UrlParam("open_deals", choices=("yes", "no")),
        UrlParam("risk", choices=(CHURN_RISK,)),
        UrlParam("sort", choices=tuple(customers.SORTABLE), fallback="name", settable=False),
        UrlParam("order", choices=("asc", "desc"), fallback="asc", settable=False),
        UrlParam("page", kind="page", settable=False),
    )

    search: str = ""
    region: str = ANY
    segment: str = ANY
    owner: str = ANY
    open_deals: str = ANY
    risk: str = ANY
    # When the at-risk list the risk filter reads was fitted ("" before the first fit).
    churn_fitted: str = ""
    sort: str = "name"
    order: str = "asc"
    page: int = 1

    rows: list[dict[str, str]] = []
    total: int = 0
    total_label: str = ""
    pages: int = 1
    regions: list[str] = []
    segments: list[str] = []
    owners: list[dict[str, str]] = []
    shows_owner_filter: bool = False
    # Executives read customers: the list offers "Log activity" to those who may write on timelines.
    can_log_activity: bool = False

    def _url_choices(self, key: str) -> list[str]:
        return {"region": self.regions, "segment": self.segments}.get(key, [])

    def _read_url(self, session) -> customers.CustomerQuery:
        self._read_url_filters()
        churn = latest_churn_risk(session=session) if self.risk == CHURN_RISK else None
        self.churn_fitted = f"{churn.fitted_at:%Y-%m-%d %H:%M} UTC" if churn else ""
        owner = as_id(self.owner) if current_actor().reads_everything else None
        self.owner = str(owner) if owner else ANY
        return customers.CustomerQuery(
            search=self.search,
            region=None if self.region == ANY else self.region,
            segment=None if self.segment == ANY else self.segment,
            owner_id=owner,
            has_open_deals={"yes": True, "no": False}.get(self.open_deals),
            among=(churn.customer_ids if churn else ()) if self.risk == CHURN_RISK else None,
            sort=self.sort, descending=self.order == "desc", page=self.page,
        )

    @staff_event()
    def load(self) -> None:
        actor = current_actor()
        with read_session() as session:
            choices = customers.filter_choices(session=session, actor=actor)
            self.regions, self.segments = choices["region"], choices["segment"]
            query = self._read_url(session)
            result = customers.search_customers(session=session, actor=actor, query=query)
            directory = staff_directory(session=session, actor=actor) if actor.reads_everything else []
        self.page, self.pages, self.total = result.page, result.pages, result.total
        self.total_label = count_of(result.total, "customer")
        self.rows = [
            {"id": str(r.id), "link": routes.customer_page(r.id),
             "log_link": f"{routes.customer_page(r.id)}#{routes.TIMELINE_COMPOSER_ANCHOR}", "name": r.name, "company": r.company or "",
             "email": r.email or "", "phone": r.phone or "", "region": r.region, "segment": r.segment,
             "owner": r.owner_name or "Unassigned", "open_deals": str(r.open_deals)}
            for r in result.rows
        ]
        self.owners = [{"id": str(uid), "name": name} for uid, name, role in directory if role == Role.sales_rep]
        self.shows_owner_filter = actor.reads_everything
        self.can_log_activity = actor.writes_records
        self._load_saved_views()

    @staff_event()
    def search_for(self, form_data: dict) -> Any:
        text = form_data.get("q") if isinstance(form_data, dict) else ""
        return rx.redirect(self._url(q=self._checked(self._url_param("q"), text)))

    @staff_event()
    def sort_by(self, column: str) -> Any:
        if not isinstance(column, str) or column not in customers.SORTABLE:
            return None
        order = "desc" if column == self.sort and self.order == "asc" else "asc"
        return rx.redirect(self._url(sort=column, order=order))

    @staff_event()
    def go_to_page(self, page: int) -> Any:
        return rx.redirect(self._url(page=as_id(page) or 1))

    @staff_event()
    def export_csv(self) -> Any:
        """Download exactly the filtered customers this user may see, in the import file's columns."""
        with read_session() as session:
            rows = customers.export_customers(session=session, actor=current_actor(), query=self._read_url(session))
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(customers.EXPORT_COLUMNS)
        writer.writerows([_safe_cell(value) for value in row] for row in rows)
        return rx.download(data=buffer.getvalue(), filename="customers.csv")
