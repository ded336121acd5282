"""/campaigns and /campaigns/[campaign_id]: the list with response, uplift and ROI, and one campaign's settings,
audience, start and figures. Every rule is the campaigns repository's; these states only display its results."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import plotly.graph_objects as go
import reflex as rx

from crm_app import i18n, routes
from crm_app.analytics import charts
from crm_app.analytics.chart_text import figure_summary
from crm_app.counts import count_of
from crm_app.data.db import read_session, write_session
from crm_app.data.models import Role
from crm_app.data.permissions import NotFound
from crm_app.data.repositories import campaigns, saved_views
from crm_app.data.repositories.mail_outbox import mail_not_sent_notice
from crm_app.domain import CampaignChannel, CampaignStatus
from crm_app.i18n import N_
from crm_app.states.auth import current_actor, staff_event
from crm_app.states.forms import as_id, parse_form

RUNNERS = (Role.admin, Role.marketer)
SETTINGS_FIELDS = ("name", "channel", "offer", "cost", "start_date", "end_date", "attribution_days",
                   "holdout_share", "email_subject", "email_body")
AUDIENCE_SOURCES = ("filters", "view", "rfm", "cluster", "churn", "refs")


def _percent(value: float | None, digits: int = 1) -> str:
    return "–" if value is None or value != value else f"{value * 100:.{digits}f} %"


def percentage_points(value: float | None) -> str:
    return "–" if value is None or value != value else i18n.gettext("{points} pts", points=f"{value * 100:+.1f}")


def value_range(low: str, high: str) -> str:
    """Two ends of a range or an interval, as the reader says it ("1.0 % to 3.0 %")."""
    return i18n.gettext("{low} to {high}", low=low, high=high)


def _money(value: float | None) -> str:
    return "–" if value is None or value != value else f"{value:,.2f}"


def campaign_settings_form(form_data: Any) -> tuple[campaigns.CampaignDraft | None, dict[str, str]]:
    """The settings form, with the holdout typed in percent (10 = 10 %)."""
    form = dict(form_data) if isinstance(form_data, dict) else {}
    share = form.get("holdout_share")
    if isinstance(share, str) and share.strip():
        try:
            form["holdout_share"] = str(float(share.replace("%", "").strip()) / 100)
        except ValueError:
            return None, {"holdout_share": i18n.gettext("Enter the holdout in percent, e.g. 10.")}
    draft, errors = parse_form(campaigns.CampaignDraft, form, SETTINGS_FIELDS)
    return draft, errors


def audience_note(audience: campaigns.Audience) -> str:
    """What an audience holds, as the campaign page and the segment map say it."""
    return i18n.gettext("{chosen} chosen; {without_consent} left out without consent for the channel; {contacted} to "
                        "contact and {holdout} held out.", chosen=count_of(audience.chosen, "customer"),
                        without_consent=f"{audience.without_consent:,}", contacted=f"{audience.contacted:,}",
                        holdout=f"{audience.holdout:,}")


def saved_note(note: str) -> str:
    """An audience note once the audience is saved (the campaign page and the segment map)."""
    return i18n.gettext("Saved: {note}", note=note)


class CampaignsState(rx.State):
    rows: list[dict[str, str]] = []
    can_create: bool = False
    errors: dict[str, str] = {}

    def _show(self) -> None:
        actor = current_actor()
        with read_session() as session:
            visible = campaigns.visible_campaigns(session=session, actor=actor)
            summaries = [campaigns.campaign_summary(session=session, actor=actor, campaign_id=c.id) for c in visible]
        self.rows = [{
            "id": str(s["campaign_id"]), "link": routes.campaign_page(s["campaign_id"]), "name": s["name"],
            "channel": i18n.say(str(s["channel"])), "status": i18n.say(str(s["status"])),
            "targets": f"{s['targets']:,}",
            "holdout": f"{s['holdout_targets']:,}", "response": _percent(s["response_rate"]),
            "uplift": percentage_points(s["uplift"]),
            "uplift_range": ("–" if s["uplift_low"] is None else
                             value_range(f"{s['uplift_low'] * 100:+.1f}", f"{s['uplift_high'] * 100:+.1f}")),
            "roi": _percent(s["roi"], 0), "incremental_roi": _percent(s["incremental_roi"], 0),
        } for s in summaries]
        self.can_create = actor.runs_campaigns

    @staff_event()
    def load(self) -> None:
        with write_session() as session:
            campaigns.refresh_responses(session=session, now=datetime.now(UTC))
        self._show()

    @staff_event(*RUNNERS)
    def create(self, form_data: dict) -> Any:
        draft, self.errors = campaign_settings_form(form_data)
        if draft is None:
            return None
        with write_session() as session:
            created = campaigns.create_campaign(session=session, actor=current_actor(), draft=draft)
            campaign_id = created.id
        return rx.redirect(routes.campaign_page(campaign_id))


class CampaignState(rx.State):
    found: bool = False
    missing: str = ""
    campaign_id: int = 0
    facts: dict[str, str] = {}
    form: dict[str, str] = {}
    figures: dict[str, str] = {}
    progress: str = ""
    mail_notice: str = ""
    is_draft: bool = False
    can_run: bool = False
    can_start: bool = False
    errors: dict[str, str] = {}
    audience_note: str = ""
    audience_error: str = ""
    # The saved views of /customers the user may open (their own, then shared ones), as audience sources.
    customer_views: list[dict[str, str]] = []
    responses_figure: go.Figure = go.Figure()
    responses_summary: str = ""  # the chart's text alternative

    def _id_from_path(self) -> int | None:
        return as_id(str(self.router.url.path).rstrip("/").rsplit("/", 1)[-1])

    def _show(self, campaign_id: int | None) -> None:
        actor = current_actor()
        self.reset()
        if campaign_id is None:
            self.missing = i18n.gettext("No such campaign.")
            return
        try:
            with read_session() as session:
                c = campaigns.campaign_for(session=session, actor=actor, campaign_id=campaign_id)
                summary = campaigns.campaign_summary(session=session, actor=actor, campaign_id=c.id)
                report = campaigns.campaign_report(session=session, actor=actor, campaign_id=c.id)
                progress = campaigns.contact_progress(session=session, campaign=c)
        except NotFound as missing:
            self.missing = i18n.say(str(missing))
            return
        self.found, self.campaign_id = True, c.id
        self.facts = {"name": c.name, "channel": i18n.say(str(c.channel)), "status": i18n.say(str(c.status)),
                      "offer": c.offer or "–",
                      "cost": _money(c.cost), "dates": value_range(str(c.start_date), str(c.end_date)),
                      "window": count_of(c.attribution_days, "day"), "holdout": _percent(c.holdout_share, 0),
                      "seed": str(c.seed)}
        self.form = {"name": c.name, "channel": str(c.channel), "offer": c.offer, "cost": f"{c.cost:.2f}",
                     "start_date": str(c.start_date), "end_date": str(c.end_date),
                     "attribution_days": str(c.attribution_days), "holdout_share": f"{c.holdout_share * 100:g}",
                     "email_subject": c.email_subject, "email_body": c.email_body}
        s = summary
        self.figures = {
            "targets": f"{s['targets']:,}", "holdout_targets": f"{s['holdout_targets']:,}",
            "response": _percent(s["response_rate"]),
            "response_range": value_range(_percent(s["response_rate_low"]), _percent(s["response_rate_high"])),
            "holdout_response": _percent(s["holdout_response_rate"]),
            "holdout_range": value_range(_percent(s["holdout_response_rate_low"]),
                                    _percent(s["holdout_response_rate_high"])),
            "uplift": percentage_points(s["uplift"]), "uplift_range": value_range(percentage_points(s["uplift_low"]), percentage_points(s["uplift_high"])),
            "revenue_per_target": _money(s["incremental_revenue_per_target"]),
            "revenue_range": value_range(_money(s["incremental_revenue_per_target_low"]),
                                    _money(s["incremental_revenue_per_target_high"])),
            "revenue": _money(s["attributed_revenue"]), "incremental_revenue": _money(s["incremental_revenue"]),
            "cost_per_target": _money(s["cost_per_target"]),
            "cost_per_incremental_response": _money(s["cost_per_incremental_response"]),
            "roi": _percent(s["roi"], 0), "incremental_roi": _percent(s["incremental_roi"], 0),
        }
        counts = dict(contacted=f"{progress.contacted:,}", to_contact=f"{progress.to_contact:,}",
                      holdout=f"{progress.holdout:,}")
        self.progress = (i18n.gettext("{contacted} of {to_contact} contacted, {holdout} held out (never contacted), "
                                      "{withdrawn} withdrew consent", **counts,
                                      withdrawn=count_of(progress.unreachable, "target"))
                         if progress.unreachable else
                         i18n.gettext("{contacted} of {to_contact} contacted, {holdout} held out (never contacted)",
                                      **counts))
        self.is_draft = c.status == CampaignStatus.draft
        self.can_run = actor.runs_campaigns
        self.can_start = self.can_run and (self.is_draft or (c.status == CampaignStatus.running
                                                             and not progress.finished))
        if self.can_run and self.is_draft:
            with read_session() as session:
                views = saved_views.views_for(session=session, actor=actor, page=routes.CUSTOMERS)
            self.customer_views = [
                {"id": str(v.id), "name": v.name if v.own else i18n.gettext("{name} (shared by {owner})", name=v.name,
                                                                             owner=v.owner_name)} for v in views]
        self.mail_notice = mail_not_sent_notice() if c.channel == CampaignChannel.email else ""
        self.responses_figure = charts.campaign_responses_figure(report.cumulative, say=i18n.say)
        self.responses_summary = figure_summary(self.responses_figure, i18n.say)

    @staff_event()
    def load(self) -> None:
        with write_session() as session:
            campaigns.refresh_responses(session=session, now=datetime.now(UTC))
        self._show(self._id_from_path())

    @staff_event(*RUNNERS)
    def save_settings(self, form_data: dict) -> Any:
        draft, errors = campaign_settings_form(form_data)
        if draft is None:
            self.errors = errors
            return None
        try:
            with write_session() as session:
                campaigns.update_campaign(session=session, actor=current_actor(), campaign_id=self.campaign_id,
                                          draft=draft)
        except campaigns.CampaignLocked as locked:
            self.errors = {"form": i18n.say(str(locked))}
            return None
        self._show(self.campaign_id)
        return rx.toast.success(i18n.gettext("Settings saved."))

    def _audience(self, form_data: Any, save: bool) -> None:
        form = form_data if isinstance(form_data, dict) else {}
        source = form.get("source")
        text = lambda name: str(form.get(name) or "").strip()[:200]  # noqa: E731
        self.audience_error = self.audience_note = ""
        if source not in AUDIENCE_SOURCES:
            self.audience_error = i18n.gettext("Choose where the audience comes from.")
            return
        try:
            number = lambda name: int(text(name)) if text(name) else None  # noqa: E731
            choice = {"filters": dict(segment=text("segment") or None, region=text("region") or None),
                      "view": dict(view_id=as_id(form.get("view_id"))),
                      "rfm": dict(rfm_segment=text("rfm_segment")),
                      "cluster": dict(cluster=(number("cluster") or 0) - 1),
                      "churn": dict(churn_top=number("churn_top")),
                      "refs": dict(refs_csv=str(form.get("refs") or ""))}[source]
            if source == "view" and choice["view_id"] is None:
                raise ValueError(N_("Choose a saved view of /customers."))
            if source == "cluster" and choice["cluster"] < 0:
                raise ValueError(N_("Enter a cluster number from 1."))
            if source == "churn" and not (choice["churn_top"] or 0) > 0:
                raise ValueError(N_("Enter how many of the riskiest customers, from 1."))
            actor = current_actor()
            with write_session() as session:
                ids, unknown = campaigns.audience_source(session=session, actor=actor, **choice)
                act = campaigns.set_audience if save else campaigns.preview_audience
                audience = act(session=session, actor=actor, campaign_id=self.campaign_id, customer_ids=ids,
                               unknown_refs=unknown)
        except (ValueError, campaigns.CampaignLocked, NotFound) as error:
            self.audience_error = i18n.say(str(error))
            return
        note = audience_note(audience)
        if audience.unknown_refs:
            note += " " + i18n.gettext("{refs} named no customer.", refs=count_of(len(audience.unknown_refs),
                                                                                   "external ref"))
        if save:
            self._show(self.campaign_id)
            note = saved_note(note)
        self.audience_note = note

    @staff_event(*RUNNERS)
    def choose_audience(self, form_data: dict) -> None:
        """Count the audience of the chosen source; with "save" ticked, also make it the campaign's audience."""
        form = form_data if isinstance(form_data, dict) else {}
        self._audience(form, save=form.get("save") in ("on", "true", True))

    @staff_event(*RUNNERS)
    def start(self) -> Any:
        """Start (or resume) the campaign: batch after batch, each committed on its own, until all are contacted."""
        actor, now = current_actor(), datetime.now(UTC)
        try:
            while True:
                with write_session() as session:
                    progress = campaigns.start_campaign(session=session, actor=actor, campaign_id=self.campaign_id,
                                                        now=now)
                if progress.finished or progress.status != CampaignStatus.running:
                    break
        except campaigns.CampaignLocked as locked:
            return rx.toast.error(i18n.say(str(locked)))
        self._show(self.campaign_id)
        return rx.toast.success(i18n.gettext("{contacted} of {to_contact} contacted.",
                                             contacted=f"{progress.contacted:,}",
                                             to_contact=f"{progress.to_contact:,}"))
