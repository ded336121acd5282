"""The signed-in user's own account: password, two-factor sign-in and recovery codes, time zone, sign out
everywhere.

Its handlers alone run while the user still owes a password change or a two-factor enrolment.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from crm_app import i18n, routes
from crm_app.data.db import read_session, write_session
from crm_app.data.passwords import MAX_LENGTH, WeakPassword
from crm_app.data.repositories import two_factor, users
from crm_app.sign_in import off_the_event_loop
from crm_app.states.auth import AuthState, current_actor, staff_event


def _text(form_data: Any, name: str, limit: int = MAX_LENGTH) -> str:
    """A form field sent by the client as bounded text ('' when missing or not text)."""
    value = form_data.get(name) if isinstance(form_data, dict) else None
    return value[:limit + 1] if isinstance(value, str) else ""


class AccountState(rx.State):
    must_change_password: bool = False
    two_factor_on: bool = False
    two_factor_required: bool = False
    recovery_codes_left: int = 0
    password_errors: dict[str, str] = {}
    password_form_key: int = 0
    # While enrolling: the new secret, typed into the app or scanned from the QR code.
    enrolment_secret: str = ""
    enrolment_qr: str = ""
    two_factor_error: str = ""
    # Shown once, right after enrolment or renewal, and never again.
    new_recovery_codes: list[str] = []
    # The IANA zone task due times are typed and shown in ("" until chosen here or taken from the browser on the
    # first load of /tasks).
    time_zone: str = ""
    # The language chosen here ("" : the browser's); crm_app/i18n.py.
    language: str = ""

    def _refresh(self) -> None:
        with read_session() as session:
            status = users.account_status(session=session, actor=current_actor())
        self.must_change_password = status.must_change_password
        self.two_factor_on = status.two_factor_on
        self.two_factor_required = status.two_factor_required
        self.recovery_codes_left = status.recovery_codes_left

    @property
    def _setup_pending(self) -> bool:
        return self.must_change_password or (self.two_factor_required and not self.two_factor_on)

    def _done_with_setup(self, was_pending: bool, message: str) -> Any:
        """The toast for a finished step, and the way home once nothing is owed any more."""
        if was_pending and not self._setup_pending:
            return [rx.toast.success(message), rx.redirect(routes.HOME)]
        return rx.toast.success(message)

    @staff_event(during_account_setup=True)
    def load(self) -> None:
        self.password_errors, self.two_factor_error = {}, ""
        self.enrolment_secret = self.enrolment_qr = ""
        self.new_recovery_codes = []
        self._refresh()
        self.time_zone = current_actor().time_zone or ""
        self.language = current_actor().language or ""

    @staff_event(during_account_setup=True)
    async def set_language(self, language: str) -> Any:
        """Read the app in `language` from now on ("" : the browser's); the page's texts switch at once."""
        try:
            with write_session() as session:
                chosen = users.set_language(session=session, actor=current_actor(), language=language)
        except ValueError as refused:
            return rx.toast.error(i18n.say(str(refused)))
        auth = await self.get_state(AuthState)
        self.language = chosen or ""
        auth.language = i18n.language_of(chosen, auth.router.headers.accept_language)
        return rx.toast.success(i18n.gettext("Language saved.", language=auth.language))

    @staff_event()
    def set_time_zone(self, time_zone: str) -> Any:
        try:
            with write_session() as session:
                self.time_zone = users.set_time_zone(session=session, actor=current_actor(), time_zone=time_zone)
        except ValueError as refused:
            return rx.toast.error(i18n.say(str(refused)))
        return rx.toast.success(i18n.gettext("Times now show in {zone}.", zone=self.time_zone))

    @staff_event(during_account_setup=True)
    async def change_password(self, form_data: dict) -> Any:
        current, new = _text(form_data, "current_password"), _text(form_data, "new_password")
        if _text(form_data, "confirm_password") != new:
            self.password_errors = {"confirm_password": i18n.gettext("The two new passwords differ.")}
            return None
        auth = await self.get_state(AuthState)
        was_pending = self._setup_pending
        actor, token = current_actor(), auth._session_token()

        def change() -> None:
            with write_session() as session:
                users.change_password(session=session, actor=actor, current_password=current, new_password=new,
                                      current_token=token)

        try:
            await off_the_event_loop(change)
        except users.WrongPassword as wrong:
            self.password_errors = {"current_password": i18n.say(str(wrong))}
            return None
        except WeakPassword as weak:
            self.password_errors = {"new_password": i18n.say(str(weak))}
            return None
        self.password_errors = {}
        self.password_form_key += 1  # a new key empties the form
        self._refresh()
        return self._done_with_setup(was_pending, i18n.gettext("Password changed. Your other sessions were signed out."))

    @staff_event(during_account_setup=True)
    def start_enrolment(self) -> None:
        try:
            with write_session() as session:
                enrolment = two_factor.enrol(session=session, actor=current_actor())
        except two_factor.TwoFactorRefused as refused:
            self.two_factor_error = i18n.say(str(refused))
            return
        self.enrolment_secret, self.enrolment_qr = enrolment.secret, enrolment.qr_svg_data_uri
        self.two_factor_error = ""
        self.new_recovery_codes = []

    @staff_event(during_account_setup=True)
    def confirm_enrolment(self, form_data: dict) -> Any:
        was_pending = self._setup_pending
        try:
            with write_session() as session:
                codes = two_factor.confirm_enrolment(session=session, actor=current_actor(),
                                                     code=_text(form_data, "code", 64))
        except two_factor.TwoFactorRefused as refused:
            self.two_factor_error = i18n.say(str(refused))
            return None
        self.enrolment_secret = self.enrolment_qr = self.two_factor_error = ""
        self.new_recovery_codes = codes
        self._refresh()
        return self._done_with_setup(was_pending, i18n.gettext("Two-factor sign-in is on."))

    @staff_event(during_account_setup=True)
    def cancel_enrolment(self) -> None:
        self.enrolment_secret = self.enrolment_qr = self.two_factor_error = ""

    @staff_event(during_account_setup=True)
    async def disable_two_factor(self, form_data: dict) -> Any:
        actor, password = current_actor(), _text(form_data, "password")

        def disable() -> None:
            with write_session() as session:
                two_factor.disable(session=session, actor=actor, password=password)

        try:
            await off_the_event_loop(disable)
        except two_factor.TwoFactorRefused as refused:
            self.two_factor_error = i18n.say(str(refused))
            return None
        self.two_factor_error = ""
        self.new_recovery_codes = []
        self._refresh()
        return rx.toast.success(i18n.gettext("Two-factor sign-in is off."))

    @staff_event(during_account_setup=True)
    def renew_recovery_codes(self) -> Any:
        try:
            with write_session() as session:
                self.new_recovery_codes = two_factor.regenerate_recovery_codes(session=session, actor=current_actor())
        except two_factor.TwoFactorRefused as refused:
            self.two_factor_error = i18n.say(str(refused))
            return None
        self._refresh()
        return rx.toast.success(i18n.gettext("New recovery codes: the old ones no longer work."))

    @staff_event(during_account_setup=True)
    def hide_recovery_codes(self) -> None:
        self.new_recovery_codes = []

    @staff_event(during_account_setup=True)
    def sign_out_everywhere(self) -> Any:
        with write_session() as session:
            users.sign_out_everywhere(session=session, actor=current_actor())
        # This browser's session ended too; the login page forgets what the tab showed.
        return rx.redirect(routes.LOGIN)
