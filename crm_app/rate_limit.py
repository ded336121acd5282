"""Rate limits for what anonymous visitors may send (survey answers, sign-in attempts) and for each API token,
shared by all workers when Redis is configured, in memory otherwise."""

from __future__ import annotations

import logging
import math
import time
from functools import lru_cache

from limits import RateLimitItem, parse, parse_many, storage
from limits.aio import strategies

from starlette.requests import Request

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


def client_of(request: Request) -> str:
    """The address of the client behind an HTTP request, honouring CRM_TRUSTED_PROXY_HOPS."""
    return client_ip(request.client.host if request.client else "unknown",
                     request.headers.get("x-forwarded-for"), get_settings().trusted_proxy_hops)


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


async def api_call_wait(token_id: int) -> int:
    """Count one REST API request made with a token: 0 when it may go on, else the whole seconds until the token's
    oldest request in the window expires (its Retry-After)."""
    rule = _rule(get_settings().api_token_rate_limit)
    try:
        if await _limiter().hit(rule, "api_token", str(token_id)):
            return 0
        stats = await _limiter().get_window_stats(rule, "api_token", str(token_id))
    except Exception:  # the store is down: serve the request rather than fail it
        logger.warning("Rate limit store unavailable; serving the API request unthrottled.")
        return 0
    return max(1, math.ceil(stats.reset_time - time.time()))


# --- sign-in throttle --------------------------------------------------------------------------------------

_ACCOUNT, _CLIENT = "sign_in_account", "sign_in_client"


@lru_cache(maxsize=8)
def _rules(notation: str) -> tuple[RateLimitItem, ...]:
    return tuple(parse_many(notation))


def _account_rules() -> tuple[RateLimitItem, ...]:
    return _rules(get_settings().sign_in_account_limits)


def _client_rules() -> tuple[RateLimitItem, ...]:
    return _rules(get_settings().sign_in_client_limits)


async def _seconds_until_free(rule: RateLimitItem, kind: str, key: str) -> int:
    """0 when `rule` allows one more attempt for `key`, else the whole seconds until its oldest attempt expires."""
    limiter = _limiter()
    if await limiter.test(rule, kind, key):
        return 0
    stats = await limiter.get_window_stats(rule, kind, key)
    return max(1, math.ceil(stats.reset_time - time.time()))


async def reserve_sign_in(account: str, client: str) -> int:
    """Count a sign-in attempt for `account` from `client` before its password is checked: 0 when it may go on,
    else the seconds to wait (the longest of the full rules, so more failures mean a longer wait).

    The account's attempt is counted now (and forgotten again on success, `sign_in_succeeded`), so attempts in
    flight together cannot pass the limit; the client's are counted only when they fail (`sign_in_failed`), so
    colleagues signing in behind one address do not use up its allowance.
    """
    try:
        waits = [await _seconds_until_free(rule, _ACCOUNT, account) for rule in _account_rules()]
        waits += [await _seconds_until_free(rule, _CLIENT, client) for rule in _client_rules()]
        if max(waits):
            return max(waits)
        for rule in _account_rules():
            if not await _limiter().hit(rule, _ACCOUNT, account):  # another attempt took the last place meanwhile
                return await _seconds_until_free(rule, _ACCOUNT, account)
    except Exception:  # the store is down: the password check itself (a bounded thread pool) still limits the pace
        logger.warning("Rate limit store unavailable; checking the sign-in unthrottled.")
    return 0


async def sign_in_failed(client: str) -> None:
    try:
        for rule in _client_rules():
            await _limiter().hit(rule, _CLIENT, client)
    except Exception:
        logger.warning("Rate limit store unavailable; a failed sign-in was not counted.")


async def sign_in_succeeded(account: str) -> None:
    """The right password was given: the account's earlier failures no longer count against it."""
    try:
        for rule in _account_rules():
            await _limiter().clear(rule, _ACCOUNT, account)
    except Exception:
        logger.warning("Rate limit store unavailable; the account's failed sign-ins were not forgotten.")


# --- outgoing mail ----------------------------------------------------------------------------------------------

_MAIL = "mail_send"


async def reserve_mail_send() -> int:
    """Count one outgoing email against CRM_MAIL_RATE_LIMIT (shared by every worker through Redis when it is set):
    0 when it may go now, else the seconds until the fullest rule has room again (nothing is counted then)."""
    rules = _rules(get_settings().mail_rate_limit)
    try:
        waits = [await _seconds_until_free(rule, _MAIL, "all") for rule in rules]
        if max(waits, default=0):
            return max(waits)
        for rule in rules:
            if not await _limiter().hit(rule, _MAIL, "all"):  # another worker took the last place meanwhile
                return await _seconds_until_free(rule, _MAIL, "all")
    except Exception:  # the store is down: the sender's batch size and poll interval still bound the pace
        logger.warning("Rate limit store unavailable; sending mail unthrottled.")
    return 0


# --- "forgot password?" ----------------------------------------------------------------------------------------

_RESET_ACCOUNT, _RESET_CLIENT = "password_reset_account", "password_reset_client"


async def reserve_password_reset(account: str, client: str) -> int:
    """Count a reset request for `account` from `client`, whether or not the account exists (so the answer tells
    nothing): 0 when it may go on, else the seconds until the fullest rule has room."""
    settings = get_settings()
    checks = [(rule, _RESET_ACCOUNT, account) for rule in _rules(settings.password_reset_account_limits)]
    checks += [(rule, _RESET_CLIENT, client) for rule in _rules(settings.password_reset_client_limits)]
    try:
        waits = [await _seconds_until_free(rule, kind, key) for rule, kind, key in checks]
        if max(waits, default=0):
            return max(waits)
        for rule, kind, key in checks:
            if not await _limiter().hit(rule, kind, key):
                return await _seconds_until_free(rule, kind, key)
    except Exception:  # the store is down: the account's own links are still spent by each new request
        logger.warning("Rate limit store unavailable; a password reset request went unthrottled.")
    return 0
