"""The public survey at /feedback: anonymous visitors, or customers arriving from a personal link."""

from __future__ import annotations

import uuid
from typing import Any

import reflex as rx
from sqlalchemy.exc import SQLAlchemyError

from crm_app import i18n, rate_limit
from crm_app.data.db import database_fault, read_session, write_session
from crm_app.data.models import FeedbackChannel, FeedbackSubmission
from crm_app.data.repositories.feedback import InviteRefused, open_invite, submit_feedback
from crm_app.states.auth import AuthState
from crm_app.states.forms import parse_form

FIELDS = ("csat", "nps", "comment", "name", "email", "consent")


class FeedbackFormState(rx.State):
    greeting: str = ""
    link_problem: str = ""
    errors: dict[str, str] = {}
    comment_length: int = 0
    sent: bool = False
    # Backend-only: the personal link's token and this form's submission id (a resend reuses it).
    _invite: str = ""
    _submission_id: str = ""

    async def _language(self) -> str:
        """The language the visitor reads (their browser's: nobody signs in here)."""
        return (await self.get_state(AuthState)).language

    @rx.event
    async def open_form(self) -> None:
        """On page load: greet the customer of a valid personal link, or explain why the link is refused."""
        with i18n.speaking(await self._language()):
            self._open_form()

    def _open_form(self) -> None:
        self.errors, self.sent, self.comment_length = {}, False, 0
        self.greeting = self.link_problem = self._invite = ""
        self._submission_id = uuid.uuid4().hex
        token = self.router.url.query_parameters.get("t", "")
        if not token:
            return
        try:
            with read_session() as session:
                invite = open_invite(session=session, token=token[:512])
        except InviteRefused as refused:
            self.link_problem = i18n.say(str(refused))
            return
        self.greeting = i18n.gettext("Hello {name}, thank you for taking a moment.", name=invite.customer_name.split()[0])
        self._invite = token[:512]

    @rx.event
    def count_comment(self, text: str) -> None:
        self.comment_length = len(text) if isinstance(text, str) else 0

    @rx.event
    async def submit(self, form_data: dict) -> Any:
        with i18n.speaking(await self._language()):
            return await self._submit(form_data)

    async def _submit(self, form_data: dict) -> Any:
        form = form_data if isinstance(form_data, dict) else {}
        if form.get("website"):  # the honeypot: only bots fill a field nobody can see
            self.sent = True
            return None
        if not await rate_limit.allow_feedback(self.router.session.client_ip or "unknown"):
            self.errors = {"form": i18n.gettext("Too many answers from your network right now. Please try again in a minute.")}
            return None
        values = {name: form.get(name) for name in FIELDS}
        values["consent"] = form.get("consent") in ("on", "true", True)
        values["submission_id"] = self._submission_id or uuid.uuid4().hex
        values["invite"] = self._invite or None
        submission, self.errors = parse_form(FeedbackSubmission, values, (*FIELDS, "submission_id", "invite"))
        if submission is None:
            return None
        try:
            with write_session() as session:
                submit_feedback(session=session, submission=submission, channel=FeedbackChannel.web)
        except InviteRefused as refused:
            self._invite, self.greeting, self.link_problem = "", "", i18n.say(str(refused))
            self.errors = {"form": i18n.gettext("Your personal link could not be used; press Send again to answer "
                                                "anonymously.")}
            return None
        except SQLAlchemyError as error:
            if database_fault(error) is None:
                raise
            self.errors = {"form": i18n.gettext("We could not save your answer just now. Nothing was lost: please press Send "
                                                "again.")}
            return None
        self.sent = True
        return None
