"""The second step of a two-factor sign-in: no session for the password alone, a session for the right code,
wrong codes counted by the sign-in throttle, tickets that cannot be forged or outlive their five minutes."""

from __future__ import annotations

import time

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from crm_app import rate_limit, sign_in
from crm_app.api import api
from crm_app.data.models import AuthSession, Role, SignInAttempt, User, UserCreate
from crm_app.data.repositories import two_factor, users
from crm_app.settings import get_settings
from tests.conftest import run_async

PASSWORD = "correct-horse-1"
CLIENT = "203.0.113.9"


@pytest.fixture
def enrolled(engine, monkeypatch):
    """rep@example.com with two-factor sign-in on: (their authenticator, their recovery codes)."""
    settings = get_settings()
    monkeypatch.setattr(settings, "database_url", engine.url.render_as_string(hide_password=False))
    monkeypatch.setattr(settings, "redis_url", None)
    monkeypatch.setattr(settings, "sign_in_account_limits", "5/15 minutes")
    monkeypatch.setattr(settings, "sign_in_client_limits", "30/15 minutes")
    rate_limit._limiter.cache_clear()
    sign_in._password_checkers.cache_clear()
    with Session(engine) as session:
        user = users.create_user(session=session, actor=None, user_create=UserCreate(
            email="rep@example.com", full_name="Riley Rep", role=Role.sales_rep, password=PASSWORD))
        actor = users.actor_of(user)
        totp = pyotp.TOTP(two_factor.enrol(session=session, actor=actor).secret)
        # Enrolled with the previous step's code, so the current one is still unused.
        codes = two_factor.confirm_enrolment(session=session, actor=actor, code=totp.at(time.time() - 30))
        session.commit()
    yield totp, codes
    rate_limit._limiter.cache_clear()
    sign_in._password_checkers.cache_clear()


def _run(scenario):
    async def with_flush():
        result = await scenario()
        await sign_in.throttled_attempts.flush()
        return result
    return run_async(with_flush())


def _password_step() -> sign_in.SignInResult:
    return _run(lambda: sign_in.sign_in(email="rep@example.com", password=PASSWORD, client=CLIENT))


def _code_step(ticket: str, code: str) -> sign_in.SignInResult:
    return _run(lambda: sign_in.second_factor_step(ticket=ticket, code=code, client=CLIENT))


def _sessions(engine) -> int:
    with Session(engine) as session:
        return len(session.exec(select(AuthSession)).all())


def _audit(engine) -> list[tuple[str, int]]:
    with Session(engine) as session:
        return [(row.outcome, row.attempts) for row in session.exec(select(SignInAttempt).order_by(SignInAttempt.id))]


def test_the_password_alone_opens_no_session_and_the_right_code_does(engine, enrolled):
    totp, _ = enrolled
    asked = _password_step()
    assert (asked.signed_in, asked.retry_after) == (False, 0)
    assert asked.second_factor_ticket
    assert _sessions(engine) == 0

    done = _code_step(asked.second_factor_ticket, totp.now())
    assert done.signed_in and done.second_factor_ticket is None
    with Session(engine) as session:
        assert users.actor_for_token(session=session, token=done.token).email == "rep@example.com"
    assert _audit(engine) == [("password_ok", 1), ("signed_in", 1)]


def test_a_wrong_code_asks_again_and_the_same_code_never_signs_in_twice(engine, enrolled):
    totp, _ = enrolled
    ticket = _password_step().second_factor_ticket
    again = _code_step(ticket, "000000" if totp.now() != "000000" else "111111")
    assert (again.signed_in, again.second_factor_ticket) == (False, ticket)
    code = totp.now()
    assert _code_step(ticket, code).signed_in
    replay = _code_step(_password_step().second_factor_ticket, code)
    assert replay.signed_in is False
    assert _sessions(engine) == 1
    assert _audit(engine) == [("password_ok", 1), ("wrong_code", 1), ("signed_in", 1), ("password_ok", 1),
                              ("wrong_code", 1)]


def test_a_recovery_code_signs_in_once(engine, enrolled):
    _, codes = enrolled
    assert _code_step(_password_step().second_factor_ticket, codes[3]).signed_in
    assert not _code_step(_password_step().second_factor_ticket, codes[3]).signed_in
    assert _sessions(engine) == 1


