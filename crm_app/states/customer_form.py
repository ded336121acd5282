"""The customer form: add a customer from the list or edit one on its page, warned first about likely duplicates."""

from __future__ import annotations

from typing import Any

import reflex as rx

from crm_app import i18n, routes
from crm_app.data.db import read_session, write_session
from crm_app.data.models import Customer, CustomerCreate, CustomerUpdate, Role
from crm_app.data.permissions import RECORD_WRITERS, NotFound
from crm_app.data.repositories import customers
from crm_app.data.repositories.users import staff_directory
from crm_app.domain import ACQUISITION_CHANNELS, REGIONS
from crm_app.states.auth import current_actor, staff_event
from crm_app.states.customer import CustomerState
from crm_app.states.forms import as_id, parse_form

FIELDS = tuple(CustomerCreate.model_fields)
NO_OWNER = "none"
WRITERS = (Role.admin, Role.sales_rep)


def _starting_values(customer: Customer | None) -> dict[str, str]:
    """What the fields show when the form opens: the customer's values, or sensible blanks for a new one."""
    if customer is None:
        return {"name": "", "company": "", "email": "", "phone": "", "region": REGIONS[0],
                "segment": "SMB", "acquisition_channel": ACQUISITION_CHANNELS[0], "consent_email": "",
                "consent_phone": "", "owner_id": NO_OWNER}
    return {"name": customer.name, "company": customer.company or "", "email": customer.email or "",
            "phone": customer.phone or "", "region": customer.region, "segment": customer.segment,
            "acquisition_channel": customer.acquisition_channel,
            "consent_email": "on" if customer.consent_email else "",
            "consent_phone": "on" if customer.consent_phone else "",
            "owner_id": str(customer.owner_id) if customer.owner_id else NO_OWNER}


def _candidate_row(candidate: customers.DuplicateCandidate) -> dict[str, str]:
    return {"id": str(candidate.id), "link": routes.customer_page(candidate.id), "name": candidate.name,
            "company": candidate.company or "",
            "contact": " · ".join(value for value in (candidate.email, candidate.phone) if value),
            "owner": candidate.owner_name or i18n.gettext("Unassigned"), "reasons": ", ".join(candidate.reasons)}


class CustomerFormState(rx.State):
    is_open: bool = False
    # 0 while adding a new customer, else the id of the customer being edited.
    editing_id: int = 0
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    duplicates: list[dict[str, str]] = []
    can_choose_owner: bool = False
    owners: list[dict[str, str]] = []
    form_key: int = 0
    # The last form submitted, kept on the server so "Save anyway" and "Merge" never trust a second copy.
    _pending: dict[str, Any] = {}

    def _open(self, customer: Customer | None) -> None:
        actor = current_actor()
        self.editing_id = customer.id if customer else 0
        self.values, self.errors, self.duplicates, self._pending = _starting_values(customer), {}, [], {}
        self.can_choose_owner = actor.is_admin
        if actor.is_admin:
            with read_session() as session:
                directory = staff_directory(session=session, actor=actor)
            self.owners = [{"id": str(uid), "name": name} for uid, name, role in directory if role in RECORD_WRITERS]
        self.form_key += 1  # a new key redraws the fields with their starting values
        self.is_open = True

    @staff_event(*WRITERS)
    def open_new(self) -> None:
        self._open(None)

    @staff_event(*WRITERS)
    def open_edit(self, customer_id: Any) -> None:
        target = as_id(customer_id)
        if target is None:
            raise NotFound(i18n.N_("No such customer."))
        with read_session() as session:
            customer = customers.customer_for(session=session, actor=current_actor(), customer_id=target)
        self._open(customer)

    @rx.event
    def set_is_open(self, is_open: bool) -> None:
        """Closing is always allowed; opening goes through open_new or open_edit, which check the user."""
        if is_open is not True:
            self.is_open = False

    def _details(self, form: dict[str, Any]) -> CustomerCreate | None:
        details, self.errors = parse_form(CustomerUpdate if self.editing_id else CustomerCreate, form, FIELDS)
        return details

    @staff_event(*WRITERS)
    def save(self, form_data: dict) -> Any:
        """Validate the form; when it looks like an existing customer, warn and wait, else save."""
        form = form_data if isinstance(form_data, dict) else {}
        if not current_actor().is_admin:
            form = {**form, "owner_id": None}  # a rep's form has no owner field; the repository keeps them owner
        details = self._details(form)
        if details is None:
            self.duplicates = []
            return rx.toast.error(i18n.gettext("Some fields need fixing: see the messages under them."))
        self._pending = {name: form.get(name) for name in FIELDS}
        with read_session() as session:
            found = customers.duplicate_candidates(session=session, actor=current_actor(), details=details,
                                                   exclude_id=self.editing_id or None)
        self.duplicates = [_candidate_row(candidate) for candidate in found]
        if self.duplicates:
            return None
        return self._save(details, merge_with=None)

    @staff_event(*WRITERS)
    def save_anyway(self) -> Any:
        details = self._details(self._pending)
        return None if details is None else self._save(details, merge_with=None)

    @staff_event(*WRITERS)
    def merge_with(self, candidate_id: Any) -> Any:
        """Save, then fold the two records into one: a new customer into the existing one, or the existing one
        into the customer being edited."""
        candidate = as_id(candidate_id)
        details = self._details(self._pending)
        if details is None or candidate is None or str(candidate) not in {d["id"] for d in self.duplicates}:
            return rx.toast.error(i18n.gettext("Choose one of the customers listed."))
        return self._save(details, merge_with=candidate)

    def _save(self, details: CustomerCreate, merge_with: int | None) -> Any:
        actor = current_actor()
        try:
            with write_session() as session:
                if self.editing_id:
                    saved = customers.update_customer(session=session, actor=actor, customer_id=self.editing_id,
                                                      customer_update=details)
                else:
                    saved = customers.create_customer(session=session, actor=actor, customer_create=details)
                survivor = self.editing_id or merge_with or saved.id
                if merge_with is not None:
                    duplicate = merge_with if self.editing_id else saved.id
                    customers.merge_customers(session=session, actor=actor, survivor_id=survivor,
                                              duplicate_id=duplicate)
        except customers.OwnerRejected as rejected:
            self.errors, self.duplicates = {"owner_id": str(rejected)}, []
            return None
        self.is_open, self.duplicates, self._pending = False, [], {}
        message = f"{details.name} merged." if merge_with is not None else f"{details.name} saved."
        if self.editing_id:
            return [rx.toast.success(message), CustomerState.load]
        return [rx.toast.success(message), rx.redirect(routes.customer_page(survivor))]
