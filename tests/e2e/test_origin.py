"""The websocket accepts the app's own pages only: a page on another site cannot open it with a visitor's cookie
(cross-site websocket hijacking). The allowed origins are CRM_ALLOWED_ORIGINS, set by the e2e server to its URL."""

from __future__ import annotations

import urllib.request

import pytest
import reflex as rx
import socketio

from benchmarks.browser_tab import NAMESPACE
from crm_app import routes
from tests.e2e.conftest import APP_PORT
from tests.e2e.websocket_client import run

pytestmark = pytest.mark.e2e


async def _opens_websocket(app_url: str, origin: str) -> bool:
    """Whether the server lets a page from `origin` open the event websocket."""
    client = socketio.AsyncClient()
    boot = {"name": f"{rx.State.get_full_name()}.hydrate_and_load", "payload": {},
            "router_data": {"pathname": routes.LOGIN, "asPath": routes.LOGIN}}
    try:
        await client.connect(f"{app_url}?token=origin-probe", socketio_path=NAMESPACE, namespaces=[NAMESPACE],
                             transports=["websocket"], headers={"Origin": origin}, auth={"event": boot},
                             wait_timeout=10)
    except socketio.exceptions.ConnectionError:
        return False
    await client.disconnect()
    return True


def _opens(app_url: str, origin: str) -> bool:
    return run(lambda: _opens_websocket(app_url, origin))


def test_a_foreign_origin_is_refused(app_url):
    assert _opens(app_url, "http://evil.example") is False
    assert _opens(app_url, f"http://evil.example:{APP_PORT}") is False
    assert _opens(app_url, "null") is False  # sandboxed iframes and file:// pages


def test_the_apps_own_origin_connects(app_url):
    assert _opens(app_url, app_url) is True
    assert _opens(app_url, f"http://127.0.0.1:{APP_PORT}") is True


def test_the_api_grants_no_cross_origin_reads(app_url):
    request = urllib.request.Request(f"{app_url}/api/health", headers={"Origin": "http://evil.example"})
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - the test's own server
        assert response.headers.get("Access-Control-Allow-Origin") is None
