"""Personal access tokens of the REST API in the UI: a user's own on /account (create one, see its secret once,
revoke), and everybody's for admins on /admin/users.

Who may see or revoke which token, and what a name and an expiry may be, is decided in
data/repositories/api_tokens.py, the same functions the `crm-app api-token` command uses.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from crm_app import i18n
from crm_app.counts import count_of
from crm_app.data.db import read_session, write_session
from crm_app.data.models import Role, TokenAccess
from crm_app.data.permissions import NotFound
from crm_app.data.repositories import api_tokens
from crm_app.data.repositories.api_tokens import EXPIRY_CHOICES, TokenRefused, TokenRow
from crm_app.data.validation import whole_number
from crm_app.formatting import moment
from crm_app.i18n import N_
from crm_app.labels import label
from crm_app.states.auth import current_actor, staff_event
from crm_app.states.forms import as_id

ACCESS_CHOICES = [access.value for access in TokenAccess]
NEVER_USED = N_("Never")


def _shown(row: TokenRow, time_zone: str | None) -> dict[str, Any]:
    """One token as a table row shows it, on the viewer's clock; the status code stays for the badge's colour.
    Without its owner: staff emails reach only admins (and the header's staff directory)."""
    return {"id": row.id, "name": row.name, "access": label(row.access), "status": row.status.value,
            "status_label": label(row.status),
            "created": moment(row.created_at, time_zone), "expires": moment(row.expires_at, time_zone),
            "last_used": moment(row.last_used_at, time_zone) if row.last_used_at else i18n.gettext(NEVER_USED)}


def _chosen_days(value: Any) -> int | None:
    """The expiry the form sent, if it is one the page offers."""
    days = whole_number(value)
    return days if days in EXPIRY_CHOICES else None


def _revoke(token_id: Any) -> Any:
    """Revoke a token by the id a client sent (the repository says whose the actor may revoke); the toast."""
    target = as_id(token_id)
    if target is None:
        raise NotFound(N_("No such token."))
    with write_session() as session:
        name = api_tokens.revoke_token(session=session, actor=current_actor(), token_id=target).name
    return rx.toast.success(i18n.gettext("Token “{name}” revoked: it stops working at once.", name=name))


class OwnTokensState(rx.State):
    tokens: list[dict[str, Any]] = []
    form_errors: dict[str, str] = {}
    form_key: int = 0
    # The token just created: its secret is shown once, in a dialog, and forgotten when it closes or on the next load.
    new_secret: str = ""
    new_secret_name: str = ""

    def _reload(self) -> None:
        actor = current_actor()
        with read_session() as session:
            rows = api_tokens.list_tokens(session=session, actor=actor)
        self.tokens = [_shown(row, actor.time_zone) for row in rows]

    # Runs on /account's load even while a password change or enrolment is owed (any other handler would send the
    # user back to /account, again and again); it then shows nothing, and creating or revoking stays refused.
    @staff_event(during_account_setup=True)
    def load(self) -> None:
        self.form_errors, self.new_secret, self.new_secret_name, self.tokens = {}, "", "", []
        if not current_actor().account_setup_pending:
            self._reload()

    @staff_event()
    def create_token(self, form_data: dict) -> Any:
        form = form_data if isinstance(form_data, dict) else {}
        access, days = form.get("access"), _chosen_days(form.get("days"))
        if access not in ACCESS_CHOICES:
            self.form_errors = {"access": i18n.gettext("Choose read only or read and write.")}
            return None
        if days is None:
            self.form_errors = {"days": i18n.gettext("Choose when the token expires: in 30, 90 or 365 days.")}
            return None
        try:
            with write_session() as session:
                created = api_tokens.create_token(session=session, actor=current_actor(), name=form.get("name"),
                                                  can_write=access == TokenAccess.read_write, days=days)
                name = created.token.name
        except TokenRefused as refused:
            self.form_errors = {refused.field: i18n.say(str(refused))}
            return None
        self.form_errors, self.new_secret, self.new_secret_name = {}, created.secret, name
        self.form_key += 1  # a new key empties the form
        self._reload()
        return None

    @staff_event()
    def dismiss_secret(self) -> None:
        self.new_secret, self.new_secret_name = "", ""

    @staff_event()
    def revoke_token(self, token_id: int) -> Any:
        toast = _revoke(token_id)
        self._reload()
        return toast


class AllTokensState(rx.State):
    """The admin's list of every user's tokens, a page at a time."""

    tokens: list[dict[str, Any]] = []
    page: int = 1
    pages: int = 1
    total: int = 0
    summary: str = ""

    def _reload(self) -> None:
        actor = current_actor()
        with read_session() as session:
            result = api_tokens.all_tokens(session=session, actor=actor, page=self.page)
        self.tokens = [_shown(row, actor.time_zone) | {"owner": row.user_name, "owner_email": row.user_email}
                       for row in result.rows]
        self.page, self.pages, self.total = result.page, result.pages, result.total
        self.summary = i18n.gettext("{tokens}, newest first. Revoking one stops it at once.",
                                    tokens=count_of(result.total, "token"))

    @staff_event(Role.admin)
    def load(self) -> None:
        self.page = 1
        self._reload()

    @staff_event(Role.admin)
    def go_to_page(self, page: int) -> None:
        self.page = as_id(page) or 1
        self._reload()

    @staff_event(Role.admin)
    def revoke_token(self, token_id: int) -> Any:
        toast = _revoke(token_id)
        self._reload()
        return toast
