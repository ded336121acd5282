"""Every event handler can be called by any websocket client: staff-only ones must refuse outsiders.

These tests talk to the served app over its websocket the way the Reflex frontend does (socket.io on
/_event, a random client token in the query, the hydrate event in the CONNECT packet), but call
handlers no page of theirs would offer.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import reflex as rx
import socketio

from crm_app import routes
from crm_app.states.admin_users import AdminUsersState
from crm_app.states.auth import FORBIDDEN, AuthState
from crm_app.states.home import HomeState
from tests.e2e.conftest import user_by_email, user_count

pytestmark = pytest.mark.e2e

NAMESPACE = "/_event"
MALLORY = {"full_name": "Mallory", "email": "mallory@example.org", "role": "admin", "password": "mallory-pass-2026"}


def _var(state: type[rx.State], name: str) -> tuple[str, str]:
    """Where a state var sits in a delta: (the state's full name, the var's key)."""
    return state.get_full_name(), f"{name}_rx_state_"


class ReflexClient:
    """One browser tab's worth of websocket: sends events, keeps every "event" message the server sends."""

    def __init__(self, app_url: str) -> None:
        self.app_url = app_url
        self.token = str(uuid.uuid4())
        self.messages: list[dict[str, Any]] = []
        self._sio = socketio.AsyncClient()
        self._sio.on("event", self.messages.append, namespace=NAMESPACE)

    @staticmethod
    def _event(name: str, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        return {"name": name, "payload": payload, "router_data": {"pathname": path, "asPath": path}}

    async def __aenter__(self) -> ReflexClient:
        boot = self._event(f"{rx.State.get_full_name()}.hydrate_and_load", routes.LOGIN, {})
        await self._sio.connect(
            f"{self.app_url}?token={self.token}",
            socketio_path=NAMESPACE,
            namespaces=[NAMESPACE],
            transports=["websocket"],
            auth={"event": boot},
        )
        # Like a browser tab, send nothing until the page is hydrated: the login page's own on_load
        # would otherwise race the first event and redirect a second time.
        await self.wait_for(self._hydrated)
        return self

    def _hydrated(self) -> bool:
        key = "is_hydrated_rx_state_"
        return any(m.get("delta", {}).get(rx.State.get_full_name(), {}).get(key) is True for m in self.messages)

    async def __aexit__(self, *exc_info: object) -> None:
        await self._sio.disconnect()

    async def send(self, state: type[rx.State], handler: str, path: str, **payload: Any) -> None:
        event = self._event(f"{state.get_full_name()}.{handler}", path, payload)
        await self._sio.emit("event", event, namespace=NAMESPACE)

    async def wait_for(self, done: Callable[[], bool], timeout_s: float = 20) -> None:
        deadline = time.monotonic() + timeout_s
        while not done():
            if time.monotonic() > deadline:
                raise AssertionError(f"No complete answer within {timeout_s}s; got {self.messages}")
            await asyncio.sleep(0.05)

    def _frontend_events(self, name: str) -> list[dict[str, Any]]:
        return [e["payload"] for m in self.messages for e in m.get("events", []) if e["name"] == name]

    def redirects(self) -> list[str]:
        return [payload["path"] for payload in self._frontend_events("_redirect")]

    def toasts(self) -> list[str]:
        """The JavaScript of every toast (rx.toast is sent as a function call)."""
        return [payload["function"] for payload in self._frontend_events("_call_function")]

    def values(self, state: type[rx.State], name: str) -> list[Any]:
        """Every value the server sent for one state var, in order."""
        state_name, key = _var(state, name)
        return [m["delta"][state_name][key] for m in self.messages if key in m.get("delta", {}).get(state_name, {})]


def run(scenario: Callable[[], Any]) -> Any:
    """Run a coroutine function on its own thread: Playwright's sync API holds this thread's event loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, scenario()).result()


def test_anonymous_client_calling_staff_handlers_changes_nothing_and_gets_no_data(app_url, e2e_database_url):
    admin = user_by_email(e2e_database_url, "admin@example.com")
    users_before = user_count(e2e_database_url)

    async def scenario() -> ReflexClient:
        async with ReflexClient(app_url) as client:
            await client.send(AdminUsersState, "create_user", routes.ADMIN_USERS, form_data=MALLORY)
            await client.send(AdminUsersState, "load", routes.ADMIN_USERS)
            await client.send(AdminUsersState, "set_active", routes.ADMIN_USERS, user_id=admin.id, active=False)
            await client.send(HomeState, "load", routes.HOME)
            await client.wait_for(lambda: len(client.redirects()) == 4)
            return client

    client = run(scenario)

    assert sorted(client.redirects()) == ["/login", "/login?next=/admin/users", "/login?next=/admin/users",
                                          "/login?next=/admin/users"]
    assert user_count(e2e_database_url) == users_before
    assert user_by_email(e2e_database_url, MALLORY["email"]) is None
    assert user_by_email(e2e_database_url, "admin@example.com").is_active is True
    wire = json.dumps(client.messages)
    assert "@example.com" not in wire and "@example.org" not in wire
    assert all(users == [] for users in client.values(AdminUsersState, "users"))
    assert all(figures == [] for figures in client.values(HomeState, "figures"))
    assert all(name == "" for name in client.values(AuthState, "user_name"))


def test_signed_in_sales_rep_cannot_manage_users_over_the_websocket(app_url, e2e_database_url):
    admin = user_by_email(e2e_database_url, "admin@example.com")
    rep = user_by_email(e2e_database_url, "rep1@example.com")
    users_before = user_count(e2e_database_url)

    async def scenario() -> tuple[ReflexClient, str]:
        async with ReflexClient(app_url) as client:
            await client.send(AuthState, "login", routes.LOGIN,
                              form_data={"email": "rep1@example.com", "password": "demo-rep1-2026"})
            await client.wait_for(lambda: client.redirects() == ["/"])
            signed_in_as = client.values(AuthState, "user_name")[-1]
            client.messages.clear()
            await client.send(AdminUsersState, "create_user", routes.ADMIN_USERS, form_data=MALLORY)
            await client.send(AdminUsersState, "set_active", routes.ADMIN_USERS, user_id=admin.id, active=False)
            await client.send(AdminUsersState, "set_role", routes.ADMIN_USERS, user_id=rep.id, role="admin")
            await client.send(AdminUsersState, "load", routes.ADMIN_USERS)
            await client.send(HomeState, "load", routes.HOME)
            await client.wait_for(lambda: len(client.redirects()) == 4 and client.values(HomeState, "scope"))
            return client, signed_in_as

    client, signed_in_as = run(scenario)

    assert signed_in_as == rep.full_name
    assert client.redirects() == ["/", "/", "/", "/"]
    toasts = client.toasts()
    assert len(toasts) == 4 and all(json.dumps(FORBIDDEN) in toast for toast in toasts)
    assert user_count(e2e_database_url) == users_before
    assert user_by_email(e2e_database_url, MALLORY["email"]) is None
    assert user_by_email(e2e_database_url, "admin@example.com").is_active is True
    assert user_by_email(e2e_database_url, "rep1@example.com").role == "sales_rep"
    assert "@example.com" not in json.dumps(client.messages)
    assert all(users == [] for users in client.values(AdminUsersState, "users"))
    # The rep still gets their own home page: the refusals are about role, not a broken session.
    assert client.values(HomeState, "scope") == ["Your book of business"]
