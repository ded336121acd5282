"""Who the tab's user is, and the guard every staff event handler goes through.

The browser keeps a random session token in an HttpOnly cookie, set and cleared over HTTP by
crm_app/sign_in.py; the server reads it from the websocket handshake's headers, so the token never travels
in state deltas and page scripts cannot read it. Every guarded event looks the token up in the database, so
a signed-out, idle, expired or deactivated session is turned away on its very next event.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from contextvars import ContextVar
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import reflex as rx

from crm_app import i18n, routes
from crm_app.data.db import read_session, write_session
from crm_app.data.models import Role
from crm_app.data.permissions import Actor, NotFound, PermissionDenied
from crm_app.data.repositories import users
from crm_app.data.security import token_digest
from crm_app.settings import get_settings
from crm_app.data.repositories import mail_outbox, password_resets
from crm_app.password_reset import CHANGED, RESET_MESSAGES, SENT, message_of
from crm_app.sign_in import LOGIN_MESSAGES, refusal_message, session_token_of

_acting_user: ContextVar[Actor | None] = ContextVar("acting_user", default=None)

FORBIDDEN = i18n.N_("You do not have access to this.")


def current_actor() -> Actor:
    """The user the running guarded handler acts for."""
    actor = _acting_user.get()
    if actor is None:
        raise PermissionDenied(i18n.N_("Not signed in."))
    return actor


class AuthState(rx.State):
    # What the shell shows; set by the guard from the database on each event, never trusted for access.
    user_name: str = ""
    user_role: str = ""
    # The language the tab reads (crm_app/i18n.py): the user's choice, else the browser's. Components index their
    # catalogue entries with it in the browser (components/translated.py), so a switch redraws without a round trip.
    language: str = i18n.ENGLISH
    login_error: str = ""
    # The login form: where to go after signing in, and which step it shows ("password", or "code" for the
    # second factor).
    next_path: str = routes.HOME
    login_step: str = "password"
    # Green news on the login and reset pages (a link sent, a password changed); the reset page's link token (from
    # its own address) and whether it is still good; the no-SMTP notice where mail is sent.
    login_notice: str = ""
    reset_token: str = ""
    reset_link_ok: bool = False
    mail_notice: str = ""
    # Which session cookie this tab's state was built for: its digest, as the database keeps it (the token itself
    # is never kept in state). Uploads sent without the cookie are judged by it (crm_app/request_guards.py).
    _session_seen: str = ""

    def _session_token(self) -> str:
        return session_token_of(self.router.headers.cookie)

    def _resolve_actor(self) -> Actor | None:
        token = self._session_token()
        idle = timedelta(minutes=get_settings().session_idle_minutes)
        with read_session() as session:
            live = users.session_for_token(session=session, token=token, idle=idle)
        if live is not None and users.needs_touch(live):
            with write_session() as session:
                users.touch_session(session=session, token=token)
        actor = live.actor if live else None
        self.user_name, self.user_role = (actor.full_name, actor.role.value) if actor else ("", "")
        language = i18n.language_of(actor.language if actor else None, self.router.headers.accept_language)
        if language != self.language:
            self.language = language
        return actor

    async def _forget_shown_data(self) -> None:
        """Empty every page state of this tab, so the next person signing in here receives nothing of the last."""
        for state_class in rx.State.get_substates():
            if state_class is not AuthState and state_class.__module__.startswith("crm_app."):
                (await self.get_state(state_class)).reset()
        self.user_name = self.user_role = ""

    async def _follow_the_cookie(self) -> None:
        """When the tab's session cookie is not the one its state was built for (a sign-in, a sign-out, another
        user), forget everything the state shows before anything is sent."""
        token = self._session_token()
        seen = token_digest(token) if token else ""
        if seen != self._session_seen:
            if self.user_name:
                await self._forget_shown_data()
            self._session_seen = seen
        if not self.user_name:  # nobody signed in (the login page, the survey): the browser's language
            language = i18n.browser_language(self.router.headers.accept_language)
            if language != self.language:
                self.language = language

    @rx.event
    async def open_login_page(self) -> Any:
        """On the login page: show why the last attempt failed; a browser that is still signed in goes on."""
        query = self.router.url.query_parameters
        self.next_path = routes.safe_next_path(query.get("next"))
        self.login_step = "code" if query.get("step") == "code" else "password"
        error = query.get("error", "")
        wait = str(query.get("wait", ""))
        with i18n.speaking(self.language):
            self.login_error = (refusal_message(int(wait)) if error == "throttled" and wait.isdecimal()
                                and len(wait) < 7
                                else i18n.gettext(LOGIN_MESSAGES[error]) if error in LOGIN_MESSAGES else "")
            on_reset_page = self._open_reset_pages(query, error)
        shown_to = self.user_name
        if self._resolve_actor() is not None and not on_reset_page:
            return rx.redirect(self.next_path)
        if shown_to:  # the session ended elsewhere (sign out everywhere, an admin): forget what the tab showed
            await self._forget_shown_data()
        return None

    def _open_reset_pages(self, query: Any, error: Any) -> bool:
        """The notices of /login, /forgot-password and /reset-password; True on the reset page (whose link works
        for a signed-in browser too)."""
        path = str(self.router.url.path).rstrip("/")  # the server may add a trailing slash
        self.login_notice = i18n.gettext(CHANGED) if query.get("notice") == "password-changed" else ""
        self.mail_notice = mail_outbox.mail_not_sent_notice() if path == routes.FORGOT_PASSWORD else ""
        if path == routes.FORGOT_PASSWORD and query.get("sent") == "1":
            self.login_notice = i18n.gettext(SENT)
        if isinstance(error, str) and error in RESET_MESSAGES:
            self.login_error = i18n.gettext(RESET_MESSAGES[error])
        elif error == "weak":
            self.login_error = message_of(query.get("why")) or i18n.gettext("Choose a password that is harder to guess.")
        self.reset_token, self.reset_link_ok = "", False
        if path != routes.RESET_PASSWORD:
            return False
        token = query.get("t", "")
        try:
            with read_session() as session:
                password_resets.open_link(session=session, token=token)
        except password_resets.ResetLinkRefused:
            self.login_error = i18n.gettext(password_resets.LINK_REFUSED)
            return True
        self.reset_token, self.reset_link_ok = token, True
        return True

    @rx.event
    def recognise_visitor(self) -> None:
        """On a page anyone may see (not found): show the shell for whoever is signed in, send nobody away."""
        self._resolve_actor()


class FollowTheSessionCookie:
    """Reflex middleware: before any event of a tab (its hydration first), make its state follow the session
    cookie of the tab's websocket, so a tab that signed out or in as someone else receives nothing of before."""

    async def preprocess(self, app: Any, state: Any, event: Any) -> None:
        await (await state.get_state(AuthState))._follow_the_cookie()
        return None

    async def postprocess(self, app: Any, state: Any, event: Any, update: Any) -> Any:
        return update


