"""Who a REST API request acts for: the user of its `Authorization: Bearer` personal access token, limited per token."""

from __future__ import annotations

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from crm_app import rate_limit
from crm_app.api_v1.problems import ApiProblem
from crm_app.data.db import read_session, write_session
from crm_app.data.repositories.api_tokens import TokenCaller, caller_for_token, needs_touch, touch_token

_bearer = HTTPBearer(auto_error=False, description="A personal access token from your account page (or "
                     "`crm-app api-token create`), sent as `Authorization: Bearer crm_pat_...`.")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _caller(secret: str) -> TokenCaller | None:
    with read_session() as session:
        caller = caller_for_token(session=session, secret=secret)
    if caller is not None and needs_touch(caller):
        with write_session() as session:
            touch_token(session=session, token_id=caller.token_id)
    return caller


async def token_caller(request: Request,
                       credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> TokenCaller:
    """The caller behind the request's token: 401 without a valid one, 403 for a write with a read-only token or
    a user who must finish their account first, 429 past the token's rate limit."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise ApiProblem(401, "unauthenticated", "Send `Authorization: Bearer <token>`.",
                         headers={"WWW-Authenticate": 'Bearer realm="crm_app"'})
    caller = await run_in_threadpool(_caller, credentials.credentials)
    if caller is None:
        raise ApiProblem(401, "unauthenticated", "The token is unknown, revoked or expired, or its user is "
                         "deactivated.", headers={"WWW-Authenticate": 'Bearer realm="crm_app", error="invalid_token"'})
    wait = await rate_limit.api_call_wait(caller.token_id)
    if wait:
        raise ApiProblem(429, "rate_limited", f"Too many requests with this token; try again in {wait} s.",
                         headers={"Retry-After": str(wait)})
    if caller.actor.account_setup_pending:
        raise ApiProblem(403, "account_setup_pending", "Finish your account page (new password or two-factor) "
                         "before using the API.")
    if request.method not in SAFE_METHODS and not caller.can_write:
        raise ApiProblem(403, "forbidden", "This token is read-only; create a read-write token to make changes.")
    return caller
