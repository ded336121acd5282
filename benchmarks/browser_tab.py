"""One browser tab's websocket: socket.io on /_event, events sent as the Reflex frontend sends them. The benchmarks
drive the app with it; the e2e tests' ReflexClient (tests/e2e/websocket_client.py) is one too.

The frontend opens the socket with `hydrate_and_load` in the CONNECT packet, sends one event per user action,
and on every client-side navigation (a link, or an `rx.redirect` the server sent) sends `on_load_internal` for
the new URL; the server then runs the page's on_load handlers and ends the chain by setting `is_hydrated` to
true. Signing in is an HTTP form post that sets the HttpOnly session cookie, after which the browser loads the
next page and opens a new socket carrying the cookie in its handshake. `BrowserTab` does the same, so what a
benchmark times is what a browser would wait for, on loopback.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import reflex as rx
import socketio
from reflex.state import OnLoadInternalState

from crm_app import routes
from crm_app.sign_in import SESSION_COOKIE
from crm_app.states.url_filters import pushed_url

NAMESPACE = "/_event"
ROOT = rx.State.get_full_name()
HYDRATED = "is_hydrated_rx_state_"
ON_LOAD = f"{OnLoadInternalState.get_full_name()}.on_load_internal"


class SignInRefused(Exception):
    """The sign-in endpoint sent the browser back to the login page (its Location says why)."""


def router_data(path: str) -> dict[str, Any]:
    """What the frontend's withRouterData attaches to an event sent from `path` ("/page?query")."""
    parts = urlsplit(path)
    data: dict[str, Any] = {"pathname": parts.path, "asPath": path}
    if parts.query:
        data["query"] = dict(parse_qsl(parts.query))
    return data


