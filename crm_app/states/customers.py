"""The customer list: search, filters and sorting live in the URL, so a view can be bookmarked and shared."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, ClassVar

import reflex as rx

from crm_app import i18n, routes
from crm_app.counts import count_of
from crm_app.data.db import read_session, write_session
from crm_app.data.models import Role, utcnow
from crm_app.data.permissions import NotFound
from crm_app.data.repositories import campaigns, customer_bulk, customer_filters, customers, tasks
from crm_app.data.repositories.users import staff_directory
from crm_app.states.auth import current_actor, staff_event
from crm_app.due_times import DEFAULT_TIME_ZONE, known_time_zone, next_working_hour, wall_clock
from crm_app.formatting import day, moment
from crm_app.labels import label
from crm_app.states.downloading import offer, refused_format
from crm_app.states.forms import ANY, as_id, parse_form
from crm_app.states.saved_views import SavedViews
from crm_app.states.url_filters import UrlFilters, UrlParam



# The bulk action dialogs, the owner choice that means "nobody", and the fields of the bulk task form.
BULK_DIALOGS = ("", "owner", "task", "campaign")
UNASSIGNED = "none"
TASK_FIELDS = ("subject", "kind", "due_on", "due_time", "notes")


CHURN_RISK = customer_filters.CHURN_RISK


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

    # The rows ticked on this page (ids), or all customers matching the filters; the open bulk dialog and its
    # inline messages; what the bulk actions offer this user; the bulk task's default due time (next working hour).
    selected: list[str] = []
    all_matching: bool = False
    bulk_dialog: str = ""
    bulk_errors: dict[str, str] = {}
    can_reassign: bool = False
    # Marketers and admins add the selection to a draft campaign: [{"id", "name"}] of the drafts.
    can_add_to_campaign: bool = False
    draft_campaigns: list[dict[str, str]] = []
    default_due_on: str = ""
    default_due_time: str = "09:00"
    time_zone: str = DEFAULT_TIME_ZONE

    def _url_choices(self, key: str) -> list[str]:
        return {"region": self.regions, "segment": self.segments}.get(key, [])

    def _read_url(self, session) -> customers.CustomerQuery:
        """The URL's filters, checked, as the query (the one rule of customer_filters, which saved views used as
        campaign audiences share)."""
        self._read_url_filters()
        chosen = customer_filters.customer_filters(session=session, actor=current_actor(), filters=self._url_query())
        self.churn_fitted = f"{chosen.churn_fitted_at:%Y-%m-%d %H:%M} UTC" if chosen.churn_fitted_at else ""
        self.owner = str(chosen.query.owner_id) if chosen.query.owner_id else ANY
        return replace(chosen.query, sort=self.sort, descending=self.order == "desc", page=self.page)

    @staff_event()
    def load(self) -> None:
        self._clear_selection()
        self._load()

    def _load(self) -> None:
        actor = current_actor()
        with read_session() as session:
            choices = customers.filter_choices(session=session, actor=actor)
            self.regions, self.segments = choices["region"], choices["segment"]
            query = self._read_url(session)
            result = customers.search_customers(session=session, actor=actor, query=query)
            directory = staff_directory(session=session, actor=actor) if actor.reads_everything else []
            drafts = campaigns.draft_campaigns(session=session, actor=actor)
        self.page, self.pages, self.total = result.page, result.pages, result.total
        self.total_label = count_of(result.total, "customer")
        self.rows = [
            {"id": str(r.id), "link": routes.customer_page(r.id),
             "log_link": f"{routes.customer_page(r.id)}#{routes.TIMELINE_COMPOSER_ANCHOR}", "name": r.name, "company": r.company or "",
             "email": r.email or "", "phone": r.phone or "", "region": label(r.region), "segment": label(r.segment),
             "owner": r.owner_name or i18n.gettext("Unassigned"), "open_deals": str(r.open_deals)}
            for r in result.rows
        ]
        self.owners = [{"id": str(uid), "name": name} for uid, name, role in directory if role == Role.sales_rep]
        self.shows_owner_filter = actor.reads_everything
        self.can_log_activity = actor.writes_records
        self.can_reassign = actor.is_admin
        self.can_add_to_campaign = actor.runs_campaigns
        self.draft_campaigns = [{"id": str(c.id), "name": i18n.gettext("{name} ({channel}, starts {start})", name=c.name,
                                                                       channel=label(c.channel), start=day(c.start_date))}
                                for c in drafts]
        due = wall_clock(next_working_hour(utcnow(), actor.time_zone), actor.time_zone)
        self.default_due_on, self.default_due_time = due.date().isoformat(), due.strftime("%H:%M")
        self.time_zone = known_time_zone(actor.time_zone) or DEFAULT_TIME_ZONE
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
    def export(self, file_format: str = "csv") -> Any:
        """Download exactly the filtered customers this user may see, in the import file's columns, as CSV or
        XLSX."""
        if (refused := refused_format(file_format)) is not None:
            return refused
        with read_session() as session:
            rows = customers.export_customers(session=session, actor=current_actor(), query=self._read_url(session))
        return _download(file_format, rows)

    # --- selection and bulk actions --------------------------------------------------------------

    def _clear_selection(self) -> None:
        self.selected, self.all_matching, self.bulk_dialog, self.bulk_errors = [], False, "", {}

    def _selection(self, session) -> customer_bulk.Selection:
        """The ticked rows, or every customer matching the URL's filters (worked out again here, on the server);
        the repository checks each id, whatever a client put in `selected`."""
        if self.all_matching:
            return customer_bulk.Selection.matching(replace(self._read_url(session), page=1))
        return customer_bulk.Selection.of_ids(i for i in map(as_id, self.selected) if i is not None)

    @rx.var
    def selection_label(self) -> str:
        if self.all_matching:
            return i18n.gettext("All {customers} selected", customers=count_of(self.total, "matching customer"))
        return (i18n.gettext("{customers} selected", customers=count_of(len(self.selected), "customer"))
                if self.selected else "")

    @rx.var
    def page_selected(self) -> bool:
        return bool(self.rows) and len(self.selected) == len(self.rows)

    @staff_event()
    def tick(self, customer_id: str, ticked: bool) -> None:
        """Tick or untick a row shown on this page."""
        if not isinstance(ticked, bool) or customer_id not in [row["id"] for row in self.rows]:
            return
        rest = [i for i in self.selected if i != customer_id]
        self.selected, self.all_matching = (rest + [customer_id]) if ticked else rest, False

    @staff_event()
    def tick_page(self, ticked: bool) -> None:
        self.selected = [row["id"] for row in self.rows] if ticked is True else []
        self.all_matching = False

    @staff_event()
    def select_all_matching(self) -> None:
        self.selected, self.all_matching = [row["id"] for row in self.rows], True

    @staff_event()
    def clear_selection(self) -> None:
        self._clear_selection()

    @staff_event()
    def show_bulk_dialog(self, which: str) -> None:
        self.bulk_dialog = which if which in BULK_DIALOGS else ""
        self.bulk_errors = {}

    def _done(self, message: str) -> Any:
        self._clear_selection()
        self._load()
        return rx.toast.success(message)

    @staff_event(Role.admin)
    def bulk_reassign(self, form_data: dict) -> Any:
        """Give the selection to another owner (or nobody): admins only, all or nothing, one audit batch."""
        choice = form_data.get("owner_id") if isinstance(form_data, dict) else None
        owner = None if choice == UNASSIGNED else as_id(choice)
        if owner is None and choice != UNASSIGNED:
            self.bulk_errors = {"owner_id": i18n.gettext("Choose the new owner.")}
            return None
        try:
            with write_session() as session:
                result = customer_bulk.reassign_customers(session=session, actor=current_actor(),
                                                          selection=self._selection(session), owner_id=owner)
        except (customer_bulk.SelectionRejected, customers.OwnerRejected) as refusal:
            self.bulk_errors = {"owner_id": i18n.say(str(refusal))}
            return None
        return self._done(customer_bulk.describe(result, i18n.N_("reassigned")))

    @staff_event(Role.admin, Role.sales_rep)
    def bulk_create_tasks(self, form_data: dict) -> Any:
        """The same task for each selected customer, due on the user's own clock."""
        draft, self.bulk_errors = parse_form(tasks.TaskDraft, form_data, TASK_FIELDS)
        if self.bulk_errors:
            return None
        try:
            with write_session() as session:
                result = customer_bulk.create_tasks(session=session, actor=current_actor(),
                                                    selection=self._selection(session), draft=draft)
        except customer_bulk.SelectionRejected as refusal:
            self.bulk_errors = {"subject": i18n.say(str(refusal))}
            return None
        zone = current_actor().time_zone
        due = moment(draft.due_at_in(zone), zone)
        return self._done(i18n.gettext("{done}: due {due}.", done=customer_bulk.describe(result, i18n.N_("given a task")),
                                       due=due))

    @staff_event(Role.admin, Role.marketer)
    def bulk_add_to_campaign(self, form_data: dict) -> Any:
        """Add the selection to a draft campaign's audience, by the campaign's consent, once-only and holdout
        rules; says how many were added and how many left out, and why."""
        choice = as_id(form_data.get("campaign_id")) if isinstance(form_data, dict) else None
        if choice is None:
            self.bulk_errors = {"campaign_id": i18n.gettext("Choose the campaign.")}
            return None
        try:
            with write_session() as session:
                result = customer_bulk.add_to_campaign(session=session, actor=current_actor(),
                                                       selection=self._selection(session), campaign_id=choice)
        except (customer_bulk.SelectionRejected, campaigns.CampaignLocked, NotFound, ValueError) as refusal:
            self.bulk_errors = {"campaign_id": i18n.say(str(refusal))}
            return None
        return self._done(customer_bulk.describe_addition(result))

    @staff_event()
    def export_selected(self, file_format: str = "csv") -> Any:
        """Download the selected customers, as the whole list's export does."""
        if (refused := refused_format(file_format)) is not None:
            return refused
        try:
            with read_session() as session:
                rows = customer_bulk.export_selection(session=session, actor=current_actor(),
                                                      selection=self._selection(session))
        except customer_bulk.SelectionRejected as refusal:
            return rx.toast.error(i18n.say(str(refusal)))
        return _download(file_format, rows)


def _download(file_format: str, rows: list[tuple]) -> Any:
    """Customers as a CSV or XLSX download in the import file's columns (crm_app/downloads.py)."""
    return offer(file_format, "customers", customers.EXPORT_COLUMNS, rows)