def test_wrong_codes_count_toward_the_account_throttle(engine, enrolled):
    totp, _ = enrolled
    ticket = _password_step().second_factor_ticket  # the password step is the account's first attempt
    wrong = [_code_step(ticket, f"{n:06d}") for n in range(4) if f"{n:06d}" != totp.now()][:4]
    assert [r.second_factor_ticket == ticket for r in wrong] == [True] * 4
    throttled = _code_step(ticket, totp.now())
    assert (throttled.signed_in, throttled.second_factor_ticket) == (False, None)
    assert 840 < throttled.retry_after <= 900
    assert _sessions(engine) == 0
    assert _audit(engine) == [("password_ok", 1)] + [("wrong_code", 1)] * 4 + [("throttled", 1)]


def _altered(signed: str) -> str:
    """`signed` with the first character of its signature changed. (Not the last: base64's last character also
    carries unused bits, so changing only those leaves the same signature, and the ticket valid.)"""
    head, _, signature = signed.rpartition(".")
    return f"{head}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}"


def test_forged_altered_and_expired_tickets_start_again(engine, enrolled, monkeypatch):
    totp, _ = enrolled
    ticket = _password_step().second_factor_ticket
    with Session(engine) as session:
        rep_id = session.exec(select(User.id)).one()
    forged = _altered(sign_in._tickets().dumps({"user": rep_id + 1, "account": "rep@example.com"}))
    for bad in ("", "not-a-ticket", _altered(ticket), forged, None, 7, "x" * 600):
        refused = _code_step(bad, totp.now())
        assert (refused.signed_in, refused.retry_after, refused.second_factor_ticket) == (False, 0, None)
    monkeypatch.setattr(sign_in, "SECOND_FACTOR_SECONDS", -1)
    assert _code_step(ticket, totp.now()).second_factor_ticket is None
    assert _sessions(engine) == 0


def test_users_without_two_factor_sign_in_with_the_password_alone(engine, enrolled):
    with Session(engine) as session:
        two_factor.disable(session=session, actor=users.actor_of(session.exec(select(User)).one()), password=PASSWORD)
        session.commit()
    result = _password_step()
    assert result.signed_in and result.second_factor_ticket is None


# --- over HTTP: the login form posts the password, then the code ----------------------------------------------


@pytest.fixture
def browser(enrolled, monkeypatch):
    monkeypatch.setattr(get_settings(), "allowed_origins", "http://crm.example")
    return TestClient(api, base_url="http://crm.example", follow_redirects=False)


def _set_cookies(response) -> dict[str, list[str]]:
    """Each cookie the response sets: its name to [value, attributes...]."""
    cookies = {}
    for header in response.headers.get_list("set-cookie"):
        value, *attributes = [part.strip() for part in header.split(";")]
        name, _, token = value.partition("=")
        cookies[name] = [token.strip('"'), *attributes]
    return cookies


def test_http_password_then_code_sets_the_session_cookie_only_after_the_code(browser, engine, enrolled):
    totp, _ = enrolled
    asked = browser.post("/auth/sign-in", data={"email": "rep@example.com", "password": PASSWORD,
                                                "next": "/customers"})
    assert (asked.status_code, asked.headers["location"]) == (303, "/login?step=code&next=%2Fcustomers")
    ticket_cookie = _set_cookies(asked)
    assert list(ticket_cookie) == ["crm_second_factor"]
    assert ticket_cookie["crm_second_factor"][1:] == ["HttpOnly", "Max-Age=300", "Path=/auth/sign-in",
                                                      "SameSite=strict"]
    assert _sessions(engine) == 0

    wrong = browser.post("/auth/sign-in/code", data={"code": "000000" if totp.now() != "000000" else "111111",
                                                     "next": "/customers"})
    assert (wrong.status_code, wrong.headers["location"]) == (303, "/login?error=code&step=code&next=%2Fcustomers")
    assert _set_cookies(wrong) == {}

    done = browser.post("/auth/sign-in/code", data={"code": totp.now(), "next": "/customers"})
    assert (done.status_code, done.headers["location"]) == (303, "/customers")
    cookies = _set_cookies(done)
    assert cookies["crm_second_factor"][:2] == ["", "HttpOnly"]
    assert "Max-Age=0" in cookies["crm_second_factor"]
    with Session(engine) as session:
        assert users.actor_for_token(session=session, token=cookies["crm_session"][0]).email == "rep@example.com"


def test_http_code_step_without_a_ticket_starts_again(browser, engine, enrolled):
    totp, _ = enrolled
    response = browser.post("/auth/sign-in/code", data={"code": totp.now()})
    assert (response.status_code, response.headers["location"]) == (303, "/login?error=expired")
    assert _sessions(engine) == 0
    assert browser.post("/auth/sign-in/code", data={"code": totp.now()},
                        headers={"Origin": "http://evil.example"}).status_code == 403
