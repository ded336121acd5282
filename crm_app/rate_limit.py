"""Per-client rate limits for what anonymous visitors may send, shared by all workers when Redis is configured."""

from __future__ import annotations

import logging
import time
from functools import lru_cache

from limits import RateLimitItem, parse, storage
from limits.aio import strategies

from crm_app.settings import get_settings

logger = logging.getLogger(__name__)


def client_ip(peer: str, forwarded_for: str | None, trusted_proxy_hops: int) -> str:
    """The visitor's address: the TCP peer, or the X-Forwarded-For entry written by the outermost trusted proxy.

    Each trusted proxy appends the address it received the request from, so with N trusted proxies the
    client is the N-th entry from the right; anything further left was written by the client and is ignored.
    """
    if trusted_proxy_hops <= 0 or not forwarded_for:
        return peer
    hops = [entry.strip() for entry in forwarded_for.split(",") if entry.strip()]
    return hops[-trusted_proxy_hops] if len(hops) >= trusted_proxy_hops else peer


@lru_cache(maxsize=1)
def _limiter() -> strategies.MovingWindowRateLimiter:
    """The limiter on the event loop (limits' asyncio storage): a check never blocks the loop on Redis, and the
    in-memory store expires entries with an asyncio task rather than a new timer thread every 10 ms."""
    redis_url = get_settings().redis_url
    store = (storage.storage_from_string(f"async+{redis_url}", implementation="redispy") if redis_url
             else storage.storage_from_string("async+memory://"))
    return strategies.MovingWindowRateLimiter(store)


@lru_cache(maxsize=8)
def _rule(notation: str) -> RateLimitItem:
    return parse(notation)


async def allow_feedback(client: str) -> bool:
    """Count one survey answer from `client`; False once it is over the limit for the current window."""
    try:
        return await _limiter().hit(_rule(get_settings().feedback_rate_limit), "feedback", client)
    except Exception:  # the limiter's store is down: keep accepting answers rather than lose them
        logger.warning("Rate limit store unavailable; accepting the request unthrottled.")
        return True


async def retry_after_seconds(client: str) -> int:
    try:
        stats = await _limiter().get_window_stats(_rule(get_settings().feedback_rate_limit), "feedback", client)
    except Exception:
        return 60
    return max(1, int(stats.reset_time - time.time()) + 1)
