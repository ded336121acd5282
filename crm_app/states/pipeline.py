"""The deal pipeline board: filters live in the URL; each column pages its cards; moves go through the repository."""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar
from urllib.parse import urlencode

import reflex as rx

from crm_app import i18n, routes
from crm_app.data.db import read_session, write_session
from crm_app.data.models import Role
from crm_app.data.insights_refresh import latest_win_model_fit, latest_win_probabilities
from crm_app.data.repositories import deals
from crm_app.data.repositories.users import staff_directory
from crm_app.domain import DealStage, deal_is_overdue
from crm_app.due_times import local_today
from crm_app.formatting import day, money, number
from crm_app.labels import label
from crm_app.states.auth import current_actor, staff_event
from crm_app.states.forms import ANY, as_id, parse_form
from crm_app.states.saved_views import SavedViews
from crm_app.states.url_filters import UrlFilters, UrlParam

STAGES = [stage.value for stage in DealStage]
# One var per column, so a move sends only the two columns it changed.
CARDS = {stage: f"{stage.lower()}_cards" for stage in STAGES}
NEW_DEAL_FIELDS = ("title", "customer_id", "amount", "expected_close_date", "owner_id")
# What a column's weighted amount multiplies each deal's amount by: its stage's probability or the win model's.
BY_STAGE, BY_WIN_MODEL = "stage", "model"
# ?overdue=yes: only the open deals whose expected close date has passed (My day links here).
OVERDUE = "yes"


def _card(card: deals.DealCard, today: date) -> dict[str, str]:
    return {"id": str(card.id), "title": card.title, "link": routes.deal_page(card.id),
            "overdue": "yes" if deal_is_overdue(card.stage, card.expected_close, today) else "",
            "customer": card.customer_name,
            "customer_link": routes.customer_page(card.customer_id), "amount": money(card.amount),
            "close": (i18n.gettext("Closes {day}", day=day(card.expected_close)) if card.expected_close
                  else i18n.gettext("No close date")),
            "owner": card.owner_name, "owner_id": str(card.owner_id)}


