"""The feedback inbox: filter answers, work them New -> In progress -> Resolved, and read the summary."""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

import reflex as rx

from crm_app import i18n, routes
from crm_app.analytics.sentiment import sentiment_label
from crm_app.analytics.stats import csat_score, nps_score
from crm_app.analytics.topics import top_topics
from crm_app.counts import count_of
from crm_app.data.db import read_session, write_session
from crm_app.data.models import FEEDBACK_STATUS_LABELS, FeedbackStatus, Role
from crm_app.data.permissions import NotFound
from crm_app.data.repositories import feedback as feedback_repo
from crm_app.data.repositories.model_runs import latest_model_run
from crm_app.data.repositories.users import staff_directory
from crm_app.data.validation import UNSTORABLE_TEXT, unstorable
from crm_app.domain import NPS_BANDS, unhappy
from crm_app.formatting import moment, number, percent
from crm_app.states.auth import current_actor, staff_event
from crm_app.states.forms import ANY, as_day, as_id
from crm_app.states.saved_views import SavedViews
from crm_app.states.url_filters import UrlFilters, UrlParam

STATUS_LABELS = FEEDBACK_STATUS_LABELS


class InboxState(SavedViews, UrlFilters, rx.State):
    URL_ROUTE: ClassVar[str] = routes.INBOX
    URL_PARAMS: ClassVar[tuple[UrlParam, ...]] = (
        UrlParam("nps_band", choices=tuple(NPS_BANDS)),
        UrlParam("csat", choices=("1", "2", "3", "4", "5")),
        UrlParam("sentiment", choices=feedback_repo.SENTIMENTS),
        UrlParam("topic"),
        UrlParam("status", choices=tuple(STATUS_LABELS)),
        UrlParam("owner"),
        UrlParam("from", "submitted_from", kind="day"),
        UrlParam("to", "submitted_to", kind="day"),
        UrlParam("page", kind="page", settable=False),
    )
    # Filters, as the controls show them ("any" = not filtered); the URL holds them.
    nps_band: str = ANY
    csat: str = ANY
    sentiment: str = ANY
    topic: str = ANY
    status: str = ANY
    owner: str = ANY
    submitted_from: str = ""
    submitted_to: str = ""
    page: int = 1

    rows: list[dict[str, Any]] = []
    total: int = 0
    total_label: str = ""
    pages: int = 1
    summary: dict[str, str] = {}
    detractor_topics: list[str] = []
    topic_choices: list[str] = []
    owners: list[dict[str, str]] = []
    topics_fitted: str = ""
    can_write: bool = False
    user_can_refit: bool = False
    refitting: bool = False

    # The answer opened in the side panel.
    open_id: int = 0
    open_notes: list[dict[str, str]] = []
    _refit_requested: bool = False

    def _url_choices(self, key: str) -> list[str]:
        if key == "owner":
            return [owner["id"] for owner in self.owners]
        return self.topic_choices if key == "topic" else []

    def _filters(self) -> feedback_repo.FeedbackFilters:
        return feedback_repo.FeedbackFilters(
            nps_band=None if self.nps_band == ANY else self.nps_band,
            csat=int(self.csat) if self.csat in ("1", "2", "3", "4", "5") else None,
            sentiment=None if self.sentiment == ANY else self.sentiment,
            topic=None if self.topic == ANY else self.topic,
            status=FeedbackStatus(self.status) if self.status in STATUS_LABELS else None,
            submitted_from=as_day(self.submitted_from),
            submitted_to=as_day(self.submitted_to),
            owner_id=as_id(self.owner),
        )

    def _reload(self) -> None:
        """The page of answers for the filters in the URL (read after the topic and owner menus they name)."""
        actor = current_actor()
        with read_session() as session:
            directory = staff_directory(session=session, actor=actor)
            run = latest_model_run(session=session, model="feedback_topics")
            self.topic_choices = list((run.summary or {}).get("topics", [])) if run else []
            self.owners = [{"id": str(uid), "name": name} for uid, name, role in directory if role == Role.sales_rep]
            self._read_url_filters()
            result = feedback_repo.inbox_page(session=session, actor=actor, filters=self._filters(), page=self.page)
        self.page, self.pages, self.total = result.page, result.pages, result.total
        self.total_label = count_of(result.total, "answer")
        self.rows = [
            {
                "id": row.id,
                "submitted": moment(row.submitted_at, actor.time_zone),
                "csat": "–" if row.csat is None else str(row.csat),
                "nps": "–" if row.nps is None else str(row.nps),
                "comment": row.comment or "",
                "sentiment": i18n.say(sentiment_label(row.sentiment) or "–"),
                "topic": row.topic or "–",
                "status": i18n.gettext(STATUS_LABELS[row.status]) if row.status in STATUS_LABELS else row.status,
                "customer": row.customer_name or i18n.gettext("Anonymous"),
                "customer_link": routes.customer_page(row.customer_id) if row.customer_id else "",
                "assignee": row.assignee_name or i18n.gettext("Unassigned"),
            }
            for row in result.rows
        ]
        scores = result.scores
        csat, nps = csat_score(scores["csat"]), nps_score(scores["nps"])
        self.summary = {
            "csat": "–" if csat.n == 0 else percent(csat.value),
            "csat_detail": i18n.gettext("{satisfied} of {answers} are 4 or 5; 95% CI {low} – {high}",
                                        satisfied=number(csat.satisfied), answers=count_of(csat.n, "answer"),
                                        low=percent(csat.lower), high=percent(csat.upper))
            if csat.n else i18n.gettext("No CSAT answers in this selection"),
            "nps": "–" if nps.n == 0 else f"{nps.value:+.1f}",
            "nps_detail": i18n.gettext("{promoters} promoters, {passives} passives, {detractors} detractors of {n}; "
                                       "95% CI {low} – {high}", promoters=nps.promoters, passives=nps.passives,
                                       detractors=nps.detractors, n=nps.n, low=f"{nps.lower:+.1f}",
                                       high=f"{nps.upper:+.1f}")
            if nps.n else i18n.gettext("No NPS answers in this selection"),
        }
        detractors = scores[unhappy(scores["nps"], scores["csat"])]
        self.detractor_topics = [f"{name} ({count})" for name, count in top_topics(detractors["topic"], limit=3)]
        self.topics_fitted = (
            i18n.gettext("Topics fitted {when} on {comments}", when=moment(run.fitted_at, actor.time_zone),
                         comments=count_of(run.rows, "comment"))
            if run else i18n.gettext("Topics not fitted yet")
        )
        self.can_write = actor.writes_records
        self.user_can_refit = actor.reads_everything

    @staff_event()
    def load(self) -> None:
        self.open_id, self.open_notes = 0, []
        self._reload()
        self._load_saved_views()

    @staff_event()
    def go_to_page(self, page: int) -> Any:
        return rx.redirect(self._url(page=as_id(page) or 1))

    @staff_event()
    def open_answer(self, feedback_id: int) -> None:
        target = as_id(feedback_id)
        if target is None:
            raise NotFound(i18n.N_("No such feedback."))
        with read_session() as session:
            actor = current_actor()
            notes = feedback_repo.notes_for(session=session, actor=actor, feedback_id=target)
        self.open_id = target
        self.open_notes = [
            {"author": author, "at": moment(note.created_at, actor.time_zone), "body": note.body}
            for note, author in notes
        ]

    @staff_event(Role.admin, Role.sales_rep)
    def set_status(self, feedback_id: int, status: str) -> Any:
        target = as_id(feedback_id)
        if target is None or not isinstance(status, str) or status not in STATUS_LABELS:
            raise NotFound(i18n.N_("No such feedback or status."))
        with write_session() as session:
            feedback_repo.update_feedback(session=session, actor=current_actor(), feedback_id=target,
                                          status=FeedbackStatus(status))
        self._reload()
        return rx.toast.success(i18n.gettext("Marked {value}.", value=i18n.gettext(STATUS_LABELS[status]).lower()))

    @staff_event(Role.admin, Role.sales_rep)
    def assign(self, feedback_id: int, user_id: str) -> Any:
        target, assignee = as_id(feedback_id), as_id(user_id)
        if target is None or assignee is None:
            raise NotFound(i18n.N_("No such feedback or user."))
        with write_session() as session:
            feedback_repo.update_feedback(session=session, actor=current_actor(), feedback_id=target,
                                          assignee_id=assignee)
        self._reload()
        return rx.toast.success(i18n.gettext("Assigned."))

    @staff_event(Role.admin, Role.sales_rep)
    def add_note(self, form_data: dict) -> Any:
        form = form_data if isinstance(form_data, dict) else {}
        body = form.get("body")
        if not isinstance(body, str) or not body.strip() or len(body) > 2000:
            return rx.toast.error(i18n.gettext("Write a note of 1 to 2,000 characters."))
        if unstorable(body):
            return rx.toast.error(i18n.gettext(UNSTORABLE_TEXT))
        with write_session() as session:
            feedback_repo.add_note(session=session, actor=current_actor(), feedback_id=self.open_id,
                                   body=body.strip())
        return InboxState.open_answer(self.open_id)

    @staff_event(Role.admin, Role.executive)
    def request_topic_refit(self) -> Any:
        if self.refitting:
            return None
        self._refit_requested, self.refitting = True, True
        return InboxState.refit_topics

    @rx.event(background=True)
    async def refit_topics(self) -> Any:
        """Refit the topic model off the event loop; only runs when a guarded request asked for it."""
        async with self:
            if not self._refit_requested:
                return None
            self._refit_requested = False
        try:
            await asyncio.to_thread(_refit_in_database)
        finally:
            async with self:
                self.refitting = False
        return InboxState.load


def _refit_in_database() -> None:
    with write_session() as session:
        feedback_repo.refit_topics(session=session)
