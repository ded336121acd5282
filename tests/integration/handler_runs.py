"""Run a page state's handler as `staff_event` runs it for a signed-in user, without a browser: the actor set and the
text in the actor's language (crm_app/states/auth.py), on the test's database; and read the toast it returns."""

from __future__ import annotations

import inspect
import json
import re
from typing import Any

import reflex as rx

from crm_app import i18n
from crm_app.data.permissions import Actor
from crm_app.states import auth
from tests.conftest import run_async


def use_database(monkeypatch, engine) -> None:
    """Point the app's sessions (crm_app/data/db.py read_session, write_session) at the test's database."""
    from crm_app.settings import get_settings

    monkeypatch.setattr(get_settings(), "database_url", engine.url.render_as_string(hide_password=False))


def page_state(state_class: type[rx.State], **values: Any) -> rx.State:
    """A fresh instance of a page state with some vars set, as a tab holds it."""
    state = state_class(_reflex_internal_init=True)
    for name, value in values.items():
        setattr(state, name, value)
    return state


def run_as(actor: Actor, state: rx.State, handler: str, *args: Any) -> Any:
    """What `state.<handler>(*args)` returns when `actor` calls it: the body of the guarded handler, run with the
    actor acting and speaking the actor's language, as staff_event runs it."""
    body = getattr(type(state), handler).fn.__wrapped__

    async def guarded() -> Any:
        acting = auth._acting_user.set(actor)
        try:
            with i18n.speaking(actor.language or i18n.ENGLISH):
                result = body(state, *args)
                return await result if inspect.isawaitable(result) else result
        finally:
            auth._acting_user.reset(acting)

    return run_async(guarded())


def toast_text(event: Any) -> str:
    """The text of a toast event (rx.toast.success("...") and its kin)."""
    script = str(event.args[0][1])
    found = re.search(r'\["(?:success|error|info|warning)"\]\((".*?(?<!\\)")', script)
    assert found, script
    return json.loads(found.group(1))
