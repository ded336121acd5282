"""request_guards._Body: a body growing past its limit is cut off at the chunk that passes it, and answered 413."""

from __future__ import annotations

import asyncio

from crm_app.request_guards import _Body
from tests.conftest import run_async


def test_a_body_is_cut_off_as_soon_as_it_passes_the_limit():
    chunks = [b"a" * 400, b"b" * 400, b"c" * 400, b"d" * 400]
    asked = []

    async def receive() -> dict:
        asked.append(1)
        return {"type": "http.request", "body": chunks[len(asked) - 1], "more_body": True}

    async def read() -> list[dict]:
        body = _Body(receive, deadline=asyncio.get_running_loop().time() + 60, limit=1000)
        return [await body() for _ in range(4)], body

    messages, body = run_async(read())
    assert [message["type"] for message in messages] == ["http.request", "http.request", "http.disconnect",
                                                         "http.disconnect"]
    assert len(asked) == 3  # nothing more is read from the client after the refusal
    assert (body.refusal.status, body.refusal.reason, body.refusal.details) == (413, "too_large", {"limit_bytes": 1000})
