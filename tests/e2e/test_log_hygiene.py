"""The server log never holds a password, a session token or a customer's email, even when the events carrying
them fail: a wrong password, a malformed event, a refused survey answer."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.request

import pytest
import reflex as rx
import socketio
from playwright.sync_api import Page, expect

from benchmarks.browser_tab import NAMESPACE
from crm_app import routes
from crm_app.start_up import start_up_text
from crm_app.states.auth import AuthState
from tests.e2e.conftest import open_page, sign_in, submit_login
from tests.e2e.websocket_client import run

pytestmark = pytest.mark.e2e

SENTINEL_PASSWORD = "Sentinel-Pa55word-7f3a91"
SENTINEL_EMAIL = "sentinel.customer.7f3a91@example.net"


def _send_raw_events(app_url: str, events: list[tuple[str, dict]]) -> None:
    """Send handler calls the way a hostile client would, then give the server a moment to process them."""

    async def scenario() -> None:
        client = socketio.AsyncClient()
        boot = {"name": f"{rx.State.get_full_name()}.hydrate_and_load", "payload": {},
                "router_data": {"pathname": routes.LOGIN, "asPath": routes.LOGIN}}
        await client.connect(f"{app_url}?token=log-hygiene-probe", socketio_path=NAMESPACE, namespaces=[NAMESPACE],
                             transports=["websocket"], auth={"event": boot}, headers={"Origin": app_url})
        for name, payload in events:
            await client.emit("event", {"name": name, "payload": payload,
                                        "router_data": {"pathname": routes.LOGIN, "asPath": routes.LOGIN}},
                              namespace=NAMESPACE)
        await asyncio.sleep(2)
        await client.disconnect()

    run(scenario)  # on its own thread: Playwright's sync API holds this thread's event loop


def _post_json(url: str, body: dict) -> int:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - the test's own server
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_failed_events_leave_no_secret_in_the_server_log(page: Page, app_url, e2e_workdir):
    open_page(page, f"{app_url}/login")
    submit_login(page, SENTINEL_EMAIL, SENTINEL_PASSWORD)
    expect(page.get_by_text("Wrong email or password")).to_be_visible()
    login = f"{AuthState.get_full_name()}.login"
    _send_raw_events(app_url, [
        (login, {"form_data": {"email": SENTINEL_EMAIL, "password": SENTINEL_PASSWORD}, "unexpected": 1}),
        (login, {"form_data": [SENTINEL_EMAIL, SENTINEL_PASSWORD]}),
        (f"{AuthState.get_full_name()}.no_such_handler", {"password": SENTINEL_PASSWORD, "email": SENTINEL_EMAIL}),
    ])
    refused = _post_json(f"{app_url}/api/feedback", {"csat": 9, "nps": 3, "email": SENTINEL_EMAIL, "consent": True,
                                                     "comment": SENTINEL_PASSWORD, "submission_id": "log-hygiene-1"})
    sign_in(page, app_url, "rep1@example.com", "demo-rep1-2026")
    session_token = next(c["value"] for c in page.context.cookies() if c["name"] == "crm_session")
    time.sleep(1)  # the server writes its log through a pipe: let the last lines land

    log = (e2e_workdir / "server.log").read_text(errors="replace")
    assert refused == 422
    assert len(session_token) >= 32
    # The start-up lines list the demo logins on purpose (make run ends with them); nothing else may hold them.
    start_up_lines = set(start_up_text(demo_company_loaded=True).splitlines())
    for secret in (SENTINEL_PASSWORD, SENTINEL_EMAIL, session_token, "demo-rep1-2026"):
        assert [line for line in log.splitlines() if secret in line and line not in start_up_lines] == [], secret
