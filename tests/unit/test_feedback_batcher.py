"""The survey's group commit serves whichever event loop asks: a writer left on a stopped loop (a test client's,
a worker's before a fork) is not waited on forever."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from crm_app import api
from crm_app.data.models import FeedbackSubmission


def _submission(n: int) -> FeedbackSubmission:
    return FeedbackSubmission(csat=4, nps=9, submission_id=f"batcher-{n}")


def _stranded_writer_then_another_loop(batcher: api.FeedbackBatcher) -> tuple[str, str]:
    first = asyncio.new_event_loop()
    stranded = None
    try:
        answered = first.run_until_complete(batcher.submit(_submission(1)))
        # The first loop stops with its writer still waiting for work, and is never run again.
        stranded = batcher._task
        assert stranded is not None and not stranded.done()

        async def on_another_loop() -> str:
            # A guard, not a timing: before the fix this waited forever for the stranded writer.
            return await asyncio.wait_for(batcher.submit(_submission(2)), timeout=60)

        return answered, asyncio.run(on_another_loop())
    finally:
        if stranded is not None:
            stranded.cancel()
            first.run_until_complete(asyncio.sleep(0))
        first.close()


def test_a_writer_left_on_a_stopped_loop_is_replaced(monkeypatch):
    monkeypatch.setattr(api, "_write_batch", lambda submissions: [s.submission_id for s in submissions])
    # In a thread of its own: after the e2e tests, Playwright's sync API leaves a loop marked running on this one.
    with ThreadPoolExecutor(max_workers=1) as thread:
        answers = thread.submit(_stranded_writer_then_another_loop, api.FeedbackBatcher()).result()
    assert answers == ("batcher-1", "batcher-2")
