"""Sign-in, sign-out and the guard every staff event handler goes through.

The browser keeps a random session token in a cookie. Every guarded event looks the token up in the
database, so a signed-out or deactivated user is turned away on their very next event.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

import reflex as rx

from crm_app import routes
from crm_app.sign_in import refusal_message, sign_in
from crm_app.data.db import read_session, write_session
from crm_app.data.models import Role
from crm_app.data.permissions import Actor, NotFound, PermissionDenied
from crm_app.data.repositories import users
from crm_app.settings import get_settings

_acting_user: ContextVar[Actor | None] = ContextVar("acting_user", default=None)

FORBIDDEN = "You do not have access to this."


def current_actor() -> Actor:
    """The user the running guarded handler acts for."""
    actor = _acting_user.get()
    if actor is None:
        raise PermissionDenied("Not signed in.")
    return actor


def _text(value: Any, limit: int) -> str:
    """A client-sent value as bounded text ('' when it is not text at all)."""
    return value[:limit] if isinstance(value, str) else ""


class AuthState(rx.State):
    session_token: str = rx.Cookie(
        "", name="crm_session", same_site="strict", max_age=get_settings().session_ttl_hours * 3600
    )
    # What the shell shows; set by the guard from the database on each event, never trusted for access.
    user_name: str = ""
    user_role: str = ""
    login_error: str = ""

    def _resolve_actor(self) -> Actor | None:
        with read_session() as session:
            actor = users.actor_for_token(session=session, token=_text(self.session_token, 128))
        self.user_name, self.user_role = (actor.full_name, actor.role.value) if actor else ("", "")
        return actor

    async def _forget_shown_data(self) -> None:
        """Empty every page state of this tab, so the next person signing in here receives nothing of the last."""
        for state_class in rx.State.get_substates():
            if state_class is not AuthState and state_class.__module__.startswith("crm_app."):
                (await self.get_state(state_class)).reset()

    @rx.event
    async def login(self, form_data: dict) -> Any:
        """Check the email and password; on success keep a new session token and go to `next`."""
        form = form_data if isinstance(form_data, dict) else {}
        email, password = _text(form.get("email"), 254), _text(form.get("password"), 128)
        if not email or not password:
            self.login_error = "Enter your email and password."
            return None
        result = await sign_in(email=email, password=password, client=self.router.session.client_ip)
        if not result.signed_in:
            self.login_error = refusal_message(result.retry_after)
            return None
        await self._forget_shown_data()
        self.login_error = ""
        self.session_token = result.token
        self._resolve_actor()
        return rx.redirect(routes.safe_next_path(self.router.url.query_parameters.get("next")))

    @rx.event
    async def logout(self) -> Any:
        if self.session_token:
            with write_session() as session:
                users.revoke_session(session=session, token=_text(self.session_token, 128))
        await self._forget_shown_data()
        self.session_token = ""
        self.user_name = self.user_role = ""
        return rx.redirect(routes.LOGIN)

    @rx.event
    def open_login_page(self) -> Any:
        """On the login page: a browser that is still signed in goes straight home."""
        self.login_error = ""
        if self._resolve_actor() is not None:
            return rx.redirect(routes.safe_next_path(self.router.url.query_parameters.get("next")))
        return None


def _login_redirect(state: rx.State) -> Any:
    path = routes.safe_next_path(str(state.router.url.path))
    target = routes.LOGIN if path == routes.HOME else f"{routes.LOGIN}?next={path}"
    return rx.redirect(target)


def _account_setup_redirect(actor: Actor) -> list[Any]:
    message = (
        "Choose a new password before going on." if actor.must_change_password
        else "Your role requires two-factor sign-in: turn it on before going on."
    )
    return [rx.toast.info(message), rx.redirect(routes.ACCOUNT)]


def staff_event(*roles: Role, during_account_setup: bool = False) -> Callable[[Callable], Any]:
    """Make a method an event handler that runs only for a signed-in, active user with one of `roles`.

    Without roles any staff member may call it. An anonymous caller is sent to the login page, a wrong
    role is told no; either way the handler does not run. A user who must first change their password or
    turn on two-factor sign-in is sent to their account page, whose handlers alone say
    `during_account_setup=True`. Inside, `current_actor()` is the user, and repositories receive it so
    their ownership rules apply. PermissionDenied and NotFound raised by a repository become a toast.
    Handlers return their events (no `yield`): the actor is only set while the handler body runs.
    """
    allowed = roles or routes.STAFF

    def decorate(handler: Callable) -> Any:
        @functools.wraps(handler)
        async def guarded(self: rx.State, *args: Any, **kwargs: Any) -> Any:
            auth = self if isinstance(self, AuthState) else await self.get_state(AuthState)
            shown_to = auth.user_name
            actor = auth._resolve_actor()
            if actor is None:
                # Only a tab that showed someone's data has any to forget: emptying every page state costs the
                # server far more than the refusal, so doing it for every anonymous call would let one cheap client
                # keep a worker busy.
                if shown_to:
                    await auth._forget_shown_data()
                return _login_redirect(self)
            if actor.role not in allowed:
                return [rx.toast.error(FORBIDDEN), rx.redirect(routes.HOME)]
            if actor.account_setup_pending and not during_account_setup:
                return _account_setup_redirect(actor)
            reset = _acting_user.set(actor)
            try:
                result = handler(self, *args, **kwargs)
                if inspect.isawaitable(result):
                    result = await result
                return result
            except (PermissionDenied, NotFound) as refusal:
                return rx.toast.error(str(refusal))
            finally:
                _acting_user.reset(reset)

        guarded.staff_roles = frozenset(allowed)  # type: ignore[attr-defined]  (read by request_guards on uploads)
        return rx.event(guarded)

    return decorate
