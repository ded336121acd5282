"""The Privacy section of a customer's page (admins only): download everything held about them, or erase them."""

from __future__ import annotations

import asyncio
from typing import Any

import reflex as rx

from crm_app import i18n
from crm_app.data.db import read_session, write_session
from crm_app.data.erasing import Erasure, erase_customer
from crm_app.data.models import Role
from crm_app.data.permissions import Actor, NotFound
from crm_app.data.repositories import customers, privacy
from crm_app.states.auth import current_actor, staff_event
from crm_app.states.customer import CustomerState
from crm_app.states.forms import as_id

ERASE_MISMATCH = i18n.N_("Type the customer's name exactly as shown to confirm.")


class PrivacyState(rx.State):
    # Whether the signed-in user may see the section at all; every handler checks the role again on the server.
    shown: bool = False
    customer_name: str = ""
    erase_open: bool = False
    # Inline messages of the erase form, by field.
    erase_errors: dict[str, str] = {}

    def _customer_id(self) -> int:
        """The customer of the page the event came from (the last part of /customers/<id>)."""
        customer_id = as_id(str(self.router.url.path).rstrip("/").rsplit("/", 1)[-1])
        if customer_id is None:
            raise NotFound(i18n.N_("No such customer."))
        return customer_id

    @staff_event()
    def load(self) -> None:
        """Show the section to admins, with the name an erase must be confirmed with."""
        self.reset()
        actor = current_actor()
        if actor.role != Role.admin:
            return
        with read_session() as session:
            customer = customers.customer_for(session=session, actor=actor, customer_id=self._customer_id())
        self.shown, self.customer_name = True, customer.name

    @staff_event(Role.admin)
    def download_export(self) -> Any:
        """Everything held about the customer as a JSON file; the export is audited."""
        customer_id = self._customer_id()
        with write_session() as session:
            export = privacy.export_customer_data(session=session, actor=current_actor(), customer_id=customer_id)
        return [rx.download(data=privacy.export_as_json(export), filename=f"customer-{customer_id}-data.json",
                            mime_type="application/json"),
                rx.toast.success(i18n.gettext("Export ready: everything held about this customer."))]

    @rx.event
    def set_erase_open(self, is_open: bool) -> None:
        self.erase_open = is_open is True
        self.erase_errors = {}

    @staff_event(Role.admin)
    async def erase(self, form_data: dict) -> Any:
        """Erase the customer once the admin has typed their current name (checked against the database)."""
        typed = form_data.get("confirm_name") if isinstance(form_data, dict) else None
        typed = " ".join(typed.split())[:300] if isinstance(typed, str) else ""
        customer_id = self._customer_id()
        # On a worker thread: leaving no copy rewrites tables on PostgreSQL, which must not stall other users.
        erasure = await asyncio.to_thread(_erase_when_confirmed, current_actor(), customer_id, typed)
        if erasure is None:
            self.erase_errors = {"confirm_name": i18n.gettext(ERASE_MISMATCH)}
            return None
        self.erase_open, self.erase_errors = False, {}
        self.customer_name = i18n.gettext("Erased customer {id}", id=customer_id)
        return [rx.toast.success(i18n.gettext("Customer erased: {value} anonymised. Figures are unchanged.", value=erasure.describe())),
                CustomerState.load]


def _erase_when_confirmed(actor: Actor, customer_id: int, typed: str) -> Erasure | None:
    """Erase the customer when `typed` is their current name (any case and spacing); None when it is not."""
    with write_session(overwrite_freed=True) as session:
        customer = customers.customer_for(session=session, actor=actor, customer_id=customer_id)
        if not typed or typed.casefold() != " ".join(customer.name.split()).casefold():
            return None
        return erase_customer(session=session, actor=actor, customer_id=customer_id)
