"""The webhooks admin page: register endpoints (the secret is shown once), pause, resume or remove them, read the
delivery log and send a delivery again."""

from __future__ import annotations

from typing import Any

import reflex as rx

from crm_app import i18n
from crm_app.data.db import read_session, write_session
from crm_app.data.models import Role, WebhookDeliveryStatus
from crm_app.data.permissions import NotFound
from crm_app.data.repositories import webhooks
from crm_app.domain import WebhookEvent
from crm_app.due_times import wall_clock
from crm_app.states.auth import current_actor, staff_event
from crm_app.states.forms import ANY, as_id

EVENT_CHOICES = [event.value for event in WebhookEvent]
STATUS_CHOICES = [ANY, *(status.value for status in WebhookDeliveryStatus)]
LOG_ROWS = 50


def _when(moment, time_zone: str | None) -> str:
    """The instant on the user's clock, to the second ("2026-12-05 14:30:00")."""
    return wall_clock(moment, time_zone).replace(tzinfo=None).isoformat(" ", "seconds") if moment else ""


class AdminWebhooksState(rx.State):
    endpoints: list[dict[str, Any]] = []
    deliveries: list[dict[str, Any]] = []
    form_errors: dict[str, str] = {}
    form_key: int = 0
    # The secret of the endpoint just created, shown once; cleared on the next load or when dismissed.
    new_secret: str = ""
    new_secret_url: str = ""
    log_status: str = ANY

    def _reload(self) -> None:
        actor = current_actor()
        status = None if self.log_status == ANY else self.log_status
        with read_session() as session:
            endpoints = webhooks.endpoints(session=session, actor=actor)
            log = webhooks.delivery_log(session=session, actor=actor, status=status, limit=LOG_ROWS)
        self.endpoints = [{"id": e.id, "url": e.url, "events": ", ".join(e.events), "is_active": e.is_active,
                           "pending": e.pending, "failed": e.failed} for e in endpoints]
        zone = actor.time_zone
        self.deliveries = [{"id": d.id, "url": d.endpoint_url, "event_type": d.event_type, "event_id": d.event_id,
                            "status": d.status, "attempts": d.attempts,
                            "response": "" if d.last_status_code is None else str(d.last_status_code),
                            "error": d.last_error or "", "created": _when(d.created_at, zone),
                            "next_attempt": _when(d.next_attempt_at, zone) if d.status == "pending" else "",
                            "delivered": _when(d.delivered_at, zone)} for d in log]

    @staff_event(Role.admin)
    def load(self) -> None:
        self.form_errors, self.new_secret, self.new_secret_url = {}, "", ""
        self._reload()

    @staff_event(Role.admin)
    def refresh(self) -> None:
        self._reload()

    @staff_event(Role.admin)
    def create_endpoint(self, form_data: dict) -> Any:
        form = form_data if isinstance(form_data, dict) else {}
        chosen = [event for event in EVENT_CHOICES if form.get(f"event-{event}") in ("on", True)]
        try:
            with write_session() as session:
                created = webhooks.create_endpoint(session=session, actor=current_actor(), url=form.get("url"),
                                                   events=chosen)
                url = created.endpoint.url
        except webhooks.InvalidEndpoint as refused:
            self.form_errors = {refused.field: i18n.say(str(refused))}
            return None
        self.form_errors, self.new_secret, self.new_secret_url = {}, created.secret, url
        self.form_key += 1  # a new key empties the form
        self._reload()
        return rx.toast.success(i18n.gettext("Endpoint added. Copy its secret now: it is not shown again."))

    @staff_event(Role.admin)
    def dismiss_secret(self) -> None:
        self.new_secret, self.new_secret_url = "", ""

    @staff_event(Role.admin)
    def set_active(self, endpoint_id: int, active: bool) -> Any:
        target = as_id(endpoint_id)
        if target is None or not isinstance(active, bool):
            raise NotFound(i18n.N_("No such webhook endpoint."))
        with write_session() as session:
            webhooks.set_endpoint_active(session=session, actor=current_actor(), endpoint_id=target, active=active)
        self._reload()
        return rx.toast.success(i18n.gettext("Endpoint resumed.") if active
                                else i18n.gettext("Endpoint paused: it gets no new events."))

    @staff_event(Role.admin)
    def delete_endpoint(self, endpoint_id: int) -> Any:
        target = as_id(endpoint_id)
        if target is None:
            raise NotFound(i18n.N_("No such webhook endpoint."))
        with write_session() as session:
            webhooks.delete_endpoint(session=session, actor=current_actor(), endpoint_id=target)
        self._reload()
        return rx.toast.success(i18n.gettext("Endpoint removed with its delivery log."))

    @staff_event(Role.admin)
    def resend(self, delivery_id: int) -> Any:
        target = as_id(delivery_id)
        if target is None:
            raise NotFound(i18n.N_("No such delivery."))
        with write_session() as session:
            webhooks.resend(session=session, actor=current_actor(), delivery_id=target)
        self._reload()
        return rx.toast.success(i18n.gettext("Queued to be sent again."))

    @staff_event(Role.admin)
    def set_log_status(self, status: str) -> None:
        if status not in STATUS_CHOICES:
            return
        self.log_status = status
        self._reload()