class BrowserTab:
    """Sends events, keeps every "event" message the server sends back since the last action."""

    WAIT_S = 60  # how long `wait_for` waits by default

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.messages: list[dict[str, Any]] = []
        # The tab's identity (kept in the browser's sessionStorage, so it survives page loads; sent as `?token=`
        # and `Reflex-Client-Token`) and the session cookie the sign-in endpoint set, sent as the browser does.
        self.client_token = str(uuid.uuid4())
        self.session_cookie = ""
        self._arrived = asyncio.Event()
        self._sio = self._socket()

    def _socket(self) -> socketio.AsyncClient:
        sio = socketio.AsyncClient()
        sio.on("event", self._on_update, namespace=NAMESPACE)
        return sio

    def _cookie_header(self) -> dict[str, str]:
        return {"Cookie": f"{SESSION_COOKIE}={self.session_cookie}"} if self.session_cookie else {}

    def _on_update(self, message: dict[str, Any]) -> None:
        self.messages.append(message)
        self._arrived.set()

    async def emit_event(self, name: str, path: str, payload: dict[str, Any]) -> None:
        """Send an event by its full name with any payload, as if from the page at `path` (query included),
        without waiting for an answer."""
        event = {"name": name, "payload": payload, "router_data": router_data(path)}
        await self._sio.emit("event", event, namespace=NAMESPACE)

    async def emit(self, state: type[rx.State], handler: str, path: str, **payload: Any) -> None:
        await self.emit_event(f"{state.get_full_name()}.{handler}", path, payload)

    async def open(self, path: str = "/login", attempts: int = 5, connect_timeout_s: float = 30) -> None:
        """Connect as a tab that loaded `path`, and wait until it is hydrated (a tab sends nothing before)."""
        boot = {"name": f"{ROOT}.hydrate_and_load", "payload": {}, "router_data": router_data(path)}
        headers = self._cookie_header()
        self.messages.clear()
        for attempt in range(attempts):
            try:
                await self._sio.connect(f"{self.base_url}?token={self.client_token}", socketio_path=NAMESPACE,
                                        namespaces=[NAMESPACE], transports=["websocket"], auth={"event": boot},
                                        headers=headers, wait_timeout=connect_timeout_s)
                break
            except socketio.exceptions.ConnectionError:
                if attempt == attempts - 1:
                    raise
                await asyncio.sleep(2)
        await self.wait_for(self.hydrated)

    async def close(self) -> None:
        await self._sio.disconnect()

    async def wait_for(self, done: Callable[[], bool], timeout_s: float | None = None) -> None:
        timeout_s = self.WAIT_S if timeout_s is None else timeout_s
        deadline = time.monotonic() + timeout_s
        while not done():
            self._arrived.clear()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no complete answer within {timeout_s:.0f} s; last: {self.messages[-3:]}")
            try:
                await asyncio.wait_for(self._arrived.wait(), timeout=remaining)
            except TimeoutError:
                continue

    def hydrated(self) -> bool:
        """Whether a message since the last action set is_hydrated: the end of a page's on_load chain."""
        return any(m.get("delta", {}).get(ROOT, {}).get(HYDRATED) is True for m in self.messages)

    def frontend_events(self, name: str) -> list[dict[str, Any]]:
        """The payloads of the frontend events called `name` (`_redirect`, `_call_function`...) received since
        the last action."""
        return [e["payload"] for m in self.messages for e in m.get("events", []) if e["name"] == name]

    def redirects(self) -> list[str]:
        """The paths of the `rx.redirect`s received since the last action."""
        return [payload["path"] for payload in self.frontend_events("_redirect")]

    def redirect(self) -> str | None:
        """The path of the last `rx.redirect` received since the last action."""
        paths = self.redirects()
        return paths[-1] if paths else None

    def received_bytes(self) -> int:
        return sum(len(json.dumps(message, separators=(",", ":"))) for message in self.messages)

    async def send(self, state: type[rx.State], handler: str, path: str, **payload: Any) -> tuple[float, int]:
        """(milliseconds until the first update arrived, bytes of the updates the event sent)."""
        self.messages.clear()
        started = time.perf_counter()
        await self.emit(state, handler, path, **payload)
        await self.wait_for(lambda: bool(self.messages), timeout_s=30)
        elapsed = (time.perf_counter() - started) * 1000
        # Anything else the same event sends comes right behind the first update.
        await asyncio.sleep(0.02)
        return elapsed, self.received_bytes()

    async def post_sign_in(self, email: str, password: str, next_path: str = "/") -> httpx.Response:
        """The login form's post (not followed: the answer is a 303). Without an Origin header, like the socket's
        handshake: a client that is no browser, which the server's origin checks let through."""
        async with httpx.AsyncClient(base_url=self.base_url, timeout=60) as http:
            return await http.post(routes.SIGN_IN, data={"email": email, "password": password, "next": next_path},
                                   headers=self._cookie_header())

    async def sign_in(self, email: str, password: str, next_path: str = "/") -> None:
        """Post the login form, keep the session cookie it sets, and load the page it sends the browser to: a new
        socket whose handshake carries the cookie (SignInRefused when sent back to the login page)."""
        answer = await self.post_sign_in(email, password, next_path)
        token = answer.cookies.get(SESSION_COOKIE)
        if answer.status_code != 303 or not token:
            raise SignInRefused(f"{answer.status_code} {answer.headers.get('location', '')}")
        self.session_cookie = token
        await self.reload(answer.headers["location"])

    async def reload(self, path: str) -> None:
        """A full page load of `path` in this tab: the socket is closed and opened again (with today's cookie)."""
        await self.close()
        self._sio = self._socket()
        await self.open(path)

    async def navigate(self, path: str) -> tuple[float, int]:
        """A client-side navigation to `path`: (milliseconds until its on_load chain ended, bytes received)."""
        self.messages.clear()
        started = time.perf_counter()
        await self.emit_event(ON_LOAD, path, {})
        await self.wait_for(self.hydrated)
        return (time.perf_counter() - started) * 1000, self.received_bytes()

    def pushed(self) -> str | None:
        """The URL the server last had the page push onto the browser's history since the last action (a page that
        changes in place, crm_app/states/url_filters.py)."""
        urls = [url for payload in self.frontend_events("_call_script")
                if (url := pushed_url(payload.get("javascript_code", ""))) is not None]
        return urls[-1] if urls else None

    async def act(self, state: type[rx.State], handler: str, path: str, **payload: Any) -> tuple[float, int, str]:
        """A user action on `path` that answers with a redirect, and the navigation the browser then makes, or
        (on a page that changes in place) with its new figures and the URL to push, in one update: (milliseconds
        from sending the event to the last update of the new page, bytes received, the new path)."""
        self.messages.clear()
        started = time.perf_counter()
        await self.emit(state, handler, path, **payload)
        await self.wait_for(lambda: self.redirect() is not None or self.pushed() is not None)
        if self.redirect() is None:
            elapsed = (time.perf_counter() - started) * 1000
            await asyncio.sleep(0.02)  # anything else the same event sends comes right behind
            return elapsed, self.received_bytes(), self.pushed()
        target, first = self.redirect(), self.received_bytes()
        _, rest = await self.navigate(target)
        return (time.perf_counter() - started) * 1000, first + rest, target
