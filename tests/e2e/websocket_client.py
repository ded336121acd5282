"""The tests' websocket client: a browser tab (benchmarks/browser_tab.py speaks the Reflex frontend's protocol) that
keeps every message it receives and can send any event with any payload from any page, as a hostile client could.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import reflex as rx

from benchmarks.browser_tab import BrowserTab
from crm_app import routes


def state_var(state: type[rx.State], name: str) -> tuple[str, str]:
    """Where a state var sits in a delta: (the state's full name, the var's key)."""
    return state.get_full_name(), f"{name}_rx_state_"


class ReflexClient(BrowserTab):
    """One browser tab's worth of websocket for a test: `async with ReflexClient(url) as client`, then `emit`
    events and wait for what they send back; `messages` keeps everything since the connection opened."""

    WAIT_S = 20

    async def __aenter__(self) -> ReflexClient:
        # Like a browser tab, send nothing until the page is hydrated: the login page's own on_load would
        # otherwise race the first event and redirect a second time. 15 s to connect: the default second is
        # too short while the server is busy (a refit, a build).
        await self.open(routes.LOGIN, attempts=1, connect_timeout_s=15)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def toasts(self) -> list[str]:
        """The JavaScript of every toast (rx.toast is sent as a function call)."""
        return [payload["function"] for payload in self.frontend_events("_call_function")]

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
