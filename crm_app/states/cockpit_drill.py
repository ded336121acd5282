"""The cockpit's rows dialog: one page of the rows behind a chart for the filters on screen, as display strings,
and all of them as a download. Its own substate of CockpitState, so paging it re-renders the dialog alone."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import reflex as rx

from crm_app import i18n
from crm_app.analytics import cockpit as evaluation
from crm_app.counts import count_of
from crm_app.data.db import read_session
from crm_app.data.repositories.customers import visible_among
from crm_app.data.repositories.users import staff_directory
from crm_app.data.snapshot import current_facts
from crm_app.states import drill_rows
from crm_app.states.auth import current_actor, staff_event
from crm_app.states.cockpit import CHART_NAMES, CockpitState
from crm_app.states.downloading import offer, refused_format

DRILL_PAGE_ROWS = 50
NAMES_PER_QUERY = 900  # customer ids per name query: under SQLite's bound-parameter limit
DRILL_CSV_ROWS = 100_000  # a CSV past this is an export job, not a download from a dialog
DRILL_COUNTS: dict[str, Callable[[int], str]] = {  # by chart; the other charts' rows are orders
    "pipeline": lambda n: count_of(n, "open deal"), "win-rate": lambda n: count_of(n, "closed deal"),
    "satisfaction": lambda n: count_of(n, "feedback answer"), "campaigns": lambda n: count_of(n, "campaign")}


class CockpitDrill(CockpitState):
    drill_open: bool = False
    drill_chart: str = ""
    drill_title: str = ""
    drill_columns: list[str] = []  # the rows' keys (a column of order numbers links to the order)
    drill_headings: list[str] = []  # the same columns in the reader's words
    drill_rows: list[list[str]] = []
    drill_page: int = 0
    drill_pages: int = 0
    drill_total: str = ""

    @staff_event()
    async def filter_by_stage(self, points: list) -> Any:
        """A click on a stage of the pipeline funnel: the page's pipeline figures narrow to that stage (in the
        URL as `stage=`) and its open deals open in the rows dialog, since what an executive asks of a stage
        is which deals sit in it. Order, customer and feedback figures keep the other filters: a stage
        belongs to a deal, so it cannot slice them."""
        if not isinstance(points, list) or not points or not isinstance(points[0], dict):
            return None
        stage = points[0].get("y")
        if not isinstance(stage, str) or stage not in evaluation.OPEN_STAGES:
            return None
        shown = await (await self.get_state(CockpitState))._go(stage=stage)
        opened = None if self.loading else self._open_drill("pipeline")
        return shown if opened is None else [*shown, opened]

    def _drill_frame(self) -> Any:
        """The rows behind the open chart for the filters on screen, from the snapshot (None while loading)."""
        with read_session() as session:
            facts, _ = current_facts(session=session, actor=current_actor())
        if facts is None or self.drill_chart not in evaluation.DRILLS:
            return None
        return evaluation.drill_down(facts, self._filters(datetime.now(UTC).date()), self.drill_chart)

    @staticmethod
    def _readable(rows: Any) -> Any:
        """Drill rows with customer and rep names next to their ids (names only of customers the user may see)."""
        actor = current_actor()
        with read_session() as session:
            ids = sorted({int(i) for i in rows["customer"] if i >= 0}) if "customer" in rows.columns else []
            customers = {cid: name for first in range(0, len(ids), NAMES_PER_QUERY)
                         for cid, name in visible_among(session=session, actor=actor,
                                                        ids=ids[first:first + NAMES_PER_QUERY])}
            reps = {uid: name for uid, name, _ in staff_directory(session=session, actor=actor)} \
                if "rep" in rows.columns else {}
        return drill_rows.readable(rows, customer_names=customers, rep_names=reps)

    def _show_drill_page(self) -> Any:
        frame = self._drill_frame()
        if frame is None:
            self.drill_open = False
            return rx.toast.info(i18n.gettext("The figures are still loading; try again in a moment."))
        self.drill_pages = max(math.ceil(len(frame) / DRILL_PAGE_ROWS), 1)
        self.drill_page = min(max(self.drill_page, 0), self.drill_pages - 1)
        page = self._readable(frame.iloc[self.drill_page * DRILL_PAGE_ROWS:(self.drill_page + 1) * DRILL_PAGE_ROWS])
        self.drill_columns = [str(c) for c in page.columns]
        self.drill_headings = [i18n.say(c) for c in page.columns]
        self.drill_rows = [[drill_rows.screen_cell(column, v) for column, v in zip(self.drill_columns, row)]
                           for row in page.itertuples(index=False)]
        self.drill_total = DRILL_COUNTS.get(self.drill_chart, lambda n: count_of(n, "order"))(len(frame))
        return None

    @staff_event()
    def open_drill(self, chart: str) -> Any:
        """Open the rows behind a chart (its key in evaluation.DRILLS), first page."""
        if not isinstance(chart, str) or chart not in evaluation.DRILLS:
            return None
        return self._open_drill(chart)

    def _open_drill(self, chart: str) -> Any:
        self.drill_chart, self.drill_page, self.drill_open = chart, 0, True
        self.drill_title = i18n.gettext("Rows behind the {chart} chart · {filters}", filters=self.filters_text,
                                        chart=i18n.gettext(CHART_NAMES[chart]))
        return self._show_drill_page()

    @staff_event()
    def turn_drill_page(self, step: int) -> Any:
        if not isinstance(step, int) or step not in (-1, 1):
            return None
        self.drill_page += step
        return self._show_drill_page()

    @staff_event()
    def close_drill(self, _open: Any = False) -> None:
        self.drill_open, self.drill_rows, self.drill_chart = False, [], ""

    @staff_event()
    def download_drill(self, file_format: str = "csv") -> Any:
        """The rows behind the open chart (every page, up to DRILL_CSV_ROWS) as CSV or XLSX, cells safe for
        spreadsheets; the workbook keeps numbers and dates typed."""
        if (refused := refused_format(file_format)) is not None:
            return refused
        frame = self._drill_frame()
        if frame is None:
            return rx.toast.error(i18n.gettext("Open a chart's rows first."))
        rows = self._readable(frame.head(DRILL_CSV_ROWS))
        return offer(file_format, f"cockpit-{self.drill_chart}", [i18n.say(c) for c in rows.columns],
                     rows.itertuples(index=False))
