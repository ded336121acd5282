"""A box or lasso selection on the /insights segment map made into a campaign audience (issue 19): the selection's
count first, then a new draft campaign or an existing draft gets those customers as its audience (consent and the
holdout as for any audience). Keeps the selected customers' ids server-side only, at most the map's points."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import reflex as rx

from crm_app import i18n, routes
from crm_app.data.db import read_session, write_session
from crm_app.data.repositories import campaigns, map_audience
from crm_app.domain import DEFAULT_ATTRIBUTION_DAYS
from crm_app.states.auth import current_actor, staff_event
from crm_app.states.campaigns import RUNNERS, audience_note, campaign_settings_form, saved_note
from crm_app.states.forms import as_id
from crm_app.states.insights import InsightsState

NEW_CAMPAIGN = "new"
# The new-campaign fields of the form, by the settings field each one fills.
NEW_FIELDS = {"map_name": "name", "map_channel": "channel", "map_email_subject": "email_subject",
              "map_email_body": "email_body"}


class MapAudienceState(rx.State):
    selected: int = 0
    drafts: list[dict[str, str]] = []
    errors: dict[str, str] = {}
    note: str = ""
    link: str = ""

    _customer_ids: list[int] = []

    @staff_event(*RUNNERS)
    async def select_points(self, points: list) -> None:
        """The customers under a selection on the map, counted; the drafts they could become the audience of."""
        insights = await self.get_state(InsightsState)
        picks = map_audience.picked_points(points)
        actor = current_actor()
        self.errors, self.note, self.link = {}, "", ""
        with read_session() as session:
            self._customer_ids = (map_audience.selected_customers(session=session, actor=actor,
                                                                  run_id=insights._map_run_id, picks=picks)
                                  if picks else [])
            self.drafts = [{"id": str(c.id), "name": c.name}
                           for c in map_audience.draft_campaigns(session=session, actor=actor)]
        self.selected = len(self._customer_ids)

    @staff_event(*RUNNERS)
    def make_audience(self, form_data: dict) -> Any:
        """Give the selected customers, as audience, to a new draft campaign or to an existing draft (replacing
        its audience)."""
        form = form_data if isinstance(form_data, dict) else {}
        self.errors, self.note, self.link = {}, "", ""
        if not self._customer_ids:
            self.errors = {"form": i18n.gettext("Select customers on the map first (box or lasso).")}
            return None
        target = form.get("map_target")
        actor = current_actor()
        if target == NEW_CAMPAIGN:
            today = datetime.now(UTC).date()
            settings = {field: form.get(name) or "" for name, field in NEW_FIELDS.items()}
            draft, errors = campaign_settings_form({
                **settings, "offer": "", "cost": "0", "start_date": today.isoformat(),
                "end_date": (today + timedelta(days=DEFAULT_ATTRIBUTION_DAYS)).isoformat(),
                "attribution_days": str(DEFAULT_ATTRIBUTION_DAYS), "holdout_share": "10"})
            if draft is None:
                self.errors = {name: errors[field] for name, field in NEW_FIELDS.items() if field in errors} or \
                    {"form": next(iter(errors.values()), i18n.gettext("Check the campaign's settings."))}
                return None
        elif as_id(target) is None:
            self.errors = {"map_target": i18n.gettext("Choose a campaign.")}
            return None
        try:
            with write_session() as session:
                campaign_id = (campaigns.create_campaign(session=session, actor=actor, draft=draft).id
                               if target == NEW_CAMPAIGN else as_id(target))
                audience = campaigns.set_audience(session=session, actor=actor, campaign_id=campaign_id,
                                                  customer_ids=self._customer_ids)
        except (ValueError, campaigns.CampaignLocked) as error:
            self.errors = {"form": i18n.say(str(error))}
            return None
        self.note = saved_note(audience_note(audience))
        self.link = routes.campaign_page(campaign_id)
        return rx.toast.success(i18n.gettext("The selection is the campaign's audience."))

