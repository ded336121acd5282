"""Sign-in flood: a signed-in user's page loads while clients guess passwords as fast as they can.

Serves the real backend (`reflex run --env prod --backend-only`, one worker, SQLite) and measures the p95 of a
signed-in sales rep's page loads (BrowserTab.navigate to the home page: the on_load chain, as a browser waits
for it) three times: idle; while `--guessers` clients post wrong passwords to POST /auth/sign-in in a loop,
all for one account from one address (the throttle turns them away after the fifth); and while the same
clients guess with a new email from a new address each time (a botnet: behind CRM_TRUSTED_PROXY_HOPS=1 each
guess says another X-Forwarded-For, so no throttle applies and every guess costs an Argon2 check). The
guessers run in another process, so their own work does not slow the measuring client. Prints both p95s of
each flood, the ratio to idle, and the guesses answered per second.

    .venv/bin/python -m benchmarks.sign_in_flood [--loads 200] [--guessers 8]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from benchmarks.served_app import seed_unless_seeded, served_backend
from benchmarks.browser_tab import BrowserTab
from crm_app import routes

REP = ("rep1@example.com", "demo-rep1-2026")
VICTIM = "exec@example.com"


async def _guess_forever(base_url: str, guessers: int, botnet: bool, seconds: float) -> int:
    """`guessers` clients posting wrong passwords back to back for `seconds`; how many answers came back."""
    answered = 0
    deadline = time.monotonic() + seconds

    async def guesser(n: int) -> None:
        nonlocal answered
        async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
            while time.monotonic() < deadline:
                email = f"{uuid.uuid4().hex[:12]}@example.com" if botnet else VICTIM
                headers = {"X-Forwarded-For": f"10.{n}.{answered % 250}.{uuid.uuid4().int % 250}"} if botnet else {}
                await http.post(routes.SIGN_IN, data={"email": email, "password": f"guess-{uuid.uuid4().hex[:8]}"},
                                headers=headers)
                answered += 1

    await asyncio.gather(*(guesser(n) for n in range(guessers)))
    return answered


def _guess_process(base_url: str, guessers: int, botnet: bool, seconds: float, answered: Any) -> None:
    answered.value = asyncio.run(_guess_forever(base_url, guessers, botnet, seconds))


async def _page_loads(tab: BrowserTab, loads: int) -> list[float]:
    return [(await tab.navigate(routes.HOME))[0] for _ in range(loads)]


def _p95(times: list[float]) -> float:
    ordered = sorted(times)
    return round(ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))], 1)


async def _measure(base_url: str, loads: int, guessers: int) -> dict[str, Any]:
    tab = BrowserTab(base_url)
    await tab.open()
    await tab.sign_in(*REP)
    await _page_loads(tab, 20)  # warm-up
    idle = await _page_loads(tab, loads)
    figures: dict[str, Any] = {"idle": {"p50_ms": round(statistics.median(idle), 1), "p95_ms": _p95(idle)}}
    for name, botnet in (("one account, one address", False), ("new email and address each guess", True)):
        answered = multiprocessing.Value("i", 0)
        # Long enough to outlast the measurement; ended as soon as the loads are measured.
        flood = multiprocessing.Process(target=_guess_process, args=(base_url, guessers, botnet, 3600, answered))
        flood.start()
        await asyncio.sleep(3)  # the flood is under way
        started = time.monotonic()
        times = await _page_loads(tab, loads)
        elapsed = time.monotonic() - started
        flood.terminate()
        flood.join()
        figures[name] = {"p50_ms": round(statistics.median(times), 1), "p95_ms": _p95(times),
                         "ratio_p95": round(_p95(times) / figures["idle"]["p95_ms"], 2),
                         "measured_s": round(elapsed, 1)}
    await tab.close()
    return figures


def _guess_rate(base_url: str, guessers: int, botnet: bool, seconds: float = 10) -> float:
    """Guesses answered per second by the server with nothing else going on."""
    answered = multiprocessing.Value("i", 0)
    flood = multiprocessing.Process(target=_guess_process, args=(base_url, guessers, botnet, seconds, answered))
    flood.start()
    flood.join()
    return round(answered.value / seconds, 1)


def run(loads: int, guessers: int, port: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        seed_unless_seeded(url, seed=7, customers=500, orders=2_000)
        with served_backend(url, port, Path(tmp) / "server.log", REFLEX_WEB_WORKDIR=str(Path(tmp) / "web"),
                            REFLEX_STATES_WORKDIR=str(Path(tmp) / "states"), CRM_TRUSTED_PROXY_HOPS="1",
                            CRM_SIGN_IN_CLIENT_LIMITS="30/15 minutes") as base:
            figures = asyncio.run(_measure(base, loads, guessers))
            rates = {"one account, one address": _guess_rate(base, guessers, False),
                     "new email and address each guess": _guess_rate(base, guessers, True)}
        for name, rate in rates.items():
            figures[name]["guesses_per_s"] = rate
    return {"loads": loads, "guessers": guessers, "results": figures}


def _table(figures: dict[str, Any]) -> str:
    results = figures["results"]
    lines = [f"{figures['guessers']} guessing clients; {figures['loads']} page loads of a signed-in rep per series",
             f"{'series':<36}{'p50 ms':>9}{'p95 ms':>9}{'p95/idle':>10}{'guesses/s':>11}"]
    for name, row in results.items():
        lines.append(f"{name:<36}{row['p50_ms']:>9}{row['p95_ms']:>9}{row.get('ratio_p95', 1.0):>10}"
                     f"{row.get('guesses_per_s', ''):>11}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=200, help="page loads measured per series")
    parser.add_argument("--guessers", type=int, default=8)
    parser.add_argument("--port", type=int, default=8791)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures = run(args.loads, args.guessers, args.port)
    print(json.dumps(figures) if args.json else _table(figures))


if __name__ == "__main__":
    main()
