"""The admin page: create users, set their roles, deactivate and reactivate them."""

from __future__ import annotations

from typing import Any

import reflex as rx

from crm_app.data.db import read_session, write_session
from crm_app.data.models import Role, UserCreate, UserUpdate
from crm_app.data.permissions import NotFound
from crm_app.data.repositories import users
from crm_app.states.auth import current_actor, staff_event
from crm_app.states.forms import as_id, parse_form

ROLE_CHOICES = [role.value for role in Role]


class AdminUsersState(rx.State):
    users: list[dict[str, Any]] = []
    form_errors: dict[str, str] = {}
    form_key: int = 0

    def _reload(self) -> None:
        actor = current_actor()
        with read_session() as session:
            rows = users.list_users(session=session, actor=actor)
        self.users = [
            {"id": u.id, "full_name": u.full_name, "email": u.email, "role": u.role,
             "is_active": u.is_active, "is_me": u.id == actor.id}
            for u in rows
        ]

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
            self.form_errors = {"email": str(taken)}
            return None
        self.form_key += 1  # a new key empties the form
        self._reload()
        return rx.toast.success(f"{user_create.full_name} can now sign in.")

    @staff_event(Role.admin)
    def set_role(self, user_id: int, role: str) -> Any:
        if role not in ROLE_CHOICES:
            return rx.toast.error("Unknown role.")
        return self._update(user_id, UserUpdate(role=Role(role)), "Role changed.")

    @staff_event(Role.admin)
    def set_active(self, user_id: int, active: bool) -> Any:
        if not isinstance(active, bool):
            return rx.toast.error("Choose active or inactive.")
        message = "User reactivated." if active else "User deactivated and signed out everywhere."
        return self._update(user_id, UserUpdate(is_active=active), message)

    def _update(self, user_id: Any, change: UserUpdate, message: str) -> Any:
        target = as_id(user_id)
        if target is None:
            raise NotFound("No such user.")
        with write_session() as session:
            users.update_user(session=session, actor=current_actor(), user_id=target, user_update=change)
        self._reload()
        return rx.toast.success(message)
