"""The customer page: profile, lifetime figures, orders and deals (as links), open tasks, feedback and the timeline."""

from __future__ import annotations

from typing import Any

import reflex as rx

from crm_app import i18n, routes
from crm_app.data.db import read_session, write_session
from crm_app.data.models import Role
from crm_app.data.permissions import NotFound
from crm_app.data.repositories import customers, mail_outbox
from crm_app.formatting import day, moment, money, number
from crm_app.labels import label
from crm_app.states.auth import current_actor, staff_event
from crm_app.states.forms import as_id
from crm_app.states.timeline import open_timeline


class CustomerState(rx.State):
    found: bool = False
    customer_id: int = 0
    profile: dict[str, str] = {}
    figures: list[dict[str, str]] = []
    orders: list[dict[str, str]] = []
    deals: list[dict[str, str]] = []
    tasks: list[dict[str, str]] = []
    feedback: list[dict[str, str]] = []
    can_send_survey: bool = False
    # The customer has an email address and consents to email: the survey can be emailed.
    can_email_survey: bool = False
    survey_link: str = ""
    can_edit: bool = False
    # Customers that look like this one, each offered for merging into it.
    merge_candidates: list[dict[str, str]] = []

    def _id_from_path(self) -> int | None:
        return as_id(str(self.router.url.path).rstrip("/").rsplit("/", 1)[-1])

    @staff_event()
    async def load(self) -> Any:
        self.reset()
        customer_id = self._id_from_path()
        if customer_id is None:
            raise NotFound(i18n.N_("No such customer."))
        actor = current_actor()
        with read_session() as session:
            file = customers.customer_file(session=session, actor=actor, customer_id=customer_id)
        c, life = file.customer, file.lifetime
        self.found, self.customer_id = True, c.id
        self.profile = {
            "name": c.name, "company": c.company or "–", "email": c.email or "–", "phone": c.phone or "–",
            "region": label(c.region), "segment": label(c.segment), "channel": label(c.acquisition_channel),
            "owner": file.owner_name or i18n.gettext("Unassigned"), "external_ref": c.external_ref or "–",
            "consent": i18n.gettext(", ").join(i18n.gettext(kind) for kind, given in (("email", c.consent_email),
                                                                                       ("phone", c.consent_phone))
                                               if given) or i18n.gettext("none"),
        }
        self.figures = [
            {"label": i18n.gettext("Orders"), "value": number(life.orders)},
            {"label": i18n.gettext("Revenue"), "value": money(life.revenue)},
            {"label": i18n.gettext("Average order value"), "value": money(life.average_order_value)},
            {"label": i18n.gettext("First order"), "value": day(life.first_order, actor.time_zone)},
            {"label": i18n.gettext("Last order"), "value": day(life.last_order, actor.time_zone)},
        ]
        self.orders = [{"number": f"#{o.id}", "link": routes.order_page(o.id), "date": day(o.ordered_at, actor.time_zone),
                        "status": label(o.status), "channel": label(o.channel), "total": money(o.total_amount)} for o in file.orders]
        self.deals = [{"title": d.title, "link": routes.deal_page(d.id), "stage": label(d.stage), "amount": money(d.amount),
                       "close": day(d.expected_close_date)} for d in file.deals]
        self.tasks = [{"subject": a.subject, "kind": label(a.kind), "due": moment(a.due_at, actor.time_zone)} for a in file.open_tasks]
        self.feedback = [{"date": day(f.submitted_at, actor.time_zone), "csat": str(f.csat or "–"), "nps": "–" if f.nps is None
                          else str(f.nps), "comment": f.comment or ""} for f in file.feedback]
        self.can_send_survey = self.can_edit = actor.writes_records
        self.can_email_survey = actor.writes_records and bool(c.email) and c.consent_email
        with read_session() as session:
            found = customers.duplicate_candidates(session=session, actor=actor, details=c, exclude_id=c.id)
        self.merge_candidates = [{"id": str(d.id), "link": routes.customer_page(d.id), "name": d.name,
                                  "company": d.company or "", "owner": d.owner_name or i18n.gettext("Unassigned"),
                                  "reasons": ", ".join(d.reasons)} for d in found]
        await open_timeline(self, customer_id=c.id)
        return None

    @staff_event(Role.admin, Role.sales_rep)
    def merge_into_this(self, duplicate_id: Any) -> Any:
        """Fold another customer (with its orders, deals, tasks and feedback) into the one on this page."""
        duplicate = as_id(duplicate_id)
        if duplicate is None or duplicate == self.customer_id:
            raise NotFound(i18n.N_("No such customer."))
        with write_session() as session:
            moved = customers.merge_customers(session=session, actor=current_actor(), survivor_id=self.customer_id,
                                              duplicate_id=duplicate)
        summary = ", ".join(f"{count} {label.replace('_', ' ')}" for label, count in moved.items() if count)
        return [rx.toast.success(i18n.gettext("Merged: {value} moved to this customer.", value=summary or 'nothing else')), CustomerState.load]

    @staff_event(Role.admin, Role.sales_rep)
    def delete_customer(self) -> Any:
        with write_session() as session:
            customers.delete_customer(session=session, actor=current_actor(), customer_id=self.customer_id)
        return [rx.toast.success(i18n.gettext("Customer deleted.")), rx.redirect(routes.CUSTOMERS)]

    @staff_event(Role.admin, Role.sales_rep)
    def create_survey_link(self) -> Any:
        with write_session() as session:
            token = customers.issue_survey_link(session=session, actor=current_actor(), customer_id=self.customer_id)
        origin = str(self.router.url.origin) if self.router.url.origin not in ("", "://") else ""
        self.survey_link = f"{origin}/feedback?t={token}"
        return rx.toast.success(i18n.gettext("Survey link created: it works once, for 30 days."))

    @staff_event(Role.admin, Role.sales_rep)
    def email_survey_invitation(self) -> Any:
        """Queue today's personal survey invitation to the customer in the mail outbox (once a day)."""
        try:
            with write_session() as session:
                sent = customers.email_survey_invitation(session=session, actor=current_actor(),
                                                         customer_id=self.customer_id)
        except ValueError as refused:
            return rx.toast.error(i18n.say(str(refused)))
        if sent.already_queued:
            return rx.toast.info(i18n.gettext("Today's survey invitation to {to} was already sent; nothing more was sent.", to=sent.to))
        queued = i18n.gettext("Survey invitation to {to} queued.", to=sent.to)
        return rx.toast.success(f"{queued} {mail_outbox.mail_not_sent_notice()}".strip())