class PipelineState(SavedViews, UrlFilters, rx.State):
    URL_ROUTE: ClassVar[str] = routes.PIPELINE
    URL_PARAMS: ClassVar[tuple[UrlParam, ...]] = (UrlParam("owner", kind="id"), UrlParam("region"), UrlParam("month", kind="month"),
                  UrlParam("weight", fallback=BY_STAGE), UrlParam("overdue", choices=(OVERDUE,)))

    owner: str = ANY
    region: str = ANY
    month: str = ""
    weight: str = BY_STAGE
    overdue: str = ANY
    # When the win model was last fitted ("" if never): the "Weight by" control offers it only then.
    win_model_fitted: str = ""

    summaries: dict[str, dict[str, str]] = {}
    lead_cards: list[dict[str, str]] = []
    qualified_cards: list[dict[str, str]] = []
    proposal_cards: list[dict[str, str]] = []
    negotiation_cards: list[dict[str, str]] = []
    won_cards: list[dict[str, str]] = []
    lost_cards: list[dict[str, str]] = []
    column_pages: dict[str, int] = {}
    column_page_counts: dict[str, int] = {}
    regions: list[str] = []
    owners: list[dict[str, str]] = []
    shows_owner_filter: bool = False
    can_change: bool = False
    can_reassign: bool = False
    # Below 768 px the board shows this one stage (the stage switcher).
    phone_stage: str = DealStage.lead.value

    # The Lost dialog: which deal is being closed, and why it may not be yet.
    lost_deal_title: str = ""
    lost_error: str = ""
    # The Won dialog: where "Create the order" goes.
    won_deal_title: str = ""
    won_order_link: str = ""
    # The New deal dialog.
    new_deal_open: bool = False
    new_deal_errors: dict[str, str] = {}
    customer_choices: list[dict[str, str]] = []

    _lost_deal_id: int | None = None
    _carried_deal_id: int | None = None

    # --- reading ------------------------------------------------------------------------------------

    def _url_choices(self, key: str) -> list[str]:
        if key == "weight":  # the win model's weights are offered once it has been fitted
            return [BY_STAGE, BY_WIN_MODEL] if self.win_model_fitted else [BY_STAGE]
        return self.regions if key == "region" else []

    def _board(self) -> deals.BoardFilter:
        """The filters of the URL as the repository takes them (a rep's owner filter is ignored there)."""
        self._read_url_filters()
        actor = current_actor()
        owner = as_id(self.owner) if actor.reads_everything else None
        self.owner = str(owner) if owner else ANY
        return deals.BoardFilter(owner_id=owner, region=None if self.region == ANY else self.region,
                                 close_month=date.fromisoformat(f"{self.month}-01") if self.month else None,
                                 overdue_on=local_today(actor.time_zone) if self.overdue == OVERDUE else None)

    def _show_board(self, stages: tuple[str, ...] = tuple(STAGES)) -> None:
        """Read the figures and the current page of cards of the columns in `stages` (a move redraws only the
        two columns it changed; other columns catch up with other users' changes on the next load). Weighing by
        the win model reads the probabilities of its last fit once here, never per card."""
        actor, board = current_actor(), self._board()
        with read_session() as session:
            win = latest_win_probabilities(session=session) if self.weight == BY_WIN_MODEL else None
            columns = deals.column_summaries(session=session, actor=actor, board=board,
                                             stages=tuple(DealStage(stage) for stage in stages),
                                             win_probabilities=win.by_stage if win else None)
            pages = {column.stage.value: deals.column_cards(
                session=session, actor=actor, board=board, stage=column.stage, total=column.count,
                page=self.column_pages.get(column.stage.value, 1)) for column in columns}
        self.summaries = {**self.summaries, **{
            column.stage.value: {"count": number(column.count), "total": money(column.total),
                                 "weighted": money(column.weighted)} for column in columns}}
        self._show_pages(pages)

    def _show_pages(self, pages: dict[str, deals.CardPage]) -> None:
        today = local_today(current_actor().time_zone)  # the day the overdue filter takes
        for stage, page in pages.items():
            setattr(self, CARDS[stage], [_card(card, today) for card in page.cards])
        self.column_pages = {**self.column_pages, **{stage: page.page for stage, page in pages.items()}}
        self.column_page_counts = {**self.column_page_counts, **{stage: page.pages for stage, page in pages.items()}}

    @staff_event()
    def load(self) -> None:
        actor = current_actor()
        self.column_pages = {}
        self._close_dialogs()
        with read_session() as session:
            fitted = latest_win_model_fit(session=session)
            self.regions = deals.board_regions(session=session, actor=actor)
            directory = staff_directory(session=session, actor=actor) if actor.reads_everything else []
        self.win_model_fitted = f"{fitted:%Y-%m-%d %H:%M} UTC" if fitted else ""
        self._show_board()
        self.owners = [{"id": str(uid), "name": name} for uid, name, role in directory
                       if role in (Role.sales_rep, Role.admin)]
        self.shows_owner_filter = actor.reads_everything
        self.can_change = actor.writes_records
        self.can_reassign = actor.is_admin
        self._load_saved_views()

    @staff_event()
    def go_to_column_page(self, stage: str, page: int) -> None:
        if stage not in STAGES:
            return
        with read_session() as session:
            result = deals.column_cards(session=session, actor=current_actor(), board=self._board(),
                                        stage=DealStage(stage), page=as_id(page) or 1)
        self._show_pages({stage: result})

    @staff_event()
    def show_stage(self, stage: str) -> None:
        """The phone's stage switcher: which stage the narrow board shows."""
        if isinstance(stage, str) and stage in STAGES:
            self.phone_stage = stage

    # --- moving -------------------------------------------------------------------------------------

    def _move(self, deal_id: Any, stage: Any, lost_reason: Any = None) -> deals.StageMove:
        """Move the deal and redraw the figures and the two columns it left and joined."""
        with write_session() as session:
            move = deals.move_deal(session=session, actor=current_actor(), deal_id=as_id(deal_id), stage=stage,
                                   lost_reason=lost_reason)
        self._show_board((move.from_stage.value, move.to_stage.value))
        return move

    def _confirm(self, move: deals.StageMove) -> Any:
        """A toast; a won deal also asks whether to create its order. A card dropped where it was says nothing."""
        if move.from_stage == move.to_stage:
            return None
        if move.to_stage == DealStage.won:
            self.won_deal_title = move.title
            self.won_order_link = f"{routes.ORDER_NEW}?{urlencode({'customer': move.customer_id, 'deal': move.deal_id})}"
        return rx.toast.success(i18n.gettext("“{title}” moved to {value}.", title=move.title, value=label(move.to_stage.value)))

    def _move_or_ask_why(self, deal_id: Any, stage: Any) -> Any:
        if stage == DealStage.lost.value:
            with read_session() as session:
                deal = deals.changeable_deal(session=session, actor=current_actor(), deal_id=as_id(deal_id))
                self._lost_deal_id, self.lost_deal_title, self.lost_error = deal.id, deal.title, ""
            return None
        try:
            moved = self._move(deal_id, stage)
        except deals.InvalidDealChange as refusal:
            return rx.toast.error(i18n.say(str(refusal)))
        return self._confirm(moved)

    @staff_event()
    def move_to(self, deal_id: str, stage: str) -> Any:
        """The card's "Move to" control: Lost first asks why, Won then offers to create the order."""
        return self._move_or_ask_why(deal_id, stage)

    @staff_event()
    def pick_up(self, deal_id: str) -> None:
        """A card starts being dragged: remember which one, for the column it is dropped on."""
        self._carried_deal_id = as_id(deal_id)

    @staff_event()
    def drop_on(self, stage: str) -> Any:
        """A dragged card dropped on a column: the same move as the "Move to" control."""
        deal_id, self._carried_deal_id = self._carried_deal_id, None
        return None if deal_id is None else self._move_or_ask_why(deal_id, stage)

    @staff_event()
    def mark_lost(self, form_data: dict) -> Any:
        """The Lost dialog's form: the deal closes as Lost only with a reason."""
        reason = form_data.get("lost_reason") if isinstance(form_data, dict) else None
        try:
            moved = self._move(self._lost_deal_id, DealStage.lost.value, lost_reason=reason)
        except deals.InvalidDealChange as refusal:
            self.lost_error = str(refusal)
            return None
        self._close_dialogs()
        return self._confirm(moved)

    @staff_event()
    def create_order(self) -> Any:
        """Yes to "create the order?": open the order form for the won deal's customer."""
        link, self.won_order_link = self.won_order_link, ""
        return rx.redirect(link) if link else None

    @staff_event()
    def close_dialogs(self) -> None:
        self._close_dialogs()

    def _close_dialogs(self) -> None:
        self._lost_deal_id = None
        self.lost_deal_title = self.lost_error = self.won_deal_title = self.won_order_link = ""
        self.new_deal_open = False
        self.new_deal_errors = {}

    @staff_event(Role.admin)
    def reassign(self, deal_id: str, owner_id: str) -> Any:
        try:
            with write_session() as session:
                deal = deals.reassign_deal(session=session, actor=current_actor(), deal_id=as_id(deal_id),
                                           owner_id=as_id(owner_id))
                title = deal.title
        except deals.InvalidDealChange as refusal:
            return rx.toast.error(i18n.say(str(refusal)))
        self._show_board()
        return rx.toast.success(i18n.gettext("“{title}” has a new owner.", title=title))

    # --- a new deal ---------------------------------------------------------------------------------

    @staff_event(Role.sales_rep, Role.admin)
    def open_new_deal(self) -> None:
        self._close_dialogs()
        self.new_deal_open = True
        self._find_customers("")

    @staff_event(Role.sales_rep, Role.admin)
    def find_customers(self, search: str) -> None:
        self._find_customers(search if isinstance(search, str) else "")

    def _find_customers(self, search: str) -> None:
        with read_session() as session:
            found = deals.customers_to_sell_to(session=session, actor=current_actor(), search=search[:100])
        self.customer_choices = [{"id": str(cid), "label": label} for cid, label in found]

    @staff_event(Role.sales_rep, Role.admin)
    def create_deal(self, form_data: dict) -> Any:
        new_deal, errors = parse_form(deals.DealCreate, form_data, NEW_DEAL_FIELDS)
        if new_deal is None:
            self.new_deal_errors = errors
            return None
        try:
            with write_session() as session:
                title = deals.create_deal(session=session, actor=current_actor(), deal_create=new_deal).title
        except deals.InvalidDealChange as refusal:
            self.new_deal_errors = {refusal.field: str(refusal)}
            return None
        self._close_dialogs()
        self._show_board()
        return rx.toast.success(i18n.gettext("“{title}” added as a Lead.", title=title))
