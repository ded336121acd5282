"""The webhook sender: a lifespan task of every backend worker that posts the outbox's due deliveries.

Each round claims up to BATCH due rows under a LEASE (data/repositories/webhooks.py: safe with several workers,
and a worker killed mid-round frees its rows when the lease runs out), posts them concurrently with httpx, signed
per Standard Webhooks (crm_app/webhook_signing.py), with short timeouts, and records each outcome: a 2xx is
delivered, anything else is retried on crm_app/retry_schedule.py's back-off for 24 hours. Delivery is at least once
(a worker that dies after the receiver answered but before recording it sends again): receivers drop repeats by
the `webhook-id` header. Users never wait for any of this; their change only wrote the outbox rows.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timedelta

import httpx

from crm_app.data.db import write_session
from crm_app.data.models import utcnow
from crm_app.data.repositories.webhooks import Claimed, Outcome, claim_due, prune_finished, record_outcomes
from crm_app.webhook_signing import headers

logger = logging.getLogger(__name__)

BATCH = 20
# Longer than a round can take (BATCH posts at once, each at most TIMEOUT's 10 s) with room to record outcomes.
LEASE = timedelta(minutes=2)
TIMEOUT = httpx.Timeout(10.0, connect=5.0)
IDLE_SECONDS = 2.0
# The delivery log keeps finished deliveries this long; the sender prunes older ones once an hour.
KEEP_FINISHED = timedelta(days=30)
PRUNE_EVERY_SECONDS = 3600


def claim(now: datetime, limit: int = BATCH) -> list[Claimed]:
    with write_session() as session:
        return claim_due(session=session, now=now, lease=LEASE, limit=limit)


def prune(now: datetime) -> int:
    with write_session() as session:
        return prune_finished(session=session, before=now - KEEP_FINISHED)


def record(outcomes: list[Outcome], now: datetime, jitter=None) -> int:
    with write_session() as session:
        return record_outcomes(session=session, outcomes=outcomes, now=now, jitter=jitter)


async def post(client: httpx.AsyncClient, delivery: Claimed, now: datetime) -> Outcome:
    """One attempt; every failure (refused, timed out, an error status) becomes an Outcome, never an exception."""
    body = delivery.body.encode("utf-8")
    try:
        answer = await client.post(delivery.url, content=body,
                                   headers=headers(delivery.secret, delivery.event_id, int(now.timestamp()), body))
    except httpx.HTTPError as error:
        return Outcome(delivery.id, delivery.claim, error=f"{type(error).__name__}: {error}"[:300])
    return Outcome(delivery.id, delivery.claim, status_code=answer.status_code,
                   error=None if answer.is_success else f"HTTP {answer.status_code}")


async def send_due(client: httpx.AsyncClient, now: datetime | None = None, jitter=None) -> int:
    """One round: claim, post, record. Returns how many deliveries were attempted. `now` fixes the clock (tests);
    otherwise an outcome is recorded at the time it is known, so a retry waits from the answer."""
    claimed = await asyncio.to_thread(claim, now or utcnow())
    if not claimed:
        return 0
    outcomes = await asyncio.gather(*(post(client, delivery, now or utcnow()) for delivery in claimed))
    await asyncio.to_thread(record, list(outcomes), now or utcnow(), jitter)
    return len(claimed)


def new_client() -> httpx.AsyncClient:
    # No redirects: an endpoint answers itself (a 3xx counts as a failure and is retried).
    return httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=False)


async def send_forever() -> None:
    """Lifespan task: send rounds back to back while there is work, then look again every IDLE_SECONDS; once an
    hour, drop finished deliveries older than KEEP_FINISHED from the log."""
    pruned_at = 0.0
    async with new_client() as client:
        while True:
            try:
                if time.monotonic() - pruned_at > PRUNE_EVERY_SECONDS:
                    await asyncio.to_thread(prune, utcnow())
                    pruned_at = time.monotonic()
                attempted = await send_due(client)
            except Exception:  # the database may be down: the outbox keeps the events, the next round tries again
                logger.exception("Webhook deliveries could not be sent")
                attempted = 0
            if attempted < BATCH:
                await asyncio.sleep(IDLE_SECONDS)
