"""The budget planner on /campaigns (issue 19): a budget and costs per contact in, the plan that maximises expected
incremental revenue out (analytics.budget_plan over data.repositories.budget_planner), and the plan made into draft
campaigns in one click. Only the plan's few lines are kept (segments × channels), never the customers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import reflex as rx

from crm_app import i18n, routes
from crm_app.analytics.budget_plan import plan_budget
from crm_app.counts import count_of
from crm_app.data.db import read_session, write_session
from crm_app.data.repositories import budget_planner, campaigns
from crm_app.domain import DEFAULT_ATTRIBUTION_DAYS, CampaignChannel
from crm_app.formatting import day, money, number, percent
from crm_app.labels import label, rfm_segment
from crm_app.states.auth import current_actor, staff_event
from crm_app.states.campaigns import RUNNERS, campaign_settings_form, percentage_points, value_range
from crm_app.states.forms import parse_form

BUDGET_FIELDS = ("budget", "cost_email", "cost_phone", "cost_event", "cost_ads")
# The create form's fields, named apart from the new-campaign form on the same page (field ids must be unique).
CREATE_FIELDS = {"plan_name": "name", "plan_start_date": "start_date", "plan_end_date": "end_date",
                 "plan_holdout_share": "holdout_share", "plan_email_subject": "email_subject",
                 "plan_email_body": "email_body"}


class BudgetPlannerState(rx.State):
    errors: dict[str, str] = {}
    create_errors: dict[str, str] = {}
    rows: list[dict[str, str]] = []
    totals: dict[str, str] = {}
    note: str = ""
    planned: bool = False
    uses_email: bool = False
    defaults: dict[str, str] = {}
    created: list[dict[str, str]] = []

    _lines: list[list] = []  # [segment, channel, contacts] of the plan shown
    _costs: dict[str, float] = {}

    @staff_event(*RUNNERS)
    def plan(self, form_data: dict) -> None:
        """Solve the plan for the typed budget and costs; errors stay next to their fields."""
        self.planned, self.rows, self.totals, self.created, self._lines = False, [], {}, [], []
        inputs, self.errors = parse_form(budget_planner.PlannerBudget, form_data, BUDGET_FIELDS)
        if inputs is None:
            return
        if not inputs.costs:
            self.errors = {"form": i18n.gettext("Enter the cost per contact of at least one channel.")}
            return
        try:
            with read_session() as session:
                data = budget_planner.planner_inputs(session=session, actor=current_actor())
        except ValueError as missing:
            self.errors = {"form": i18n.say(str(missing))}
            return
        plan = plan_budget(data.options, data.capacity, budget=inputs.budget, cost_per_contact=inputs.costs,
                           consent_of_channel=budget_planner.CONSENT_OF_CHANNEL)
        self.rows = [{
            "segment": rfm_segment(line.segment), "channel": label(line.channel), "contacts": number(line.contacts),
            "cost": money(line.cost), "uplift": percentage_points(line.uplift),
            "uplift_range": value_range(percentage_points(line.uplift_low), percentage_points(line.uplift_high)),
            "revenue_per_response": money(line.revenue_per_response),
            "expected": money(line.expected_revenue),
        } for line in plan.lines]
        self.totals = {
            "contacts": number(sum(line.contacts for line in plan.lines)), "spent": money(plan.spent),
            "budget": money(plan.budget), "expected": money(plan.expected_revenue),
            "range": value_range(money(plan.expected_low), money(plan.expected_high)),
        }
        measured = int(data.options["targets"].sum() + data.options["holdout_targets"].sum())
        self.note = i18n.gettext(
            "RFM segments as of {day} (the last insights fit); uplift measured against the holdouts of {targets}; "
            "{pairs} with a positive measured return could be chosen. The range puts the ends of each uplift's 95 % "
            "interval in place of the uplift.", day=day(data.as_of), targets=count_of(measured, "past target"),
            pairs=count_of(plan.options, "segment-channel pair"))
        self._lines = [[line.segment, line.channel, line.contacts] for line in plan.lines]
        self._costs = inputs.costs
        self.uses_email = any(line.channel == CampaignChannel.email for line in plan.lines)
        today = datetime.now(UTC).date()
        self.defaults = {"plan_name": i18n.gettext("Budget plan {day}", day=today.isoformat()),
                         "plan_start_date": today.isoformat(),
                         "plan_end_date": (today + timedelta(days=DEFAULT_ATTRIBUTION_DAYS)).isoformat()}
        self.planned = True

    @staff_event(*RUNNERS)
    def create_audience(self, form_data: dict) -> Any:
        """Make the plan shown into draft campaigns (one per channel) whose audiences are its customers."""
        if not self._lines:
            self.create_errors = {"form": i18n.gettext("Plan a budget that contacts someone first.")}
            return None
        form = form_data if isinstance(form_data, dict) else {}
        settings = {field: form.get(name) or "" for name, field in CREATE_FIELDS.items()}
        first = CampaignChannel.email if self.uses_email else self._lines[0][1]
        draft, errors = campaign_settings_form({**settings, "channel": first, "cost": "0", "offer": "",
                                                "attribution_days": str(DEFAULT_ATTRIBUTION_DAYS)})
        self.create_errors = {name: errors[field] for name, field in CREATE_FIELDS.items() if field in errors}
        if draft is None:
            if not self.create_errors:
                self.create_errors = {"form": next(iter(errors.values()), i18n.gettext("Check the settings."))}
            return None
        try:
            with write_session() as session:
                made = budget_planner.create_planned_campaigns(
                    session=session, actor=current_actor(), lines=[tuple(line) for line in self._lines],
                    costs=self._costs, draft=draft)
        except (ValueError, campaigns.CampaignLocked) as error:
            self.create_errors = {"form": i18n.say(str(error))}
            return None
        self.created = [{
            "link": routes.campaign_page(item.campaign_id), "name": item.name,
            "audience": i18n.gettext("{contacted} to contact, {holdout} held out",
                                     contacted=count_of(item.audience.contacted, "customer"),
                                     holdout=f"{item.audience.holdout:,}"),
        } for item in made]
        return rx.toast.success(i18n.gettext("Created {value} from the plan.",
                                             value=count_of(len(made), "draft campaign")))