def _login_redirect(state: rx.State) -> Any:
    """To the login page, which returns to the full path of this page, its query too (/pipeline?region=EMEA)."""
    url = state.router.url
    path = routes.safe_next_path(f"{url.path}?{url.query}" if url.query else str(url.path))
    target = routes.LOGIN if path == routes.HOME else f"{routes.LOGIN}?{urlencode({'next': path}, safe='/')}"
    return rx.redirect(target)


def _account_setup_redirect(actor: Actor) -> list[Any]:
    return [rx.toast.info(i18n.gettext("Choose a new password before going on." if actor.must_change_password
                                       else "Your role requires two-factor sign-in: turn it on before going on.")),
            rx.redirect(routes.ACCOUNT)]


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
                # One toast however many of the page's load handlers refuse (sonner replaces a toast of the same id).
                return [rx.toast.error(i18n.gettext(FORBIDDEN, auth.language), id="forbidden"),
                        rx.redirect(routes.HOME)]
            if actor.account_setup_pending and not during_account_setup:
                with i18n.speaking(auth.language):
                    return _account_setup_redirect(actor)
            reset = _acting_user.set(actor)
            try:
                with i18n.speaking(auth.language):
                    result = handler(self, *args, **kwargs)
                    if inspect.isawaitable(result):
                        result = await result
                    return result
            except (PermissionDenied, NotFound) as refusal:
                return rx.toast.error(i18n.say(str(refusal), auth.language))
            finally:
                _acting_user.reset(reset)

        guarded.staff_roles = frozenset(allowed)  # type: ignore[attr-defined]  (read by request_guards on uploads)
        return rx.event(guarded)

    return decorate
