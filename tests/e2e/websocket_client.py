"""A socket.io client that talks to the served app exactly like a browser tab, for tests that call handlers directly.

It speaks the Reflex frontend's protocol (socket.io on /_event, a random client token in the query, the hydrate
event in the CONNECT packet) but can send any event with any payload from any page, as a hostile client could.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import reflex as rx
import socketio

from crm_app import routes

NAMESPACE = "/_event"


def state_var(state: type[rx.State], name: str) -> tuple[str, str]:
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
        return {"name": name, "payload": payload,
                "router_data": {"pathname": path.split("?", 1)[0], "asPath": path}}

    async def __aenter__(self) -> ReflexClient:
        boot = self._event(f"{rx.State.get_full_name()}.hydrate_and_load", routes.LOGIN, {})
        await self._sio.connect(
            f"{self.app_url}?token={self.token}",
            socketio_path=NAMESPACE,
            namespaces=[NAMESPACE],
            transports=["websocket"],
            auth={"event": boot},
            wait_timeout=15,  # the default second is too short while the server is busy (a refit, a build)
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

    @property
    def connected(self) -> bool:
        return self._sio.connected

    async def send(self, state: type[rx.State], handler: str, path: str, **payload: Any) -> None:
        await self.send_event(f"{state.get_full_name()}.{handler}", path, payload)

    async def send_event(self, name: str, path: str, payload: dict[str, Any]) -> None:
        """Send an event by its full name with any payload, as if from the page at `path` (query included)."""
        await self._sio.emit("event", self._event(name, path, payload), namespace=NAMESPACE)

    async def wait_for(self, done: Callable[[], bool], timeout_s: float = 20) -> None:
        deadline = time.monotonic() + timeout_s
        while not done():
            if time.monotonic() > deadline:
                raise AssertionError(f"No complete answer within {timeout_s}s; got {self.messages[-20:]}")
            await asyncio.sleep(0.02)

    async def sign_in(self, email: str, password: str) -> None:
        """Sign in through AuthState.login, as the login form does, and wait for the redirect home."""
        from crm_app.states.auth import AuthState

        await self.send(AuthState, "login", routes.LOGIN, form_data={"email": email, "password": password})
        await self.wait_for(lambda: "/" in self.redirects())

    def _frontend_events(self, name: str) -> list[dict[str, Any]]:
        return [e["payload"] for m in self.messages for e in m.get("events", []) if e["name"] == name]

    def redirects(self) -> list[str]:
        return [payload["path"] for payload in self._frontend_events("_redirect")]

    def toasts(self) -> list[str]:
        """The JavaScript of every toast (rx.toast is sent as a function call)."""
        return [payload["function"] for payload in self._frontend_events("_call_function")]

    def values(self, state: type[rx.State], name: str, since: int = 0) -> list[Any]:
        """Every value the server sent for one state var, in order (from message number `since` on)."""
        state_name, key = state_var(state, name)
        return [m["delta"][state_name][key] for m in self.messages[since:]
                if key in m.get("delta", {}).get(state_name, {})]


def run(scenario: Callable[[], Any]) -> Any:
    """Run a coroutine function on its own thread: Playwright's sync API holds this thread's event loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, scenario()).result()


def listening_pids(port: int) -> set[int]:
    """The processes holding the listening socket of `port` (the server and its forked workers), from /proc."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                inodes.add(f"socket:[{inode}]")
    pids = set()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if any(fd.readlink().as_posix() in inodes for fd in (proc / "fd").iterdir()):
                pids.add(int(proc.name))
        except OSError:  # gone meanwhile, or not ours
            continue
    return pids
