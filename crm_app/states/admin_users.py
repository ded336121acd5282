"""The admin page: create users, set their roles, deactivate and reactivate them, reset their passwords, and
require two-factor sign-in per role."""

from __future__ import annotations

from typing import Any

import reflex as rx

from crm_app import i18n
from crm_app.data.db import read_session, write_session
from crm_app.data.models import Role, UserCreate, UserUpdate
from crm_app.data.passwords import MAX_LENGTH, WeakPassword
from crm_app.data.permissions import NotFound
from crm_app.counts import count_of
from crm_app.labels import label
from crm_app.data.repositories import mail_outbox, two_factor, users
from crm_app.states.auth import current_actor, staff_event
from crm_app.states.forms import as_id, parse_form

ROLE_CHOICES = [role.value for role in Role]


class AdminUsersState(rx.State):
    users: list[dict[str, Any]] = []
    form_errors: dict[str, str] = {}
    form_key: int = 0
    # Roles whose users must sign in with a second factor.
    two_factor_roles: list[str] = []
    # The user whose password is being reset (0: the dialog is closed).
    reset_user_id: int = 0
    reset_user_name: str = ""
    reset_error: str = ""
    # The mail outbox at a glance, and the notice when no SMTP server is configured.
    mail_status: str = ""
    mail_notice: str = ""

    def _reload(self) -> None:
        actor = current_actor()
        with read_session() as session:
            rows = users.list_users(session=session, actor=actor)
            enrolled = two_factor.enrolled_user_ids(session=session, actor=actor)
            required = two_factor.required_roles(session=session)
        self.users = [
            {"id": u.id, "full_name": u.full_name, "email": u.email, "role": u.role,
             "is_active": u.is_active, "is_me": u.id == actor.id, "two_factor": u.id in enrolled,
             "must_change_password": u.must_change_password}
            for u in rows
        ]
        self.two_factor_roles = sorted(role.value for role in required)
        with read_session() as session:
            outbox = mail_outbox.summary(session=session)
        self.mail_status = i18n.gettext(
            "Email outbox: {waiting} waiting, {sent} sent, {failed} failed, {withdrawn} withdrawn (unsubscribed).",
            waiting=count_of(outbox.queued, "message"), sent=f"{outbox.sent:,}", failed=f"{outbox.failed:,}",
            withdrawn=f"{outbox.withdrawn:,}")
        self.mail_notice = mail_outbox.mail_not_sent_notice()

    @staff_event(Role.admin)
    def load(self) -> None:
        self.form_errors = {}
        self._reload()

    @staff_event(Role.admin)
    def create_user(self, form_data: dict) -> Any:
        user_create, self.form_errors = parse_form(
            UserCreate, form_data, ("email", "full_name", "role", "password")
        )
        if user_create is None:
            return None
        try:
            with write_session() as session:
                users.create_user(session=session, actor=current_actor(), user_create=user_create)
        except users.EmailTaken as taken:
            self.form_errors = {"email": i18n.say(str(taken))}
            return None
        self.form_key += 1  # a new key empties the form
        self._reload()
        return rx.toast.success(i18n.gettext("{full_name} can now sign in.", full_name=user_create.full_name))

    @staff_event(Role.admin)
    def set_role(self, user_id: int, role: str) -> Any:
        if role not in ROLE_CHOICES:
            return rx.toast.error(i18n.gettext("Unknown role."))
        return self._update(user_id, UserUpdate(role=Role(role)), i18n.gettext("Role changed."))

    @staff_event(Role.admin)
    def set_active(self, user_id: int, active: bool) -> Any:
        if not isinstance(active, bool):
            return rx.toast.error(i18n.gettext("Choose active or inactive."))
        message = (i18n.gettext("User reactivated.") if active
                   else i18n.gettext("User deactivated and signed out everywhere."))
        return self._update(user_id, UserUpdate(is_active=active), message)

    def _update(self, user_id: Any, change: UserUpdate, message: str) -> Any:
        target = as_id(user_id)
        if target is None:
            raise NotFound(i18n.N_("No such user."))
        with write_session() as session:
            users.update_user(session=session, actor=current_actor(), user_id=target, user_update=change)
        self._reload()
        return rx.toast.success(message)

    @staff_event(Role.admin)
    def set_two_factor_required(self, role: str, required: bool) -> Any:
        if role not in ROLE_CHOICES or not isinstance(required, bool):
            return rx.toast.error(i18n.gettext("Choose a role and whether it requires two-factor sign-in."))
        with write_session() as session:
            two_factor.set_required(session=session, actor=current_actor(), role=Role(role), required=required)
        self._reload()
        role_name = label(role)
        return rx.toast.success(
            i18n.gettext("Users with the role {role} must now sign in with two factors.", role=role_name) if required
            else i18n.gettext("Users with the role {role} no longer have to sign in with two factors.", role=role_name))

    @staff_event(Role.admin)
    def turn_off_two_factor(self, user_id: int) -> Any:
        """For a user who lost both their phone and their recovery codes."""
        target = as_id(user_id)
        if target is None:
            raise NotFound(i18n.N_("No such user."))
        with write_session() as session:
            two_factor.turn_off_for_user(session=session, actor=current_actor(), user_id=target)
        self._reload()
        return rx.toast.success(i18n.gettext("Two-factor sign-in turned off: the password alone signs them in until they enrol again."))

    @staff_event(Role.admin)
    def open_reset(self, user_id: int) -> Any:
        target = as_id(user_id)
        chosen = next((u for u in self.users if u["id"] == target and not u["is_me"]), None)
        if chosen is None:
            raise NotFound(i18n.N_("No such user."))
        self.reset_user_id, self.reset_user_name, self.reset_error = target, chosen["full_name"], ""
        return None

    @staff_event(Role.admin)
    def close_reset(self) -> None:
        self.reset_user_id, self.reset_user_name, self.reset_error = 0, "", ""

    @staff_event(Role.admin)
    def reset_password(self, form_data: dict) -> Any:
        """Set the temporary password typed in the dialog; the user must change it at the next sign-in."""
        password = form_data.get("password") if isinstance(form_data, dict) else None
        if not isinstance(password, str) or self.reset_user_id == 0:
            self.reset_error = i18n.gettext("Enter a temporary password.")
            return None
        try:
            with write_session() as session:
                user = users.reset_password(session=session, actor=current_actor(), user_id=self.reset_user_id,
                                            new_password=password[:MAX_LENGTH + 1])
                name = user.full_name
        except WeakPassword as weak:
            self.reset_error = i18n.say(str(weak))
            return None
        self.reset_user_id, self.reset_user_name, self.reset_error = 0, "", ""
        self._reload()
        return rx.toast.success(i18n.gettext("{name} is signed out everywhere and must choose a new password at sign-in.", name=name))
