"""The state half of the customer picker (crm_app/components/customer_picker.py), mixed into the order and task
forms: typing part of a name lists a few of the user's customers, choosing one takes it into the form, "Change"
lets it go. Each form says what choosing means for it in `_show_customer`."""

from __future__ import annotations

from typing import Any

import reflex as rx

from crm_app import i18n
from crm_app.data.db import read_session
from crm_app.data.models import Customer, Role
from crm_app.data.permissions import Actor, NotFound
from crm_app.data.repositories import customers
from crm_app.states.auth import current_actor, staff_event
from crm_app.states.forms import as_id

CUSTOMER_MATCHES = 8


def find_customers(actor: Actor, text: Any) -> list[dict[str, str]]:
    """The first few customers the actor may see whose name, company, email or phone contains `text`."""
    term = text.strip()[:100] if isinstance(text, str) else ""
    if len(term) < 2:
        return []
    with read_session() as session:
        page = customers.search_customers(session=session, actor=actor, query=customers.CustomerQuery(search=term))
    return [{"id": str(row.id), "label": f"{row.name} · {row.company}" if row.company else row.name}
            for row in page.rows[:CUSTOMER_MATCHES]]


class CustomerPicker(rx.State, mixin=True):
    customer_id: int = 0
    customer_query: str = ""
    customer_matches: list[dict[str, str]] = []

    def _show_customer(self, customer: Customer | None) -> None:
        """The form's own fields for the customer just chosen, or for none."""
        raise NotImplementedError

    def _choose(self, customer_id: int) -> None:
        """Take the customer into the form, if the user may see it (else NotFound)."""
        with read_session() as session:
            customer = customers.customer_for(session=session, actor=current_actor(), customer_id=customer_id)
        self.customer_id, self.customer_query, self.customer_matches = customer.id, "", []
        self._show_customer(customer)

    @staff_event(Role.admin, Role.sales_rep)
    def find_customer(self, text: str) -> None:
        self.customer_query = text[:100] if isinstance(text, str) else ""
        self.customer_matches = find_customers(current_actor(), self.customer_query)

    @staff_event(Role.admin, Role.sales_rep)
    def choose_customer(self, customer_id: str) -> None:
        target = as_id(customer_id)
        if target is None:
            raise NotFound(i18n.N_("No such customer."))
        self._choose(target)

    @staff_event(Role.admin, Role.sales_rep)
    def change_customer(self) -> None:
        self.customer_id = 0
        self._show_customer(None)
